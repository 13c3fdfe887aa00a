"""Settings that decide what a release contains. Their values are recorded in datapackage.json."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """Every deduplication threshold, in one place (docs/DEDUP.md explains each).

    Candidate search (MinHash + LSH over word shingles):
      shingle_size, num_perm, bands x rows (bands * rows == num_perm), seed: the S-curve
      1 - (1 - J**rows)**bands finds a pair at Jaccard 0.5 with p = 0.995, 0.4 with 0.93.
      prefix_tokens: a second index over each text's first tokens, so that a truncated reprint
      (which shares the start, not the whole) is found.
    Verification (on the real token sets of every candidate pair):
      near_threshold: shingle Jaccard at or above which two copies are the same text.
      containment_threshold, min_truncated_fraction: a shorter copy that is at least this
        fraction of the longer and whose shingles lie this much inside it is a truncated reprint.
      window_days: copies further apart than this from the statement's canonical copy are
        different statements.
      number_tolerance_tokens: one differing number/date token is allowed per this many tokens
        (0 for texts shorter than that): template messages and daily series differ in them.
      name_tolerance: differing capitalised names allowed, as a fraction of all names seen,
        plus one per name_tolerance_tokens tokens.
    Clustering (star clustering around canonical copies, with bridges):
      bridge_floor, bridge_containment: a copy that verified against a member (not the
        canonical copy) joins only if it has no conflict with the canonical copy and shares at
        least this Jaccard, or this opening containment, with it.
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
    number_tolerance_tokens: int = 1000
    name_tolerance: float = 0.1
    name_tolerance_tokens: int = 500
    bridge_floor: float = 0.2
    bridge_containment: float = 0.5
    normalizer_version: int = 2

    def __post_init__(self) -> None:
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
