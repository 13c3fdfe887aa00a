"""Releases versioned by what changed, with changelogs; one build at a time; `latest`."""

from __future__ import annotations

import fcntl
import hashlib
import inspect
import json
import os
from pathlib import Path
from typing import Any

import pyarrow as arrow
import pyarrow.parquet as parquet
import pytest
from helpers import TODAY, page

from kcna_dataset.build import build
from kcna_dataset.exceptions import BuildError, UsageError
from kcna_dataset.records import article_id_for
from kcna_dataset.release.changes import (
    ARTICLE_ID_FIELDS,
    Changes,
    changelog_markdown,
    compare_schemas,
    next_version,
    row_differences,
)
from kcna_dataset.release.publish import LOCK_NAME

SEED_000 = "kcnawatch/000_b3793cfa3d749794.txt"


@pytest.fixture
def first(raw_copy: Path, released: Path) -> tuple[Path, Path]:
    """A copy of raw/ and its first release."""
    return raw_copy, released


def changes_of(release: Path) -> dict[str, Any]:
    return json.loads((release / "changes.json").read_text())


def test_first_release(first: tuple[Path, Path]) -> None:
    _, out = first
    assert (out / "latest").read_text() == "1.0.0\n"
    assert (out / "1.0.0" / "CHANGELOG.md").read_text() == (
        "# kcna-dataset 1.0.0\n\nFirst release.\n\n- 433 statements, 688 articles.\n"
    )
    assert changes_of(out / "1.0.0")["level"] == "first"


def test_nothing_changed_no_release(first: tuple[Path, Path]) -> None:
    raw, out = first
    result = build(raw, out, today=TODAY)
    assert (result.release, result.version, result.changes.level) == (None, "1.0.0", None)
    # the lock file stays (an flock; see publish.build_lock)
    assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME, "1.0.0", "latest"]


def test_correction_is_a_patch(first: tuple[Path, Path]) -> None:
    raw, out = first
    text = (raw / SEED_000).read_text(encoding="utf-8")
    (raw / SEED_000).write_text(
        text.replace("Press Statement by Spokesperson", "Press Statement by the Spokesperson")
    )
    result = build(raw, out, today=TODAY)
    assert result.release is not None and result.version == "1.0.1"
    changes = changes_of(result.published)
    [statement_id] = changes["statements_changed"]
    assert changes["statements_changed"] == {statement_id: ["canonical_article_id", "title"]}
    assert changes["articles_corrected"] == {SEED_000: ["raw_sha256", "title"]}
    assert changes["counts"] == {
        "statements_added": 0,
        "statements_removed": 0,
        "statements_changed": 1,
        "articles_added": 0,
        "articles_removed": 0,
        "articles_corrected": 1,
    }
    articles = parquet.read_table(result.published / "data" / "articles.parquet").to_pylist()
    [article_id] = [a["article_id"] for a in articles if a["raw_path"] == SEED_000]
    assert (result.published / "CHANGELOG.md").read_text() == (
        "# kcna-dataset 1.0.1\n\nChanges since 1.0.0 (patch).\n\n"
        "- statements: 0 added, 0 removed, 1 changed\n"
        "- articles: 0 added, 0 removed, 1 corrected\n\n"
        f"## Statements changed\n\n- `{statement_id}` Press Statement by the Spokesperson "
        "for Institute for Disarmament and Peace of DPRK Foreign Ministry: "
        "canonical_article_id, title\n\n"
        f"## Articles corrected\n\n- `{SEED_000}` `{article_id}` Press Statement by the "
        "Spokesperson for Institute for Disarmament and Peace of DPRK Foreign Ministry: "
        "raw_sha256, title\n"
    )
    assert (out / "latest").read_text() == "1.0.1\n"


def test_new_statement_is_a_minor_release(first: tuple[Path, Path]) -> None:
    raw, out = first
    (raw / "kcnawatch" / "new.txt").write_text(
        page(
            body=[
                "Pyongyang, September 13 (KCNA) -- An entirely new statement about a new "
                "subject. -0-"
            ]
        )
    )
    result = build(raw, out, today=TODAY)
    assert result.release is not None and result.version == "1.1.0"
    changes = changes_of(result.published)
    assert changes["counts"]["statements_added"] == 1
    assert changes["articles_added"] == ["kcnawatch/new.txt"]
    new_ids = parquet.read_table(result.published / "data" / "articles.parquet").to_pylist()
    [new] = [a for a in new_ids if a["raw_path"] == "kcnawatch/new.txt"]
    assert changes["statements_added"] == [new["statement_id"]]
    changelog = (result.published / "CHANGELOG.md").read_text()
    assert changelog.endswith(
        f"## Statements added\n\n- `{new['statement_id']}` Test Statement Title\n\n"
        f"## Articles added\n\n- `kcnawatch/new.txt` `{new['article_id']}` Test Statement Title\n"
    )


