"""Parallel work, the record cache and interruption: same bytes whatever the jobs or the cache.

Speed itself is measured in bench/, not here.
"""

from __future__ import annotations

import pickle
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import pytest
from helpers import RAW, TODAY, page, write
from typer.testing import CliRunner

from kcna_dataset import build as build_module
from kcna_dataset.build import BuildResult, build
from kcna_dataset.cli import app
from kcna_dataset.config import DedupConfig
from kcna_dataset.release import charts as charts_module
from kcna_dataset.runtime import cache as cache_module
from kcna_dataset.runtime import workers
from kcna_dataset.runtime.cache import RecordCache, rules_fingerprint
from kcna_dataset.sources import SourceRegistry
from kcna_dataset.stages.dedup import pipeline as dedup_module

runner = CliRunner()
# what the dedup stage's candidate pairs within the window came to on the shipped raw/
VERDICTS = {
    "texts-differ": 44,
    "substitution": 16,
    "outside-window": 88,
    "revised": 4,
    "short-text": 1,
}


def release_bytes(release: Path) -> dict[str, bytes]:
    return {
        p.relative_to(release).as_posix(): p.read_bytes() for p in release.rglob("*") if p.is_file()
    }


def test_two_jobs_publish_the_same_bytes_as_one(
    shipped_release: BuildResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = shipped_release  # the shipped raw/ is too small to pool: built in one process
    monkeypatch.setattr(workers, "POOL_MIN_BYTES", 0)
    # the charts drawn for real in a worker (the tests' memo would hand over the bytes the
    # main process drew: helpers._drawn_once)
    monkeypatch.setattr(build_module, "timeline_chart", charts_module.timeline_chart)
    monkeypatch.setattr(build_module, "copies_charts", charts_module.copies_charts)
    two = build(RAW, tmp_path / "two", today=TODAY, jobs=2)
    assert one.work == {"cache_hits": 0, "processed": 5, "jobs": 1}
    assert two.work == {"cache_hits": 0, "processed": 5, "jobs": 2}
    assert release_bytes(one.published) == release_bytes(two.published)


def test_small_input_runs_in_one_process(tmp_path: Path) -> None:
    result = build(RAW, tmp_path, today=TODAY, jobs=2)
    assert result.work["jobs"] == 1  # 5 files, < 1 MB: a pool would cost more than it saves


def test_cached_outcomes_are_stored_compressed(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    build(RAW, tmp_path / "out", today=TODAY, cache_dir=cache)
    with sqlite3.connect(cache / "records.sqlite") as db:
        values = [bytes(v) for (v,) in db.execute("SELECT value FROM entries")]
    # each input file's entry, whatever else (pair verdicts) is stored beside them
    stored = [(v, e) for v in values if isinstance(e := _unpacked(v), workers.CacheEntry)]
    assert sorted(e.name for _, e in stored) == sorted(
        p.relative_to(RAW).as_posix() for p in RAW.rglob("*") if p.suffix in (".jsonl", ".txt")
    )
    assert sum(e.records for _, e in stored) == 688
    assert sum(len(e.rows) for _, e in stored) == 688
    # a page's one article as its values, the record file's 684 as an Arrow table
    assert sorted((e.name.split("/")[0], type(e.rows).__name__) for _, e in stored) == [
        ("kcna-kp", "ArticleTable"),
        *[("kcnawatch", "list")] * 4,
    ]
    for value, entry in stored:  # exactly pack(entry), smaller than its pickle
        assert cache_module.pack(entry) == value
        # the 684-article file: 0.32 of its pickle; a one-page file: 0.60-0.62
        assert len(value) < 0.75 * len(pickle.dumps(entry, pickle.HIGHEST_PROTOCOL))


def _unpacked(value: bytes) -> object:
    return cache_module.unpack(value)  # a file's entry or a pair verdict


@pytest.mark.parametrize("jobs", [1, 2])
def test_cache_hits_give_the_same_release(
    tmp_path: Path, raw_copy: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    monkeypatch.setattr(workers, "POOL_MIN_BYTES", 0)
    cache = tmp_path / "cache"
    first = build(raw_copy, tmp_path / "a", today=TODAY, jobs=jobs, cache_dir=cache)
    assert first.work == {"cache_hits": 0, "processed": 5, "jobs": jobs}
    again = build(raw_copy, tmp_path / "b", today=TODAY, jobs=jobs, cache_dir=cache)
    assert again.work == {"cache_hits": 5, "processed": 5, "jobs": jobs}
    assert release_bytes(first.published) == release_bytes(again.published)

    # one page changed, one added: only those two are parsed again
    seed = next((raw_copy / "kcnawatch").glob("*.txt"))
    seed.write_text(seed.read_text().replace("Pyongyang", "Pyongyang City", 1))
    write(raw_copy, "contrib/new.txt", page(title="Unit Test Page Added"))
    changed = build(raw_copy, tmp_path / "c", today=TODAY, jobs=jobs, cache_dir=cache)
    assert changed.work == {"cache_hits": 4, "processed": 6, "jobs": jobs}
    fresh = build(raw_copy, tmp_path / "d", today=TODAY, jobs=jobs)
    assert release_bytes(changed.published) == release_bytes(fresh.published)


def test_fingerprint_follows_the_parse_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry, config = SourceRegistry.load(), DedupConfig()
    before = rules_fingerprint(registry, config)
    package = tmp_path / "kcna_dataset"
    shutil.copytree(cache_module.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache_module, "PACKAGE", package)
    assert rules_fingerprint(registry, config) == before  # same code, same fingerprint
    for rules in ("stages/parse/text.py", "stages/record_rules.py", "language.py"):
        changed = package / rules
        original = changed.read_text()
        changed.write_text(original + "\n# a changed rule\n")
        assert rules_fingerprint(registry, config) != before, rules
        changed.write_text(original)
    assert rules_fingerprint(registry, config) == before
    # settings and registry count too
    monkeypatch.setattr(cache_module, "PACKAGE", cache_module.PACKAGE)
    assert rules_fingerprint(registry, DedupConfig(shingle_size=4, num_perm=120)) != before
    smaller = SourceRegistry(registry.sources[1:])
    assert rules_fingerprint(smaller, config) != before


def test_entries_of_other_rules_are_dropped(tmp_path: Path) -> None:
    old = RecordCache(tmp_path, "old-rules")
    old.put("k1", b"v1")
    old.close()
    new = RecordCache(tmp_path, "new-rules")
    new.put("k2", b"v2")
    new.close()
    rows = sqlite3.connect(tmp_path / "records.sqlite").execute("SELECT key, rules FROM entries")
    assert sorted(rows) == [("k2", "new-rules")]


def test_entry_keys_follow_the_file_names() -> None:
    """Files are processed in name order, so their entries' keys must sort as the names do (a
    build's inserts then land side by side in the index); the rules and the bytes still make
    another key."""
    names = ["2023/kcna-kp/a.html", "2023/kcna-kp/b.html", "2023/rodong/a.html", "2024/a.html"]
    keys = [cache_module.entry_key("rules", name, "sha") for name in names]
    assert sorted(keys) == keys
    assert [(k[:-33], k[-33], len(k[-32:])) for k in keys] == [(n, "\x1f", 32) for n in names]
    assert all("\0" not in k for k in keys)  # SQLite's tools cut TEXT at NUL
    other = {
        cache_module.entry_key("rules", names[0], "sha"),
        cache_module.entry_key("other rules", names[0], "sha"),
        cache_module.entry_key("rules", names[0], "other sha"),
    }
    assert len(other) == 3


def test_future_dated_file_is_not_cached(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    future = page(date_field="13/09/2027", listing="September 13, 2027Sep 13, 2027")
    write(raw, "future.txt", future)
    write(raw, "fine.txt", page(title="A Second Page"))
    # rejected first for its source, and dated in the future too: not cached either
    write(raw, "nope.txt", page(label="Nope (En)", line_label="Nope (En)", date_field="13/09/2027"))
    cache = tmp_path / "cache"
    for _ in range(2):
        result = build(
            raw,
            tmp_path / "out",
            "1.0.0",
            today=TODAY,
            cache_dir=cache,
            skip_invalid=True,
            force=True,
        )
    # the future-dated page is parsed again each time: tomorrow it may be valid
    assert result.work == {"cache_hits": 1, "processed": 3, "jobs": 1}
    # both its dates are in the future: the listing date and the published date
    assert [(r.raw_path, r.code) for r in result.report.rejections] == [
        ("future.txt", "date-out-of-range"),
        ("future.txt", "date-out-of-range"),
        ("nope.txt", "source-unknown"),
        ("nope.txt", "date-after-listing"),
        ("nope.txt", "date-out-of-range"),
    ]


def test_cli_jobs_must_be_positive(tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", "--out", str(tmp_path), "--jobs", "0"])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "Error: --jobs 0 is not a positive number",
        "Hint: Pass --jobs 1 or more.",
    ]


def test_cli_uses_and_reports_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    args = ["build", "--raw", str(RAW), "--cache", str(cache)]
    first = runner.invoke(app, [*args, "--out", str(tmp_path / "a")])
    second = runner.invoke(app, [*args, "--out", str(tmp_path / "b")])
    assert first.exit_code == 0 and second.exit_code == 0

    def timing(output: str) -> str:
        [line] = [x for x in output.splitlines() if x.startswith("took ")]
        return line

    assert timing(first.output).endswith("; 1 job; record cache: 0 of 5 files")
    assert timing(second.output).endswith("; 1 job; record cache: 5 of 5 files")
    assert (cache / "records.sqlite").is_file()
    none = runner.invoke(app, [*args, "--out", str(tmp_path / "c"), "--no-cache"])
    assert timing(none.output).endswith("; 1 job; record cache: 0 of 5 files")


def test_ctrl_c_exits_cleanly_and_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kcna_dataset import build as build_module

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(build_module, "settle", interrupted)
    # as large as input whose tables go to the spool (RAW itself is held in memory)
    monkeypatch.setattr(build_module, "input_bytes", lambda files, enough=None: 1 << 40)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    made: list[str] = []
    mkdtemp = tempfile.mkdtemp

    def recorded(*args: Any, **kwargs: Any) -> str:
        made.append(mkdtemp(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(tempfile, "mkdtemp", recorded)
    result = runner.invoke(app, ["build", "--raw", str(RAW), "--out", str(tmp_path / "out")])
    assert [Path(m).parent for m in made] == [temporary]  # the spool's folder
    assert result.exit_code == 130
    assert result.output.splitlines() == [
        "Interrupted: nothing was published; existing releases are as they were."
    ]
    # nothing published; only the build lock's file (an flock, left in place)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".build.lock"]
    assert list(temporary.iterdir()) == []  # nor a spool left behind


def test_pair_verdicts_are_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    first = build(RAW, tmp_path / "a", today=TODAY, cache_dir=cache)
    assert first.dedup.verified == VERDICTS

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a pair was verified again")

    monkeypatch.setattr(dedup_module, "verify", refuse)
    monkeypatch.setattr(dedup_module, "unit_features", refuse)
    second = build(RAW, tmp_path / "b", today=TODAY, cache_dir=cache)
    assert second.dedup.verified == VERDICTS
    assert release_bytes(second.published) == release_bytes(first.published)
    # without the cache the same build has to verify
    with pytest.raises(AssertionError, match="verified again"):
        build(RAW, tmp_path / "c", today=TODAY, cache_dir=None)


def test_a_cache_value_altered_on_disk_is_parsed_again(tmp_path: Path) -> None:
    """A flipped bit could still decompress and unpickle (a title off by one character was
    published as if parsed): values carry a digest; a TEXT value crashed the build."""
    cache = tmp_path / "cache"
    first = build(RAW, tmp_path / "a", today=TODAY, cache_dir=cache)
    with sqlite3.connect(cache / "records.sqlite") as db:
        rows = sorted(db.execute("SELECT key, value FROM entries"))
        stored = [
            (k, bytes(v)) for k, v in rows if isinstance(_unpacked(bytes(v)), workers.CacheEntry)
        ]
        (flipped, value), (texted, _) = stored[0], stored[1]
        changed = bytearray(value)
        changed[len(changed) // 2] ^= 0x04
        db.execute("UPDATE entries SET value = ? WHERE key = ?", (bytes(changed), flipped))
        db.execute("UPDATE entries SET value = 'x' WHERE key = ?", (texted,))
    again = build(RAW, tmp_path / "b", today=TODAY, cache_dir=cache)
    assert again.work == {"cache_hits": 3, "processed": 5, "jobs": 1, "cache_damaged": 1}
    assert release_bytes(again.published) == release_bytes(first.published)
