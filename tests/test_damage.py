"""A damaged record cache or a full temporary folder never crashes a build (issue 18).

The cache only saves time: a damaged file is deleted and made anew, a damaged entry is
computed again, a failed write (a full disk) stops the writes; each is a warning, and the
release is the one a build without the cache makes. A full TMPDIR under the spool is a
one-line error with what to do. Faults are injected where the platform cannot make them."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest
from conftest import TODAY, jsonl_line, page, write
from typer.testing import CliRunner

from kcna_dataset import cache as cache_module
from kcna_dataset import spool as spool_module
from kcna_dataset.build import build
from kcna_dataset.cli import app
from kcna_dataset.exceptions import BuildError


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    root = tmp_path / "raw"
    write(root, "a.txt", page(title="First Page"))
    write(root, "b.txt", page(title="Second Page", body="Another text entirely. " * 20))
    lines = [
        jsonl_line(headline=f"Record {n}", story_text=f"Text number {n}. " * 30) for n in range(3)
    ]
    write(root, "r.jsonl", "\n".join(lines) + "\n")
    return root


def _sums(release: Path) -> str:
    return (release / "SHA256SUMS").read_text()


def test_a_cache_file_that_is_not_a_database_is_made_anew(raw: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    reference = build(raw, tmp_path / "plain", today=TODAY)
    build(raw, tmp_path / "first", today=TODAY, cache_dir=cache)
    (cache / "records.sqlite").write_bytes(b"not a database " * 100)
    for leftover in cache.glob("records.sqlite-*"):
        leftover.unlink()
    result = build(raw, tmp_path / "second", today=TODAY, cache_dir=cache)
    assert result.summary["notes"] == [
        f"record cache {cache / 'records.sqlite'}: it was damaged (file is not a database); "
        "it was deleted and made anew"
    ]
    assert result.work["cache_hits"] == 0
    assert _sums(result.release) == _sums(reference.release)  # type: ignore[arg-type]
    again = build(raw, tmp_path / "third", today=TODAY, cache_dir=cache)
    assert (again.work["cache_hits"], again.summary["notes"]) == (3, [])


def test_damaged_cache_entries_are_parsed_again_and_replaced(raw: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    reference = build(raw, tmp_path / "plain", today=TODAY)
    build(raw, tmp_path / "first", today=TODAY, cache_dir=cache)
    db = sqlite3.connect(cache / "records.sqlite")
    for key, value in db.execute("SELECT key, value FROM entries").fetchall():
        damaged = bytes(value[:20]) + b"x" * 20 + bytes(value[40:])
        db.execute("UPDATE entries SET value = ? WHERE key = ?", (damaged, key))
    db.commit()
    db.close()
    result = build(raw, tmp_path / "second", today=TODAY, cache_dir=cache)
    assert result.summary["notes"] == [
        "3 record cache entries were damaged: the files were parsed again and the entries replaced"
    ]
    assert (result.work["cache_hits"], result.work["cache_damaged"]) == (0, 3)
    assert _sums(result.release) == _sums(reference.release)  # type: ignore[arg-type]
    again = build(raw, tmp_path / "third", today=TODAY, cache_dir=cache)
    assert (again.work["cache_hits"], again.summary["notes"]) == (3, [])


class _FullDisk:
    """A connection whose writes fail as SQLite's do on a full file system."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def executemany(self, *args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __getattr__(self, name: str) -> object:
        return getattr(self._db, name)


def test_a_full_cache_disk_is_a_warning_and_the_build_goes_on(
    raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = cache_module.RecordCache._open
    monkeypatch.setattr(cache_module.RecordCache, "_open", lambda self: _FullDisk(opened(self)))
    cache = tmp_path / "cache"
    out = tmp_path / "dist"
    result = CliRunner().invoke(
        app, ["build", "--raw", str(raw), "--out", str(out), "--cache", str(cache)]
    )
    assert result.exit_code == 0, result.output
    assert (
        f"Warning: record cache {cache / 'records.sqlite'}: database or disk is full; this run "
        "went on without it (free space, or delete the folder: it only saves time)"
    ) in " ".join(result.output.split())
    assert (out / "1.0.0" / "SHA256SUMS").is_file()


def test_a_full_temporary_folder_under_the_spool_is_an_error_with_a_hint(
    raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(spool_module.arrow, "OSFile", no_space)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(spool_module.tempfile, "tempdir", None)  # read TMPDIR again
    out = tmp_path / "dist"
    with pytest.raises(BuildError) as raised:
        build(raw, out, today=TODAY, spool_above_bytes=0)
    assert raised.value.message == (
        f"cannot write the build's spool files in {tmp_path}: No space left on device"
    )
    assert raised.value.hint is not None and "set TMPDIR" in raised.value.hint
    assert not (out / "1.0.0").exists()
    assert list(tmp_path.glob("kcna-spool-*")) == []  # the spool folder is removed


def test_a_build_repairs_what_a_killed_force_build_left(raw: Path, tmp_path: Path) -> None:
    """kill -9 of `build --force` between moving the old release aside and moving the new one
    in left no release 1.0.0 and `latest` naming it; a staging folder of a killed build stayed
    for ever. The state such kills leave is made here; the next build repairs it."""
    out = tmp_path / "dist"
    first = build(raw, out, today=TODAY)
    sums = _sums(first.release)  # type: ignore[arg-type]
    aside = out / ".1.0.0.k1ll3d.old"
    aside.mkdir()
    (out / "1.0.0").rename(aside / "1.0.0")
    staging = out / ".1.0.0.k1ll3d.partial"
    (staging / "data").mkdir(parents=True)
    (staging / "data" / "articles.csv").write_text("half a file")
    result = build(raw, out, today=TODAY)
    assert result.release is None  # nothing changed since the restored 1.0.0
    assert result.summary["notes"] == [
        "release 1.0.0 was restored: a build run with --force was stopped before its new "
        "release took its place",
        "removed 1 unfinished release folder(s) left by an interrupted build",
    ]
    assert sorted(p.name for p in out.iterdir()) == [".build.lock", "1.0.0", "latest"]
    assert _sums(out / "1.0.0") == sums
    assert (out / "latest").read_text() == "1.0.0\n"


def test_ctrl_c_while_force_swaps_releases_puts_the_old_one_back(
    raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "dist"
    first = build(raw, out, today=TODAY)
    sums = _sums(first.release)  # type: ignore[arg-type]
    real_rename = Path.rename

    def rename(self: Path, target: Path) -> Path:
        if self.name.endswith(".partial"):  # the new release moving in
            raise KeyboardInterrupt
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        build(raw, out, "1.0.0", today=TODAY, force=True)
    assert sorted(p.name for p in out.iterdir()) == [".build.lock", "1.0.0", "latest"]
    assert _sums(out / "1.0.0") == sums
