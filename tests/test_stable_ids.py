"""Statement ids survive releases; splits, merges and retirements are reported."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.parquet as parquet
from conftest import TODAY

from kcna_dataset.build import build
from kcna_dataset.dedup.stable_ids import carry_over
from kcna_dataset.publish import newest_release
from kcna_dataset.records import Membership, Statement

SEED_000 = "kcnawatch/000_b3793cfa3d749794.txt"


def statement_of(release: Path, raw_path: str) -> dict[str, object]:
    articles = parquet.read_table(release / "data" / "articles.parquet").to_pylist()
    [article] = [a for a in articles if a["raw_path"] == raw_path]
    statements = parquet.read_table(release / "data" / "statements.parquet").to_pylist()
    [statement] = [s for s in statements if s["statement_id"] == article["statement_id"]]
    return statement


def test_id_kept_when_a_new_copy_becomes_canonical(raw_copy: Path, tmp_path: Path) -> None:
    first = build(raw_copy, tmp_path, today=TODAY)
    before = statement_of(first.release, SEED_000)
    assert (before["canonical_source"], before["article_count"]) == ("mfa", 1)
    # the same statement arrives from KCNA.kp (priority 1): it becomes the canonical copy
    page = (
        (raw_copy / SEED_000)
        .read_text(encoding="utf-8")
        .replace("Ministry of Foreign Affairs (EN)", "KCNA.kp (En)")
    )
    (raw_copy / "kcnawatch" / "kcna-copy-of-000.txt").write_text(page, encoding="utf-8")
    second = build(raw_copy, tmp_path, "1.1.0", today=TODAY)
    after = statement_of(second.release, SEED_000)
    assert after["statement_id"] == before["statement_id"]
    assert (after["canonical_source"], after["article_count"], after["sources"]) == (
        "kcna-kp",
        2,
        "kcna-kp;mfa",
    )
    assert second.summary["statement_ids"] == {
        "previous_release": "1.0.0",
        "kept": 433,
        "new": 0,
        "retired": [],
        "split": {},
        "merged": {},
    }


def test_newest_release_orders_versions_numerically(tmp_path: Path) -> None:
    for version in ("1.9.0", "1.10.0", "not-a-version"):
        (tmp_path / version / "data").mkdir(parents=True)
        (tmp_path / version / "data" / "articles.parquet").write_bytes(b"")
    assert newest_release(tmp_path) == tmp_path / "1.10.0"
    assert newest_release(tmp_path / "missing") is None


def _statement(statement_id: str) -> Statement:
    return Statement(statement_id, "t", date(2024, 1, 1), None, "a-1", "kcna-kp", ("kcna-kp",), 1)


def test_split_merge_and_retired_are_reported() -> None:
    # old release: a1, a2 in s-old-1; a3, a4 in s-old-2; a5 in s-old-3 (now gone)
    old = {"a1": "s-old-1", "a2": "s-old-1", "a3": "s-old-2", "a4": "s-old-2", "a5": "s-old-3"}
    # new evidence: a2 splits off s-old-1 and joins a3, a4 (a merge of s-old-1 and s-old-2)
    membership = {
        "a1": Membership("s-new-x", None, None),
        "a2": Membership("s-new-y", None, None),
        "a3": Membership("s-new-y", "exact", 1.0),
        "a4": Membership("s-new-y", "exact", 1.0),
        "a6": Membership("s-new-z", None, None),
    }
    statements = [_statement("s-new-x"), _statement("s-new-y"), _statement("s-new-z")]
    renamed, new_membership, changes = carry_over(statements, membership, old, "1.0.0")
    assert [s.statement_id for s in renamed] == ["s-old-1", "s-old-2", "s-new-z"]
    assert new_membership["a2"].statement_id == "s-old-2"
    assert changes.to_dict() == {
        "previous_release": "1.0.0",
        "kept": 2,
        "new": 1,
        "retired": ["s-old-3"],
        "split": {"s-old-1": ["s-old-1", "s-old-2"]},
        "merged": {"s-old-2": ["s-old-1", "s-old-2"]},
    }
