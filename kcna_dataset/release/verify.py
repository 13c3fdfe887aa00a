"""Verify a published release: checksums, the data package's hashes and sizes, every table
against its declared schema, and the foreign keys between tables. Returns a report; never raises
for a damaged release."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as arrow
import pyarrow.csv as arrow_csv
import pyarrow.parquet as parquet

from kcna_dataset.declarations import TABLES
from kcna_dataset.exceptions import UsageError
from kcna_dataset.names import require_utf8_path
from kcna_dataset.release.publish import sha256_file
from kcna_dataset.schema import arrow_schema, constraint_name, dangling_references, failure_cases


@dataclass(frozen=True, slots=True)
class Problem:
    check: str  # checksum | datapackage | schema | foreign-key | missing | unreadable
    file: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"check": self.check, "file": self.file, "message": self.message}


@dataclass(slots=True)
class VerifyReport:
    release: str
    files_checked: int = 0
    tables_checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "release": self.release,
            "valid": self.valid,
            "files_checked": self.files_checked,
            "tables_checked": self.tables_checked,
            "problems": [p.to_dict() for p in self.problems],
        }


def read_csv_table(path: Path, table: str) -> arrow.Table:
    return arrow_csv.read_csv(
        path,
        parse_options=arrow_csv.ParseOptions(newlines_in_values=True),
        convert_options=arrow_csv.ConvertOptions(
            column_types=arrow_schema(table), strings_can_be_null=True
        ),
    ).cast(arrow_schema(table))


def check_sums(release: Path, report: VerifyReport) -> dict[str, str]:
    """SHA256SUMS against the files; returns the SHA-256 computed for each file it read."""
    digests: dict[str, str] = {}
    sums = release / "SHA256SUMS"
    if not sums.is_file():
        report.problems.append(Problem("missing", "SHA256SUMS", "no SHA256SUMS file"))
        return digests
    listed: set[str] = set()
    for n, line in enumerate(sums.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name:
            report.problems.append(
                Problem("checksum", "SHA256SUMS", f"line {n} is not '<sha256>  <file>'")
            )
            continue
        listed.add(name)
        path = release / name
        if Path(name).is_absolute() or ".." in Path(name).parts:
            # a release names only its own files: never read a path it points elsewhere
            report.problems.append(
                Problem("checksum", "SHA256SUMS", f"line {n} names a file outside the release")
            )
            continue
        if not path.is_file():
            report.problems.append(Problem("missing", name, "listed in SHA256SUMS, not found"))
            continue
        report.files_checked += 1
        digests[name] = sha256_file(path)
        if digests[name] != digest:
            report.problems.append(
                Problem("checksum", name, "SHA-256 differs from SHA256SUMS: the file changed")
            )
    present = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()}
    for name in sorted(present - listed - {"SHA256SUMS"}):
        report.problems.append(Problem("checksum", name, "file not listed in SHA256SUMS"))
    return digests


def _same_rows(parquet_table: arrow.Table, csv_table: arrow.Table) -> bool:
    """Do the Parquet and CSV files of one table hold the same rows (as the CSV reads back)?"""
    if parquet_table.num_rows != csv_table.num_rows:
        return False
    try:
        return parquet_table.select(csv_table.column_names).cast(csv_table.schema).equals(csv_table)
    except (arrow.ArrowException, KeyError, ValueError):
        return False


def resolve_release(path: Path) -> Path:
    """A release folder, or an output folder whose `latest` file names one."""
    require_utf8_path(path, "release folder")
    if (path / "datapackage.json").is_file():
        return path
    if (path / "latest").is_file():
        named = path / (path / "latest").read_text(encoding="utf-8").strip()
        if not (named / "datapackage.json").is_file():
            raise UsageError(
                f"{path / 'latest'} names {named.name}, which is not a release folder there",
                f"Pass a release folder like {path}/1.0.0, or build again into {path}.",
            )
        return named
    if not path.exists():
        raise UsageError(
            f"{path} does not exist", "Pass a release folder like dist/1.0.0, or dist/."
        )
    raise UsageError(
        f"{path} is not a release folder (no datapackage.json) and has no `latest` file",
        "Pass a release like dist/1.0.0, or dist/ to use the release `latest` names.",
    )


def checksum_problems(release: Path) -> list[Problem]:
    """The release's files against its SHA256SUMS only: what a build, `load` and `sqlite` check
    before they trust a release's data (`verify_release` checks the rest too)."""
    report = VerifyReport(release.as_posix())
    check_sums(release, report)
    return report.problems