def test_removed_file_is_a_minor_release(first: tuple[Path, Path]) -> None:
    raw, out = first
    (raw / SEED_000).unlink()
    result = build(raw, out, today=TODAY)
    assert result.version == "1.1.0"
    changes = changes_of(result.published)
    assert changes["articles_removed"] == [SEED_000]
    assert changes["counts"]["statements_removed"] == 1
    # a removed article is named by its id and title in the release it was in
    before = parquet.read_table(out / "1.0.0" / "data" / "articles.parquet").to_pylist()
    [old] = [a for a in before if a["raw_path"] == SEED_000]
    changelog = (result.published / "CHANGELOG.md").read_text()
    assert f"## Articles removed\n\n- `{SEED_000}` `{old['article_id']}` {old['title']}\n" in (
        changelog
    )


def test_schema_change_is_a_major_release(first: tuple[Path, Path]) -> None:
    raw, out = first
    # make the previous release's declared schema lack a field the tool now publishes
    package_path = out / "1.0.0" / "datapackage.json"
    package = json.loads(package_path.read_text())
    [articles] = [r for r in package["resources"] if r["name"] == "articles"]
    articles["schema"]["fields"] = [f for f in articles["schema"]["fields"] if f["name"] != "topic"]
    package_path.write_text(json.dumps(package))
    # as an older release would have it: its checksum matches (an edit alone is damage, which
    # tests/test_previous_release.py shows stops the build)
    sums = out / "1.0.0" / "SHA256SUMS"
    digest = hashlib.sha256(package_path.read_bytes()).hexdigest()
    sums.write_text(
        "".join(
            f"{digest}  datapackage.json\n" if line.endswith("  datapackage.json") else line + "\n"
            for line in sums.read_text().splitlines()
        )
    )
    result = build(raw, out, today=TODAY)
    assert result.version == "2.0.0"
    assert changes_of(result.published)["schema"] == ["articles.topic added"]


def test_compare_schemas_tightened_and_loosened() -> None:
    def schema(**constraints: object) -> dict[str, dict[str, object]]:
        return {"t": {"fields": [{"name": "x", "type": "string", "constraints": constraints}]}}

    assert compare_schemas(schema(), schema(required=True)) == (
        ["t.x constraint required: None -> True"],
        [],
    )
    assert compare_schemas(schema(minLength=1), schema(minLength=0)) == (
        [],
        ["t.x constraint minLength: 1 -> 0"],
    )
    assert compare_schemas(schema(enum=["a"]), schema(enum=["a", "b"])) == (
        [],
        ["t.x constraint enum: ['a'] -> ['a', 'b']"],
    )
    retyped = {"t": {"fields": [{"name": "x", "type": "integer"}]}}
    assert compare_schemas(schema(), retyped) == (["t.x retyped string -> integer"], [])


@pytest.mark.parametrize(
    ("previous", "level", "expected"),
    [
        (None, "first", "1.0.0"),
        ("1.2.3", "major", "2.0.0"),
        ("1.2.3", "minor", "1.3.0"),
        ("1.2.3", "patch", "1.2.4"),
        ("1.2.3", None, None),
    ],
)
def test_next_version(previous: str | None, level: str | None, expected: str | None) -> None:
    assert next_version(previous, level) == expected


def test_latest_names_the_highest_version(first: tuple[Path, Path]) -> None:
    raw, out = first
    build(raw, out, "0.9.0", today=TODAY, force=True)  # an older version built later
    assert (out / "latest").read_text() == "1.0.0\n"


def test_a_version_below_the_newest_is_refused_and_a_forced_one_says_no_change(
    first: tuple[Path, Path],
) -> None:
    """`--version 0.9.0` below 1.0.0 published a release whose changelog said `First
    release.`; `--version` with nothing changed said `Changes since 1.0.0 (None).`"""
    raw, out = first
    with pytest.raises(UsageError) as raised:
        build(raw, out, "0.9.0", today=TODAY)
    assert raised.value.message == f"version 0.9.0 is lower than the newest release 1.0.0 in {out}"
    result = build(raw, out, "1.0.1", today=TODAY)
    assert (result.published / "CHANGELOG.md").read_text() == (
        "# kcna-dataset 1.0.1\n\nNo changes since 1.0.0: the same tables, published again as "
        "1.0.1 because --version asked for it.\n"
    )


def test_a_statement_that_only_gained_copies_is_said_so(first: tuple[Path, Path]) -> None:
    raw, out = first
    text = (raw / SEED_000).read_text(encoding="utf-8")
    (raw / "kcnawatch" / "copy.txt").write_text(text.replace("KCNA.kp (En)", "Rodong Sinmun"))
    result = build(raw, out, today=TODAY)
    changelog = (result.published / "CHANGELOG.md").read_text()
    assert "## Statements that gained copies\n\n- `s-" in changelog
    assert ": 1 -> 2 copies" in changelog
    assert "## Statements changed" not in changelog
    assert "- statements: 0 added, 0 removed, 1 changed (1 only gained copies)\n" in changelog


