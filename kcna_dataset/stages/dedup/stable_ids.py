"""Statement ids that survive releases.

A new build reads the newest release in the output folder and lets each statement keep the id
its articles carried there (articles have content ids, so the same copy has the same id in both).
New copies joining a statement, or its canonical copy changing, keep the id; a statement that new
evidence splits or merges is reported.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyarrow as arrow
import pyarrow.compute as pc
import pyarrow.parquet as parquet

from kcna_dataset.records import Membership, Statement


def previous_ids(release: Path) -> dict[str, str]:
    """article_id -> statement_id in a published release."""
    table = parquet.read_table(
        release / "data" / "articles.parquet", columns=["article_id", "statement_id"]
    )
    return dict(
        zip(
            table.column("article_id").to_pylist(),
            table.column("statement_id").to_pylist(),
            strict=True,
        )
    )


@dataclass(slots=True)
class IdChanges:
    """What happened to statement ids against the previous release."""

    previous: str | None = None  # the release compared against
    kept: int = 0
    new: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)  # old ids no statement carries any more
    split: dict[str, list[str]] = field(default_factory=dict)  # old id -> new statements now
    merged: dict[str, list[str]] = field(default_factory=dict)  # statement -> old ids it joins

    def to_dict(self) -> dict[str, Any]:
        return {
            "previous_release": self.previous,
            "kept": self.kept,
            "new": len(self.new),
            "retired": sorted(self.retired),
            "split": self.split,
            "merged": self.merged,
        }


def carry_over(
    statements: list[Statement],
    membership: dict[str, Membership],
    old: dict[str, str],
    previous: str | None,
) -> tuple[list[Statement], dict[str, Membership], IdChanges]:
    """Give each statement the id its articles had in the previous release, where it can.

    A statement claims each old id its articles carried, as strongly as the number of articles
    that carried it; the strongest claim on an old id wins it (ties go to the smaller old id,
    then the smaller statement id), one old id per statement. The claims are counted and sorted
    in Arrow (which orders strings by their UTF-8 bytes, as Python orders them by code point):
    in Python dicts this took ~10 s of a million-article rebuild.
    """
    changes = IdChanges(previous)
    articles = arrow.table(
        {
            "article_id": arrow.array(list(membership), arrow.string()),
            "statement_id": arrow.array(
                [m.statement_id for m in membership.values()], arrow.string()
            ),
        }
    )
    before = arrow.table(
        {
            "article_id": arrow.array(list(old), arrow.string()),
            "old_id": arrow.array(list(old.values()), arrow.string()),
        }
    )
    # (statement, old id, how many of its articles carried that id)
    claims = (
        articles.join(before, "article_id", join_type="inner")
        .group_by(["statement_id", "old_id"], use_threads=False)
        .aggregate([([], "count_all")])
    )
    strongest_first = [
        ("count_all", "descending"),
        ("old_id", "ascending"),
        ("statement_id", "ascending"),
    ]
    order = pc.sort_indices(claims, sort_keys=strongest_first)
    claimants = claims.column("statement_id").take(order).to_pylist()
    claimed = claims.column("old_id").take(order).to_pylist()
    assigned: dict[str, str] = {}
    taken: set[str] = set()
    for s_id, old_id in zip(claimants, claimed, strict=True):
        if s_id not in assigned and old_id not in taken:
            assigned[s_id] = old_id
            taken.add(old_id)
    # statements claiming several old ids (merges) and old ids claimed by several (splits)
    votes: dict[str, list[str]] = defaultdict(list)
    holders: dict[str, list[str]] = defaultdict(list)
    several = _repeated(claims, "statement_id")
    shared = _repeated(claims, "old_id")
    for s_id, old_id in zip(claimants, claimed, strict=True):
        if s_id in several:
            votes[s_id].append(old_id)
        if old_id in shared:
            holders[old_id].append(s_id)
    # the ids that change: a statement given an old id other than its own, and a fresh content
    # id that collides with an old id now carried by another statement
    changed = {s_id: old_id for s_id, old_id in assigned.items() if old_id != s_id}
    for s in statements:
        s_id = new_id = s.statement_id
        if s_id in assigned:
            changes.kept += 1
            new_id = assigned[s_id]
        else:
            while new_id in taken:
                new_id = "s-" + hashlib.sha256(new_id.encode()).hexdigest()[:16]
            if new_id != s_id:
                changed[s_id] = new_id
            changes.new.append(new_id)
        if s_id in votes:
            changes.merged[new_id] = sorted(votes[s_id])
    changes.split = {o: sorted(changed.get(s, s) for s in holders[o]) for o in sorted(holders)}
    changes.retired = sorted(set(old.values()) - taken)
    if not changed:  # the usual rebuild: every id carries over as it is
        return list(statements), membership, changes
    out_statements = [
        replace(s, statement_id=changed[s.statement_id]) if s.statement_id in changed else s
        for s in statements
    ]
    out_membership = {
        a: replace(m, statement_id=changed[m.statement_id]) if m.statement_id in changed else m
        for a, m in membership.items()
    }
    return out_statements, out_membership, changes


def _repeated(claims: arrow.Table, column: str) -> set[str]:
    """The values of `column` in more than one claim."""
    counts = claims.group_by(column, use_threads=False).aggregate([([], "count_all")])
    return set(counts.filter(pc.greater(counts.column("count_all"), 1)).column(column).to_pylist())