def verify_release(release: Path) -> VerifyReport:
    """Check a release folder, or the release an output folder's `latest` names (as `load`
    does)."""
    release = resolve_release(release)
    report = VerifyReport(release.as_posix())
    digests = check_sums(release, report)
    try:
        package = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
        resources = package["resources"]
        if not isinstance(resources, list):
            raise ValueError("`resources` is not a list")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        report.problems.append(Problem("datapackage", "datapackage.json", f"unreadable: {e}"))
        return report
    for k, r in enumerate(resources):
        if not isinstance(r, dict) or not isinstance(r.get("path"), str):
            report.problems.append(
                Problem("datapackage", "datapackage.json", f"resource {k} has no path")
            )
            continue
        if Path(r["path"]).is_absolute() or ".." in Path(r["path"]).parts:
            report.problems.append(
                Problem("datapackage", "datapackage.json", f"resource {k} is outside the release")
            )
            continue
        path = release / r["path"]
        if not path.is_file():
            report.problems.append(Problem("missing", r["path"], "resource file not found"))
            continue
        expected = r.get("hash", "").removeprefix("sha256:")
        actual = digests.get(r["path"]) or sha256_file(path)
        if expected and actual != expected:
            report.problems.append(
                Problem("datapackage", r["path"], "hash differs from datapackage.json")
            )
        if "bytes" in r and path.stat().st_size != r["bytes"]:  # (a str there differs too)
            report.problems.append(
                Problem(
                    "datapackage",
                    r["path"],
                    f"{path.stat().st_size} bytes, datapackage.json says {r['bytes']}",
                )
            )

    tables: dict[str, arrow.Table] = {}
    for table in TABLES:
        for fmt in ("parquet", "csv"):
            name = f"data/{table}.{fmt}"
            try:
                data = (
                    parquet.read_table(release / name)
                    if fmt == "parquet"
                    else read_csv_table(release / name, table)
                )
            except (OSError, arrow.ArrowException) as e:
                report.problems.append(Problem("unreadable", name, str(e).splitlines()[0]))
                continue
            report.tables_checked += 1
            try:
                cases = failure_cases(table, data)
            except Exception as e:  # a swapped or foreign file: damage, reported
                report.problems.append(
                    Problem("schema", name, f"cannot be checked against its schema: {e}")
                )
                continue
            for case in cases[:5]:
                report.problems.append(
                    Problem(
                        "schema",
                        name,
                        f"field {case.column!r}: "
                        f"{constraint_name(case.check)} failed for {case.value!r}"
                        + (f" (row {case.row + 1})" if case.row >= 0 else ""),
                    )
                )
            if fmt == "csv" and table in tables and not _same_rows(tables[table], data):
                report.problems.append(
                    Problem("csv", name, f"holds other rows than data/{table}.parquet")
                )
            if fmt == "parquet" or table not in tables:
                tables[table] = data
    try:
        dangling = list(dangling_references(tables))
    except Exception as e:  # tables that are not what they say: reported
        report.problems.append(Problem("foreign-key", "data", f"cannot be checked: {e}"))
        dangling = []
    for table, column, ref, ref_column, missing in dangling:
        report.problems.append(
            Problem(
                "foreign-key",
                f"data/{table}.parquet",
                f"{table}.{column} has {len(missing)} values missing from "
                f"{ref}.{ref_column}, e.g. {missing[0]!r}",
            )
        )
    return report