def test_statements_that_gained_copies_are_listed_in_id_order() -> None:
    """They were gathered in a set: their order (and the CHANGELOG's bytes) moved with
    PYTHONHASHSEED. Listed in the order of `statements_changed`, which is by id."""
    ids = [f"s-{n:02d}" for n in range(12)]
    changes = Changes(
        "1.0.0",
        statements_changed={k: ["article_count", "sources"] for k in ids},
        copies={k: (1, 2) for k in ids},
    )
    text = changelog_markdown("1.1.0", changes)
    listed = [line.split("`")[1] for line in text.splitlines() if line.endswith("-> 2 copies")]
    assert listed == ids


def test_one_build_at_a_time(first: tuple[Path, Path]) -> None:
    raw, out = first
    holder = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    os.write(holder, b"4242\n")
    fcntl.flock(holder, fcntl.LOCK_EX)  # a live build holds the lock
    try:
        with pytest.raises(BuildError, match=r"another build \(process 4242\) is writing"):
            build(raw, out, "1.5.0", today=TODAY)
    finally:
        os.close(holder)  # its process ends: the kernel releases the lock
    assert not (out / "1.5.0").exists()
    # what a dead build left (a number, nothing, a huge number) does not block the next one
    for left in ("999999999\n", "", "9" * 5000):
        (out / LOCK_NAME).write_text(left)
        result = build(raw, out, "1.5.0", today=TODAY, force=True)
        assert result.release == out / "1.5.0"


def test_failed_build_leaves_an_existing_dist_as_it_was(
    first: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import kcna_dataset.release.publish as publish

    raw, out = first
    before = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (raw / "kcnawatch" / "new.txt").write_text(page(body=["A new statement text. -0-"]))
    real = publish.write_parquet
    calls = 0

    def dies_midway(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt  # Ctrl-C in the middle of writing the tables
        real(*args, **kwargs)

    monkeypatch.setattr(publish, "write_parquet", dies_midway)
    with pytest.raises(KeyboardInterrupt):
        build(raw, out, today=TODAY)
    after = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before


def test_row_differences_are_found_column_by_column(tmp_path: Path) -> None:
    old = arrow.table(
        {
            "k": ["a", "b", "c", "d"],
            "same": [1, 2, 3, None],
            "edited": ["x", None, "z", None],
            "retyped": ["1", "2", "3", "4"],
            "dropped": [None, "gone", None, None],
        }
    )
    new = arrow.table(
        {
            "k": ["e", "d", "c", "b"],  # a removed, e added, another row order
            "same": [9, None, 3, 2],
            "edited": [None, "now", "z", None],
            "retyped": [5, 4, 3, 2],
            "added": [None, None, "new", None],
        }
    )
    parquet.write_table(old, tmp_path / "old.parquet")
    added, removed, changed = row_differences(tmp_path / "old.parquet", new, "k")
    assert (added, removed) == (["e"], ["a"])
    # a retyped column differs on every row, as Python values do ("4" != 4)
    assert changed == {
        "b": ["dropped", "retyped"],
        "c": ["added", "retyped"],
        "d": ["edited", "retyped"],
    }


def test_row_differences_of_rows_in_the_same_order(tmp_path: Path) -> None:
    # the usual case: both sides sorted alike, rows added and removed in between
    old = arrow.table({"k": ["a", "b", "c", "d"], "v": [1, 2, 3, 4]})
    new = arrow.table({"k": ["a", "b", "x", "c"], "v": [1, 20, 0, 3]})
    parquet.write_table(old, tmp_path / "old.parquet")
    assert row_differences(tmp_path / "old.parquet", new, "k") == (["x"], ["d"], {"b": ["v"]})


def test_row_differences_compare_digested_columns_only_where_the_ids_differ(
    tmp_path: Path,
) -> None:
    # "body" is digested by "id": on rows with the same id it cannot differ, and is not read
    # (here it differs on row b anyway, to show it is not compared there)
    old = arrow.table(
        {"k": ["a", "b", "c"], "id": ["1", "2", "3"], "body": ["x", "y", "z"], "n": [1, 2, 3]}
    )
    new = arrow.table(
        {"k": ["a", "b", "c"], "id": ["1", "2", "9"], "body": ["x", "Y", "Z"], "n": [1, 5, 3]}
    )
    parquet.write_table(old, tmp_path / "old.parquet")
    implied = ("id", ("body",))
    assert row_differences(tmp_path / "old.parquet", new, "k", ("id",), implied) == (
        [],
        [],
        {"b": ["n"], "c": ["body"]},
    )
    same_ids = new.set_column(1, "id", old.column("id"))
    assert row_differences(tmp_path / "old.parquet", same_ids, "k", ("id",), implied) == (
        [],
        [],
        {"b": ["n"]},
    )


def test_article_id_digests_the_fields_compare_skips() -> None:
    assert tuple(inspect.signature(article_id_for).parameters) == ARTICLE_ID_FIELDS
