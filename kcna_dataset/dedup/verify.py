"""Verification of one candidate pair on the real token sets: is it one statement or two?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from kcna_dataset.config import DedupConfig
from kcna_dataset.dedup.minhash import sorted_unique
from kcna_dataset.dedup.normalize import Tokens, opening, tokenize


class Features:
    """What verification needs of one text. The shingle set is built on first use: most
    texts are never in a candidate pair. Sets are sorted numpy arrays, not frozensets: a
    frozenset of 300 Python ints takes ~25 kB, the array 2.4 kB, and the dedup stage holds one
    per text until the text's last candidate pair."""

    __slots__ = ("_shingles", "ordered", "published", "text", "tokens")

    def __init__(self, text: str, tokens: Tokens, ordered: np.ndarray, published: date) -> None:
        self.text = text  # the comparison text
        self.tokens = tokens
        self.ordered = ordered  # shingle hashes in text order
        self.published = published
        self._shingles: np.ndarray | None = None

    @property
    def shingles(self) -> np.ndarray:
        """The distinct shingle hashes, sorted."""
        if self._shingles is None:
            self._shingles = sorted_unique(self.ordered)
        return self._shingles

    def opening(self, n_shingles: int) -> np.ndarray:
        return sorted_unique(self.ordered[:n_shingles])


def common(a: np.ndarray, b: np.ndarray) -> int:
    """How many values two sorted arrays of distinct values share (|A & B| of the sets)."""
    if len(a) == 0 or len(b) == 0:
        return 0
    at = np.searchsorted(a, b)
    return int(np.count_nonzero(a[np.minimum(at, len(a) - 1)] == b))


@dataclass(frozen=True, slots=True)
class PairScore:
    """The evidence for or against one pair, kept for `kcna-dataset duplicates --explain`."""

    jaccard: float
    containment: float  # of the shorter text in the opening of the longer
    length_ratio: float  # shorter / longer, in tokens
    date_gap_days: int
    numbers_differing: tuple[str, ...]
    names_differing: tuple[str, ...]
    similar: str | None  # near | contained | None: what the texts alone say
    conflict: str | None  # why they cannot be one statement (window, numbers, names), or None
    conflict_kind: str | None = None  # outside-window | numbers-differ | names-differ

    @property
    def match(self) -> str | None:
        return self.similar if self.conflict is None else None

    @property
    def similarity(self) -> float:
        return self.containment if self.similar == "contained" else self.jaccard

    @property
    def verdict(self) -> str:
        """A stable category for counting: the match, or what kept the pair apart."""
        return self.match or self.conflict_kind or "texts-differ"

    @property
    def reason(self) -> str:
        if self.conflict:
            return self.conflict
        if self.similar is None:
            return "texts differ (jaccard below near_threshold, not a truncation)"
        return "same statement"

    def to_dict(self) -> dict[str, Any]:
        return {
            "match": self.match,
            "reason": self.reason,
            "jaccard": round(self.jaccard, 4),
            "containment": round(self.containment, 4),
            "length_ratio": round(self.length_ratio, 4),
            "date_gap_days": self.date_gap_days,
            "numbers_differing": list(self.numbers_differing),
            "names_differing": list(self.names_differing),
        }


def _differing(
    shorter: Features, longer: Features, one_sided: bool
) -> tuple[tuple[str, ...], tuple[str, ...], int]:
    """Numbers and names that differ, and how many names were seen.

    Sets, not counts: a reprint that names someone once more is still the same statement. When
    one text is clearly shorter (a truncated reprint) only the longer text's tail is exempt: the
    shorter must add nothing to the longer, and the longer's opening of the same length must add
    nothing to the shorter (a template's substituted names sit there).
    """
    a = shorter.tokens
    if not one_sided:
        b = longer.tokens
        return (
            tuple(sorted(a.numbers ^ b.numbers)),
            tuple(sorted(a.names ^ b.names)),
            len(a.names | b.names),
        )
    head = tokenize(opening(longer.text, a.n_words))
    numbers = (a.numbers - longer.tokens.numbers) | (head.numbers - a.numbers)
    names = (a.names - longer.tokens.names) | (head.names - a.names)
    return tuple(sorted(numbers)), tuple(sorted(names)), len(a.names | head.names)


def verify(a: Features, b: Features, config: DedupConfig) -> PairScore:
    na, nb = a.tokens.n_words, b.tokens.n_words
    shorter, longer = (a, b) if na <= nb else (b, a)
    shared = common(a.shingles, b.shingles)
    jaccard = shared / max(1, len(a.shingles) + len(b.shingles) - shared)
    # A truncated reprint is the *opening* of the longer text: measure containment there.
    opening = longer.opening(int(len(shorter.ordered) * 1.1) + 5)
    containment = common(shorter.shingles, opening) / max(1, len(shorter.shingles))
    length_ratio = min(na, nb) / max(1, max(na, nb))
    gap = abs((a.published - b.published).days)

    similar: str | None = None
    if (
        containment >= config.containment_threshold
        and config.min_truncated_fraction <= length_ratio < 0.9
    ):
        similar = "contained"
    elif jaccard >= config.near_threshold:
        similar = "near"
    if (
        similar is None
        and jaccard < config.bridge_floor
        and (containment < config.bridge_containment)
    ):
        # too different to merge or to bridge: the numbers and names need not be read
        return PairScore(jaccard, containment, length_ratio, gap, (), (), None, None)
    # a text much shorter than the other is compared one way: it may lack the other's tail
    one_sided = length_ratio < 0.95
    numbers, names, names_seen = _differing(shorter, longer, one_sided)

    conflict: str | None = None
    kind: str | None = None
    n = min(na, nb)
    allowed_numbers = n // config.number_tolerance_tokens
    if gap > config.window_days:
        kind, conflict = (
            "outside-window",
            f"published {gap} days apart (window_days={config.window_days})",
        )
    elif len(numbers) > allowed_numbers:
        kind = "numbers-differ"
        conflict = f"{len(numbers)} numbers/dates differ (allowed {allowed_numbers})"
    elif a.tokens.normal_case and b.tokens.normal_case:
        allowed_names = int(config.name_tolerance * names_seen) + n // config.name_tolerance_tokens
        if len(names) > allowed_names:
            kind, conflict = "names-differ", f"{len(names)} names differ (allowed {allowed_names})"
    return PairScore(
        jaccard, containment, length_ratio, gap, numbers, names, similar, conflict, kind
    )


def bridgeable(to_center: PairScore, config: DedupConfig) -> bool:
    """May a copy that matched a cluster member join that member's statement?

    Only if nothing sets it apart from the statement's canonical copy (no window, number or name
    conflict) and it still shares text with it: so A~B, B~C cannot merge two statements.
    """
    return to_center.conflict is None and (
        to_center.jaccard >= config.bridge_floor
        or to_center.containment >= config.bridge_containment
    )
