"""Statement ids that survive releases.

A new build reads the newest release in the output folder and lets each statement keep the id
its articles carried there (articles have content ids, so the same copy has the same id in both).
New copies joining a statement, or its canonical copy changing, keep the id; a statement that new
evidence splits or merges is reported.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

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
    """Give each statement the id its articles had in the previous release, where it can."""
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
