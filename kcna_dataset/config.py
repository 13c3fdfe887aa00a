"""Settings that decide what a release contains. Their values are recorded in datapackage.json."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """How copies are grouped into statements (docs/DEDUP.md explains each setting).

    method: `normalized` groups copies whose bodies are equal after `match_key` folding
        (Unicode NFKC, curly -> straight quotes, case, all whitespace removed). Dateline, end mark,
        stamp and glued names never reach the comparison: the parse stage moves them out.
    window_days: copies of one text published further apart than this are different statements
        (an anniversary article reprinted a year later is a new article).
    normalizer_version: bumped whenever `match_key` changes; a release records which it used.
    """

    method: str = "normalized"
    window_days: int = 7
    normalizer_version: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
