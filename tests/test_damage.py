"""A damaged record cache, a full temporary folder, a read-only output folder or a build
killed while publishing never crashes a later build (issue 18).

The cache only saves time: a damaged file is deleted and made anew, a damaged entry is
computed again, a failed write (a full disk) stops the writes; each is a warning, and the
release is the one a build without the cache makes. A full TMPDIR under the spool is a
one-line error with what to do. Faults are injected where the platform cannot make them."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

import pytest
from helpers import TODAY, jsonl_line, page, write
from typer.testing import CliRunner

from kcna_dataset.build import build
from kcna_dataset.cli import app
from kcna_dataset.exceptions import BuildError
from kcna_dataset.release import publish as publish_module
from kcna_dataset.release.verify import verify_release
from kcna_dataset.runtime import cache as cache_module
from kcna_dataset.runtime import spool as spool_module


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    root = tmp_path / "raw"
    write(root, "a.txt", page(title="First Page"))
    write(root, "b.txt", page(title="Second Page", body=["Another text entirely. " * 20]))
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
        f"record cache {cache / 'records.sqlite'}: it could not be used (file is not a "
        "database); it was deleted and made anew"
    ]
    assert result.work["cache_hits"] == 0
    assert _sums(result.published) == _sums(reference.release)  # type: ignore[arg-type]
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
    assert _sums(result.published) == _sums(reference.release)  # type: ignore[arg-type]
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


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_full_cache_disk_is_a_warning_and_the_build_goes_on(
    raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    """Workers store the files' entries, the main process the pair verdicts: a full disk under
    either is one warning, in one process or with a pool."""
    from kcna_dataset.runtime import workers

    opened = cache_module.RecordCache._open
    monkeypatch.setattr(cache_module.RecordCache, "_open", lambda self: _FullDisk(opened(self)))
    connect = cache_module.WorkerCache._connect
    monkeypatch.setattr(
        cache_module.WorkerCache, "_connect", staticmethod(lambda path: _FullDisk(connect(path)))
    )
    monkeypatch.setattr(workers, "POOL_MIN_BYTES", 0)
    cache = tmp_path / "cache"
    out = tmp_path / "dist"
    result = CliRunner().invoke(
        app,
        ["build", "--raw", str(raw), "--out", str(out), "--cache", str(cache), "-j", str(jobs)],
    )
    assert result.exit_code == 0, result.output
    warning = (
        f"Warning: record cache {cache / 'records.sqlite'}: database or disk is full; this run "
        "went on without it (free space, or delete the folder: it only saves time)"
    )
    assert " ".join(result.output.split()).count(warning) == 1
    assert (out / "1.0.0" / "SHA256SUMS").is_file()
    with sqlite3.connect(cache / "records.sqlite") as db:
        assert db.execute("SELECT count(*) FROM entries").fetchone() == (0,)


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


def test_a_read_only_output_folder_is_an_error_or_nothing_to_do(
    raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root, permissions do not stop writes: the read-only file system's errors are
    injected. Nothing changed: no write is needed, none is tried. A new release: one line."""
    out = tmp_path / "dist"
    build(raw, out, today=TODAY)
    real_open = os.open

    def read_only(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    # the lock opens (it exists); only new files fail: `latest` is right, nothing is written
    monkeypatch.setattr(
        publish_module.os,
        "open",
        lambda path, flags, *a, **k: (
            real_open(path, flags, *a, **k)
            if str(path).endswith(".build.lock")
            else read_only(path, flags, *a, **k)
        ),
    )
    result = CliRunner().invoke(app, ["build", "--raw", str(raw), "--out", str(out), "--no-cache"])
    assert (result.exit_code, result.output) == (0, "nothing changed since 1.0.0\n")
    monkeypatch.setattr(publish_module.os, "open", read_only)
    result = CliRunner().invoke(app, ["build", "--raw", str(raw), "--out", str(out), "--no-cache"])
    assert result.exit_code == 1
    assert " ".join(result.output.split()) == (
        f"Error: cannot open the build lock {out / '.build.lock'}: Read-only file system "
        f"Hint: Make {out} writable, or remove {out / '.build.lock'} if it is not a regular file."
    )


def _fail_on(kind: type[BaseException]) -> BaseException:
    return OSError(errno.ENOSPC, "No space left on device") if kind is OSError else kind()


@pytest.mark.parametrize("error", [OSError, KeyboardInterrupt])
@pytest.mark.parametrize(
    "step", ["write_parquet", "write_csv", "_write_json", "write_sha256sums", "rename"]
)
def test_a_failure_at_each_step_of_publishing_leaves_the_releases_as_they_were(
    raw: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
    error: type[BaseException],
) -> None:
    """Fault injection at every step of writing release 1.1.0 over 1.0.0: no partial release,
    `latest` still names 1.0.0, 1.0.0 still verifies; a full disk is one line, Ctrl-C is
    Ctrl-C."""
    out = tmp_path / "dist"
    build(raw, out, today=TODAY)
    write(raw, "c.txt", page(title="A Third Page", body=["A new text for the next release."]))
    if step == "rename":
        real_rename = Path.rename

        def failing(self: Path, target: Path) -> Path:
            if self.name.endswith(".partial"):
                raise _fail_on(error)
            return real_rename(self, target)

        monkeypatch.setattr(Path, "rename", failing)
    else:

        def failing_step(*args: object, **kwargs: object) -> None:
            raise _fail_on(error)

        monkeypatch.setattr(publish_module, step, failing_step)
    expected = BuildError if error is OSError else KeyboardInterrupt
    with pytest.raises(expected) as raised:
        build(raw, out, today=TODAY)
    if error is OSError:
        assert str(raised.value) == f"cannot write release 1.1.0 to {out}: No space left on device"
    monkeypatch.undo()
    assert sorted(p.name for p in out.iterdir()) == [".build.lock", "1.0.0", "latest"]
    assert (out / "latest").read_text() == "1.0.0\n"
    assert verify_release(out / "1.0.0").valid


def test_a_lock_file_linked_to_a_device_is_an_error_not_a_hang(raw: Path, tmp_path: Path) -> None:
    """A lock file symlinked to /dev/zero was read without end: the lock is opened without
    following links."""
    out = tmp_path / "dist"
    out.mkdir()
    (out / ".build.lock").symlink_to("/dev/zero")
    with pytest.raises(BuildError) as raised:
        build(raw, out, today=TODAY)
    assert raised.value.message == (
        f"cannot open the build lock {out / '.build.lock'}: Too many levels of symbolic links"
    )
    assert sorted(p.name for p in out.iterdir()) == [".build.lock"]


def test_a_cache_that_cannot_be_opened_is_made_anew_or_done_without(
    raw: Path, tmp_path: Path
) -> None:
    """A folder where the cache file should be: deleted and made anew. A cache folder that
    cannot be made at all (a file has its name): the build goes on without a cache. Both are
    warnings; neither was before (exit 2, `Pass --cache DIR with a writable folder`)."""
    cache = tmp_path / "cache"
    (cache / "records.sqlite").mkdir(parents=True)
    result = build(raw, tmp_path / "a", today=TODAY, cache_dir=cache)
    assert result.summary["notes"] == [
        f"record cache {cache / 'records.sqlite'}: it could not be used (unable to open "
        "database file); it was deleted and made anew"
    ]
    assert build(raw, tmp_path / "b", today=TODAY, cache_dir=cache).work["cache_hits"] == 3
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file")
    result = build(raw, tmp_path / "c", today=TODAY, cache_dir=blocked)
    assert result.release is not None and result.work["cache_hits"] == 0
    [note] = result.summary["notes"]
    assert note.startswith(f"record cache {blocked / 'records.sqlite'}: ")
    assert note.endswith(
        "; this run went on without it (free space, or delete the folder: it only saves time)"
    )


def test_repair_touches_only_what_a_build_leaves(
    raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Folders a build never makes (`.backup.old`, `.drafts.partial`), a `.old` folder whose
    content is no release, and a backup whose release name is taken by a link are left alone;
    a repair that fails is one Error line, not a traceback."""
    out = tmp_path / "dist"
    first = build(raw, out, today=TODAY)
    sums = _sums(first.release)  # type: ignore[arg-type]
    mine = {
        ".backup.old/notes.txt": "notes",
        ".drafts.partial/draft.txt": "draft",
        ".2.0.0.x1.old/2.0.0/junk.txt": "junk",
    }
    for name, text in mine.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text)
    result = build(raw, out, today=TODAY)
    assert (result.release, result.summary["notes"]) == (None, [])
    for name, text in mine.items():
        assert (out / name).read_text() == text
    assert not (out / "2.0.0").exists()
    # the killed --force state, but the release's name is taken by a dangling link
    aside = out / ".1.0.0.k1ll3d.old"
    aside.mkdir()
    (out / "1.0.0").rename(aside / "1.0.0")
    (out / "1.0.0").symlink_to(tmp_path / "nowhere")
    with pytest.raises(BuildError):
        build(raw, out, today=TODAY)
    assert _sums(aside / "1.0.0") == sums
    # a restore that fails (a read-only folder, injected): one line
    (out / "1.0.0").unlink()

    def refuse(self: Path, target: Path) -> Path:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "rename", refuse)
    with pytest.raises(BuildError) as raised:
        build(raw, out, today=TODAY)
    assert raised.value.message == (
        f"cannot repair what an interrupted build left in {out}: Permission denied"
    )
    monkeypatch.undo()
    assert build(raw, out, today=TODAY).summary["notes"] == [
        "release 1.0.0 was restored: a build run with --force was stopped before its new "
        "release took its place"
    ]


def test_a_batch_of_entries_is_stored_in_one_transaction_or_not_at_all(tmp_path: Path) -> None:
    """The connections are in autocommit mode, where `with db:` opens no transaction: every
    INSERT committed on its own (twice the time), and a batch that failed halfway kept its
    first rows."""
    main = cache_module.RecordCache(tmp_path, "rules")
    worker = cache_module.WorkerCache(main.path, "rules")
    assert worker._db is not None
    said: list[str] = []
    worker._db.set_trace_callback(said.append)
    worker.put_many([("a", b"1"), ("b", b"2"), ("c", b"3")])
    assert [s.split(" (")[0] for s in said] == [
        "BEGIN IMMEDIATE",
        *["INSERT OR REPLACE INTO entries VALUES"] * 3,
        "COMMIT",
    ]
    worker.put_many([("d", b"4"), ("e", object())])  # type: ignore[list-item]
    assert worker.failure is not None
    with sqlite3.connect(main.path) as db:
        assert sorted(k for (k,) in db.execute("SELECT key FROM entries")) == ["a", "b", "c"]
    main.close()
