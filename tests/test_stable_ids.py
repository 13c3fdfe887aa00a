"""Statement ids survive releases; splits, merges and retirements are reported."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as parquet
from helpers import TODAY
from hypothesis import given
from hypothesis import strategies as st

from kcna_dataset.build import build
from kcna_dataset.records import Membership, Statement
from kcna_dataset.release.publish import newest_release
from kcna_dataset.stages.dedup.stable_ids import IdChanges, carry_over

SEED_000 = "kcnawatch/000_b3793cfa3d749794.txt"


def statement_of(release: Path, raw_path: str) -> dict[str, Any]:
    articles = parquet.read_table(release / "data" / "articles.parquet").to_pylist()
    [article] = [a for a in articles if a["raw_path"] == raw_path]
    statements = parquet.read_table(release / "data" / "statements.parquet").to_pylist()
    [statement] = [s for s in statements if s["statement_id"] == article["statement_id"]]
    return statement


def test_id_kept_when_a_new_copy_becomes_canonical(raw_copy: Path, tmp_path: Path) -> None:
    first = build(raw_copy, tmp_path, today=TODAY)
    before = statement_of(first.published, SEED_000)
    assert (before["canonical_source"], before["article_count"]) == ("mfa", 1)
    # the same statement arrives from KCNA.kp (priority 1): it becomes the canonical copy
    page = (
        (raw_copy / SEED_000)
        .read_text(encoding="utf-8")
        .replace("Ministry of Foreign Affairs (EN)", "KCNA.kp (En)")
    )
    (raw_copy / "kcnawatch" / "kcna-copy-of-000.txt").write_text(page, encoding="utf-8")
    second = build(raw_copy, tmp_path, "1.1.0", today=TODAY)
    after = statement_of(second.published, SEED_000)
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


# carry_over before it counted and sorted the claims in Arrow (e426a78), kept as the reference
def reference_carry_over(
    statements: list[Statement],
    membership: dict[str, Membership],
    old: dict[str, str],
    previous: str | None,
) -> tuple[list[Statement], dict[str, Membership], IdChanges]:
    """carry_over as it was written first, in Python dicts: the definition the Arrow version
    must agree with."""
    changes = IdChanges(previous)
    # (statement, old id) -> how many of its articles carried that id: one Counter over the
    # articles, not one per statement (a rebuild of a large corpus runs this over all of them)
    claimed = Counter(
        (m.statement_id, old_id)
        for article_id, m in membership.items()
        if (old_id := old.get(article_id)) is not None
    )
    votes: dict[str, list[str]] = defaultdict(list)  # statement -> the old ids it claims
    for s_id, old_id in claimed:
        votes[s_id].append(old_id)
    # the strongest claim on an old id wins it; ties go to the smaller old id / statement id
    claims = sorted((-n, old_id, s_id) for (s_id, old_id), n in claimed.items())
    assigned: dict[str, str] = {}
    taken: set[str] = set()
    for _, old_id, s_id in claims:
        if s_id not in assigned and old_id not in taken:
            assigned[s_id] = old_id
            taken.add(old_id)
    renamed = {s.statement_id: assigned.get(s.statement_id, s.statement_id) for s in statements}
    # a fresh content id must not collide with an old id now carried by another statement
    for s_id, new_id in list(renamed.items()):
        while s_id not in assigned and new_id in taken:
            new_id = "s-" + hashlib.sha256(new_id.encode()).hexdigest()[:16]
        renamed[s_id] = new_id

    holders: dict[str, list[str]] = defaultdict(list)
    for s in statements:
        claimed_ids = votes.get(s.statement_id, ())
        for old_id in claimed_ids:
            holders[old_id].append(renamed[s.statement_id])
        if len(claimed_ids) > 1:
            changes.merged[renamed[s.statement_id]] = sorted(claimed_ids)
        if s.statement_id in assigned:
            changes.kept += 1
        else:
            changes.new.append(renamed[s.statement_id])
    changes.split = {o: sorted(h) for o, h in sorted(x for x in holders.items() if len(x[1]) > 1)}
    changes.retired = sorted(set(old.values()) - taken)
    # most ids carry over unchanged: copy only the records whose id changes
    out_statements = [
        s if (new := renamed[s.statement_id]) == s.statement_id else replace(s, statement_id=new)
        for s in statements
    ]
    out_membership = {
        a: m if (new := renamed[m.statement_id]) == m.statement_id else replace(m, statement_id=new)
        for a, m in membership.items()
    }
    return out_statements, out_membership, changes


_IDS = st.sampled_from(["s-1", "s-2", "s-3", "s-4", "s-5", "s-ä", "s-😀", "S-1"])


@given(
    articles=st.dictionaries(
        st.text("abcdef", min_size=1, max_size=3),  # article ids
        st.tuples(_IDS, st.one_of(st.none(), _IDS)),  # (statement now, id in the old release)
        max_size=25,
    ),
    retired=st.lists(_IDS, max_size=3),  # old ids of articles that are gone
)
def test_carry_over_agrees_with_the_reference(
    articles: dict[str, tuple[str, str | None]], retired: list[str]
) -> None:
    membership = {a: Membership(s_id, None, None) for a, (s_id, _) in articles.items()}
    old = {a: old_id for a, (_, old_id) in articles.items() if old_id is not None}
    old.update({f"gone-{n}": old_id for n, old_id in enumerate(retired)})
    # every statement some article belongs to, in a fixed order, plus one with no articles
    ids = sorted({m.statement_id for m in membership.values()})
    statements = [_statement(s_id) for s_id in ids]
    statements.append(_statement("s-" + hashlib.sha256(b"s-1").hexdigest()[:16]))
    got = carry_over(statements, membership, old, "1.0.0")
    expected = reference_carry_over(statements, membership, old, "1.0.0")
    assert got[0] == expected[0]
    assert got[1] == expected[1]
    assert got[2].to_dict() == expected[2].to_dict()
    assert list(got[2].merged) == list(expected[2].merged)  # the order stats.json shows
    assert got[2].new == expected[2].new
