"""The parse stage's output record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from kcna_dataset.findings import Finding
from kcna_dataset.stages.parse.text import Body


@dataclass(frozen=True, slots=True)
class Draft:
    """A record whose structure parsed; its content is checked by the validate stage."""

    title: str
    published_date: date
    body: Body
    source_label: str | None = None  # pages name their source; scraper records have a URL
    line_label: str | None = None  # a page's line-2 label, which must equal source_label
    listed_date: date | None = None
    url: str | None = None
    topic: str | None = None
    # line of each located field in the raw file, for findings
    lines: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ParsedRecord:
    """One input record: a page file, a JSONL line, or a whole file that could not be split."""

    raw_path: str  # path, plus `#L<line>` for a JSONL record
    line: int | None
    raw_sha256: str
    draft: Draft | None  # None when the structure did not parse
    findings: tuple[Finding, ...] = ()
    # what the record says it is where its draft did not parse (a scraper record's headline
    # and link): a rejection shows it, so a contributor sees what was kept out
    title: str | None = None
    url: str | None = None
