"""The record types that flow between pipeline stages.

read  -> RawFile        (bytes of one input file)
parse -> Article        (one copy of a statement, as one outlet carried it) or Findings
dedup -> Statement      (one row per statement) + a Membership per article
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any


def record_path(path: str, line: int, column: int | None = None) -> str:
    """Where a record of a record file is (`raw_path`): `file#L<line>`, and `:<column>` where
    several records share the line (a one-line JSON array)."""
    return f"{path}#L{line}" if column is None else f"{path}#L{line}:{column}"


def file_of(raw_path: str) -> str:
    """The file a `raw_path` names (a page's raw_path is its file): what is before its last
    `#L<line>` or `#L<line>:<column>`, so that a file whose name holds `#L` stays itself."""
    head, mark, where = raw_path.rpartition("#L")
    line, colon, column = where.partition(":")
    numbered = line.isascii() and line.isdigit()
    if mark and numbered and (not colon or (column.isascii() and column.isdigit())):
        return head
    return raw_path


@dataclass(frozen=True, slots=True)
class RawFile:
    path: str  # POSIX, relative to the raw folder
    data: bytes
    sha256: str


@dataclass(frozen=True, slots=True)
class Article:
    article_id: str
    source: str
    source_label: str
    title: str
    published_date: date
    listed_date: date | None
    dateline: str | None
    body: str
    end_mark: bool
    stamp: str | None
    topic: str | None
    url: str | None
    raw_path: str
    raw_sha256: str
    line: int | None = None  # where the record starts in its file (JSONL); not published


def article_id_for(
    source: str,
    url: str | None,
    title: str,
    published_date: date,
    listed_date: date | None,
    dateline: str | None,
    body: str,
) -> str:
    """Content-derived id: the same record content gives the same id, whatever its path or order."""
    parts = [
        source,
        url or "",
        title,
        published_date.isoformat(),
        listed_date.isoformat() if listed_date else "",
        dateline or "",
        body,
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return f"a-{digest[:16]}"


@dataclass(frozen=True, slots=True)
class Membership:
    """How one article joined its statement (match/similarity are None on the canonical copy)."""

    statement_id: str
    match: str | None
    similarity: float | None


@dataclass(frozen=True, slots=True)
class Statement:
    statement_id: str
    title: str
    published_date: date
    dateline: str | None
    # the body is the canonical article's (canonical_article_id): not held twice
    canonical_article_id: str
    canonical_source: str
    sources: tuple[str, ...]
    article_count: int
    url: str | None = None  # the canonical copy's
    topic: str | None = None  # the canonical copy's
    revision_count: int = 0  # copies that joined as `revised` (the outlet's other versions)


@dataclass(slots=True)
class StageStats:
    """datatrove-style counters: what came into a stage, what went on, and why the rest stopped."""

    stage: str
    total: int = 0
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)

    def drop(self, reason: str, n: int = 1) -> None:
        self.dropped[reason] += n

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "total": self.total,
            "kept": self.kept,
            "dropped": dict(sorted(self.dropped.items())),
        }
