"""Publish stage: Arrow tables -> one immutable release folder.

    <out>/<version>/
        datapackage.json        Data Package v2: every resource with its Table Schema and sha256
        stats.json              per-stage counts (total / kept / dropped by reason) and the summary
        SHA256SUMS              `sha256sum -c` over every other file
        data/<table>.parquet    zstd, dates as date32, statistics + page index, sorted rows
        data/<table>.csv        UTF-8, RFC 4180 (CRLF records; LF inside quoted bodies kept)

The release is written to a hidden temporary folder next to its final place and renamed into
place, so a failed build leaves no partial release behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as arrow
import pyarrow.compute as pc
import pyarrow.csv as arrow_csv
import pyarrow.parquet as parquet

from kcna_dataset.declarations import TABLES, table_schema
from kcna_dataset.exceptions import BuildError
from kcna_dataset.runtime.memory import drop_pages

# Tables are published in this order; the Parquet resource takes the table's name and the CSV
# copy gets `-csv` (Frictionless needs unique resource names).
ROW_GROUP_SIZE = 50_000  # rows; small enough for date-range pruning, large enough to compress
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "row_group_size": ROW_GROUP_SIZE,
    "write_statistics": True,
    "write_page_index": True,
    "store_schema": False,  # no pyarrow/pandas metadata blobs: fewer version-dependent bytes
}
CSV_OPTIONS = arrow_csv.WriteOptions(quoting_style="needed", eol=b"\r\n")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def created_timestamp(newest_input: datetime | None) -> str:
    """RFC 3339 `created`: SOURCE_DATE_EPOCH if set, else the newest input date; never the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        when = datetime.fromtimestamp(int(epoch), tz=UTC)
    elif newest_input is not None:
        when = newest_input
    else:
        when = datetime(1970, 1, 1, tzinfo=UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _resource_schema(table: str, fmt: str, suffix: str) -> dict[str, Any]:
    schema = table_schema(table)
    for fk in schema.get("foreignKeys", []):
        fk["reference"]["resource"] += suffix
    if fmt == "parquet":
        # frictionless 5.21 reads Parquet through pandas, where a null number/integer becomes
        # NaN, which it then type- and range-checks as a value. Declaring "nan" missing for those
        # fields (field-level, so string fields are untouched) keeps nulls null.
        for field in schema["fields"]:
            nullable = not field.get("constraints", {}).get("required", False)
            if nullable and field["type"] in ("number", "integer"):
                field["missingValues"] = ["", "nan"]
    return schema


def write_parquet(data: arrow.Table, path: Path) -> None:
    """One row group at a time, each made one contiguous chunk first: Parquet's page boundaries
    follow the chunks it is given, and the file's bytes must depend on the rows alone, not on
    how the table was chunked in memory (per input file, per slice)."""
    options = {k: v for k, v in PARQUET_OPTIONS.items() if k != "row_group_size"}
    with parquet.ParquetWriter(path, data.schema, **options) as writer:
        # an empty table: no row group at all (a row group of 0 rows made Hugging Face
        # datasets fail with "BatchSize must be greater than 0")
        for start in range(0, data.num_rows, ROW_GROUP_SIZE):
            part = data.slice(start, ROW_GROUP_SIZE).combine_chunks()
            writer.write_table(part, row_group_size=ROW_GROUP_SIZE)
            drop_pages()  # the rows written, if the table is mapped (spool.py)


def _floats_with_a_point(data: arrow.Table) -> arrow.Table:
    """Float columns as text that always reads back as a float: Arrow writes 1.0 as `1`, and
    a reader that guesses types from the first rows (polars, pandas with a dtype per chunk)
    then takes the column for integers and fails on `0.5051` further down."""
    for i, column in enumerate(data.columns):
        if arrow.types.is_floating(column.type):
            text = pc.cast(column, arrow.string())
            whole = pc.invert(pc.match_substring_regex(text, r"[.eEnN]"))  # not 1.5, 1e-05, nan
            text = pc.if_else(whole, pc.binary_join_element_wise(text, ".0", ""), text)
            data = data.set_column(i, data.schema.field(i).with_type(arrow.string()), text)
    return data


def write_csv(data: arrow.Table, path: Path) -> None:
    """A slice at a time (the bytes do not depend on the slices: one header, then rows)."""
    schema = _floats_with_a_point(data.schema.empty_table()).schema
    with arrow_csv.CSVWriter(path, schema, write_options=CSV_OPTIONS) as writer:
        for start in range(0, data.num_rows, ROW_GROUP_SIZE):
            writer.write_table(_floats_with_a_point(data.slice(start, ROW_GROUP_SIZE)))
            drop_pages()


def _write_file(folder: Path, table: str, data: arrow.Table, fmt: str) -> dict[str, Any]:
    """Write one table as Parquet or CSV into folder/data; its datapackage.json resource."""
    suffix = "-csv" if fmt == "csv" else ""
    path = folder / "data" / f"{table}.{fmt}"
    (write_csv if fmt == "csv" else write_parquet)(data, path)
    resource: dict[str, Any] = {
        "name": table + suffix,
        "type": "table",
        "path": path.relative_to(folder).as_posix(),
        "format": fmt,
        "mediatype": "text/csv" if fmt == "csv" else "application/vnd.apache.parquet",
        "description": table_schema(table).get("description", ""),
        "hash": "sha256:" + sha256_file(path),
        "schema": _resource_schema(table, fmt, suffix),
    }
    if fmt == "csv":
        # frictionless cannot count a Parquet file's bytes (it reports a bytes error)
        resource["bytes"] = path.stat().st_size
        resource["encoding"] = "utf-8"
        resource["dialect"] = {
            "delimiter": ",",
            "lineTerminator": "\r\n",
            "quoteChar": '"',
            "header": True,
        }
    return resource


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(
        json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8"
    )


def write_sha256sums(folder: Path, known: Mapping[str, str] | None = None) -> None:
    """SHA256SUMS of every file under `folder`; `known` gives digests already computed, by
    POSIX path relative to `folder` (the data files: hashing them twice took ~1 s a GB)."""
    known = known or {}
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "SHA256SUMS")
    lines = []
    for p in files:
        name = p.relative_to(folder).as_posix()
        lines.append(f"{known.get(name) or sha256_file(p)}  {name}\n")
    (folder / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")


def release_schema(table: str) -> dict[str, Any]:
    """A table's schema as its Parquet resource in datapackage.json declares it."""
    return _resource_schema(table, "parquet", "")


LOCK_NAME = ".build.lock"


@contextmanager
def build_lock(out: Path) -> Iterator[None]:
    """One build at a time per output folder: an advisory lock on `<out>/.build.lock` that the
    kernel releases when the holding process ends, however it ends (kill -9 included). No PID
    file to go stale: an empty or garbled lock file means nothing. The file is left in place
    (removing it while another build waits on it would let two builds in)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # a file of that name, a read-only disk, no permission
        reason = "it is a file" if out.is_file() else (e.strerror or type(e).__name__)
        raise BuildError(
            f"cannot use {out} as the releases folder: {reason}",
            "Pass --out DIR with a folder the build can create and write.",
        ) from None
    lock = out / LOCK_NAME
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as e:
        raise BuildError(
            f"cannot open the build lock {lock}: {e.strerror or e}",
            f"Make {out} writable, or remove {lock} if it is not a regular file.",
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
            raise BuildError(
                f"another build (process {holder[:20]}) is writing to {out}",
                "Wait for it to finish: its lock ends with its process.",
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # releases the lock


SEMVER = re.compile(r"\A(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)\Z")  # \Z: no trailing newline


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


def newest_release(out: Path, before: str | None = None) -> Path | None:
    """The release folder with the highest X.Y.Z under `out` (below `before`, if given)."""
    if not out.is_dir():
        return None
    releases = [
        (version_key(p.name), p)
        for p in out.iterdir()
        if p.is_dir()
        and SEMVER.match(p.name)
        and (p / "data" / "articles.parquet").is_file()
        and (before is None or version_key(p.name) < version_key(before))
    ]
    return max(releases)[1] if releases else None


def update_latest(out: Path) -> None:
    """`<out>/latest` names the newest release (a small file, not a symlink)."""
    newest = newest_release(out)
    if newest is None:
        return
    latest = out / "latest"
    try:
        if not latest.is_symlink() and latest.read_text(encoding="utf-8") == newest.name + "\n":
            return  # right already: nothing to write (the folder may be read-only)
    except (OSError, UnicodeDecodeError):
        pass  # missing or unreadable: written below
    tmp = out / ".latest.tmp"
    try:
        # created exclusively and never through a link: a link planted at this name must not
        # make the build write a file outside --out (unlink removes a link, not its target)
        tmp.unlink(missing_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        with os.fdopen(os.open(tmp, flags, 0o644), "w", encoding="utf-8") as f:
            f.write(newest.name + "\n")
        os.replace(tmp, latest)
    except OSError as e:
        raise BuildError(
            f"cannot name the newest release in {latest}: {e.strerror or e}",
            f"Make {out} writable: `latest` must name {newest.name}.",
        ) from None


# the folders write_release makes beside the releases (tempfile.mkdtemp's names): nothing else
# in --out is taken for one
_STAGING = re.compile(r"\A\.(\d+\.\d+\.\d+)\.[A-Za-z0-9_]+\.(partial|old)\Z")


def _looks_like_release(folder: Path) -> bool:
    return (folder / "SHA256SUMS").is_file() and (folder / "data" / "articles.parquet").is_file()


def repair_interrupted(out: Path) -> list[str]:
    """Undo what a build killed while publishing left in `out` (run under the build lock):
    a staging folder (`.X.Y.Z.<random>.partial`) is never a release and is removed; a `--force`
    killed between moving the old release aside (`.X.Y.Z.<random>.old/X.Y.Z`) and moving the
    new one in left no release X.Y.Z: the old one is put back (if the new one did arrive, the
    old one is removed). Only folders of exactly those names are touched, and only a complete
    release is put back. `latest` is then named anew by the caller. Returns what was done, for
    the build's notes; a repair that fails is an Error."""
    notes = []
    removed = 0
    try:
        for folder in sorted(out.iterdir()):
            match = _STAGING.match(folder.name)
            if not match or folder.is_symlink() or not folder.is_dir():
                continue
            version, kind = match.groups()
            if kind == "old":
                kept, final = folder / version, out / version
                swapped = not final.is_symlink() and _looks_like_release(final)
                if not swapped:
                    if final.exists() or final.is_symlink() or not _looks_like_release(kept):
                        continue  # not what a --force moved aside: left as it is
                    kept.rename(final)
                    notes.append(
                        f"release {version} was restored: a build run with --force was "
                        "stopped before its new release took its place"
                    )
            shutil.rmtree(folder, ignore_errors=True)
            removed += kind == "partial" and not folder.exists()
    except OSError as e:
        raise BuildError(
            f"cannot repair what an interrupted build left in {out}: {e.strerror or e}",
            f"Make {out} writable, or move the .X.Y.Z.*.old or .partial folders away by hand.",
        ) from None
    if removed:
        notes.append(f"removed {removed} unfinished release folder(s) left by an interrupted build")
    return notes


def write_release(
    out: Path,
    version: str,
    tables: dict[str, arrow.Table],
    metadata: dict[str, Any],
    stats: dict[str, Any],
    extra: dict[str, str] | None = None,
    *,
    force: bool = False,
    extra_later: Callable[[], dict[str, str]] | None = None,
) -> Path:
    """Write the release atomically to `<out>/<version>`; refuse to overwrite unless `force`.
    `extra` and what `extra_later` returns are more files by their path in the release; the
    latter is asked for once the tables are written (what it returns is made meanwhile)."""
    final = out / version
    if final.exists() and not force:
        raise BuildError(
            f"release {version} already exists in {out}",
            "Releases are immutable: pass --version X.Y.Z for a new one "
            "(or --force to replace it).",
        )
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}.", suffix=".partial", dir=out))
    try:
        (staging / "data").mkdir()
        # two files at a time: pyarrow's writers and hashlib release the GIL, so a Parquet
        # file's compression and a CSV file's formatting use both cores; each file is written
        # by one thread, so its bytes are the same. On an error or Ctrl-C the files not begun
        # are cancelled and those being written finished before the staging folder is removed.
        pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="publish")
        try:
            writes = [
                pool.submit(_write_file, staging, name, tables[name], fmt)
                for name in TABLES
                for fmt in ("parquet", "csv")
            ]
            resources = [w.result() for w in writes]
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        package = {
            "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
            "version": version,
            **metadata,
            "resources": resources,
        }
        _write_json(staging / "datapackage.json", package)
        _write_json(staging / "stats.json", stats)
        if extra_later is not None:
            extra = {**(extra or {}), **extra_later()}
        for name, text in (extra or {}).items():  # changelog, dataset card, charts
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_text(text, encoding="utf-8")
        hashed = {r["path"]: r["hash"].removeprefix("sha256:") for r in resources}
        write_sha256sums(staging, hashed)
        staging.chmod(0o755)
        if final.exists():  # --force: swap, then drop the old one
            old = Path(tempfile.mkdtemp(prefix=f".{version}.", suffix=".old", dir=out))
            final.rename(old / version)
            try:
                staging.rename(final)
            except BaseException:  # the old release goes back (a kill here: repair_interrupted)
                (old / version).rename(final)
                shutil.rmtree(old, ignore_errors=True)
                raise
            # published: a failure to remove the old copy is no failure to publish (the next
            # build's repair_interrupted removes what is left)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(final)
    except OSError as e:
        shutil.rmtree(staging, ignore_errors=True)
        raise BuildError(
            f"cannot write release {version} to {out}: {e.strerror or e}",
            "Check free space and permissions of the output folder; nothing was published.",
        ) from e
    except BaseException:  # Ctrl-C included: never leave a partial release
        shutil.rmtree(staging, ignore_errors=True)
        raise
    update_latest(out)
    return final
