"""Settings that decide what a release contains. Their values are recorded in datapackage.json."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """Every deduplication threshold, in one place (docs/DEDUP.md explains each).

    Candidate search (MinHash + LSH over word shingles):
      shingle_size, num_perm, bands x rows (bands * rows == num_perm), seed: the S-curve
      1 - (1 - J**rows)**bands finds a pair at Jaccard 0.5 with p = 0.995, 0.4 with 0.93.
      prefix_tokens: a second index over each text's first tokens, so that a truncated reprint
      (which shares the start, not the whole) is found.
    Verification (on the real texts of every candidate pair; docs/DEDUP.md states the rules):
      near_threshold: shingle Jaccard at or above which two copies are the same text.
      containment_threshold, min_truncated_fraction: a shorter copy that is at least this
        fraction of the longer and whose shingles lie this much inside it is a truncated reprint.
      window_days: copies further apart than this from the statement's canonical copy are
        different statements.
      A substituted name or number (rule 2) is a conflict at any length: no tolerance to set.
      url_reuse_floor: one outlet's two texts under one URL on one date are a revision
        (`revised`) unless their Jaccard is below this (and the shorter is not contained in
        the longer): then a scraper stored another article's body under the URL.
      title_near, revision_floor: without a URL, one outlet's two texts of one date whose
        titles' word Jaccard is at least title_near and whose texts' at least revision_floor
        are a revision.
      short_text_words, short_text_coverage: a text shorter than this merges only with a text
        whose alignment covers this share of the longer, or under a near-identical title.
      crowd_size: an LSH bucket holding more texts than this is split by the texts' names and
        numbers, and what is still larger is paired with its first text only (bounded cost).
    Clustering (star clustering around canonical copies, with bridges):
      bridge_floor, bridge_containment: a copy that verified against a member (not the
        canonical copy) joins only if it has no conflict with the canonical copy and shares at
        least this Jaccard, or this opening containment, with it.
      ambiguity_margin: a copy that verifies against two statements at the same date gap with
        similarities this close joins neither (the shared part of two template messages).
    normalizer_version: bumped whenever the comparison text changes.
    """

    method: str = "minhash-lsh+verify"
    shingle_size: int = 3
    num_perm: int = 120
    bands: int = 40
    rows: int = 3
    seed: int = 20240913
    prefix_tokens: int = 64
    near_threshold: float = 0.4
    containment_threshold: float = 0.8
    min_truncated_fraction: float = 0.45
    window_days: int = 7
    url_reuse_floor: float = 0.1
    title_near: float = 0.8
    revision_floor: float = 0.25
    short_text_words: int = 100
    short_text_coverage: float = 0.9
    crowd_size: int = 64
    ambiguity_margin: float = 0.05
    bridge_floor: float = 0.2
    bridge_containment: float = 0.5
    normalizer_version: int = 3

    def __post_init__(self) -> None:
        if self.shingle_size < 1:
            raise ValueError(f"shingle_size ({self.shingle_size}) must be at least 1")
        if self.bands * self.rows != self.num_perm:
            raise ValueError(f"bands x rows ({self.bands} x {self.rows}) must equal num_perm")
        if self.prefix_tokens < self.shingle_size:
            # the opening must hold a whole shingle (its shingles are the text's first ones)
            raise ValueError(
                f"prefix_tokens ({self.prefix_tokens}) must be at least shingle_size "
                f"({self.shingle_size})"
            )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# the record cache's folder when none is given (`--cache`): here, a leaf module, so that the
# CLI can name it without importing the cache (and pyarrow) before a command runs
DEFAULT_CACHE_DIR = Path(".kcna-cache")
