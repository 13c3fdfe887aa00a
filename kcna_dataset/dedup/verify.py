"""Verification of one candidate pair on the real texts: is it one statement or two?

The rules (docs/DEDUP.md states them with their reasons):
1. The same thing written another way is not a conflict (`tokens.py` folds it away).
2. A substitution is a conflict at any length; an edit is not. The two token sequences are
   aligned (`align.py`); a place where one side has a name or number the other lacks, and the
   other has a different one instead, is a substitution. Names or numbers only dropped or only
   added (an edit, an abbreviation, a lead-in, a truncation) are not. Titles the same way.
3. A revision in place is one statement: the same outlet, URL and date (`same_url`) merge as
   `revised` whatever the texts' similarity, unless they share almost nothing (a scraper stored
   another article's body under that URL: kept apart, and counted as `url-reused`). Without a
   URL (pages), the same outlet and date, near-identical titles and moderate similarity with no
   substitution are a revision too.
4. Short texts need strong evidence: below `short_text_words`, a merge needs near-identical
   text (aligned coverage) or near-identical titles.
5. Every script: tokens by Unicode category; a text without letters is no evidence.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from kcna_dataset.config import DedupConfig
from kcna_dataset.dedup.align import Opcode, opcodes
from kcna_dataset.dedup.minhash import sorted_unique
from kcna_dataset.dedup.tokens import ACRONYM_GLUE, NAME, PLAIN, TextTokens


class Features:
    """What verification needs of one text. The shingle set is built on first use: most
    texts are never in a candidate pair. Sets are sorted numpy arrays, not frozensets: a
    frozenset of 300 Python ints takes ~25 kB, the array 2.4 kB, and the dedup stage holds one
    per text until the text's last candidate pair."""

    __slots__ = ("_counts", "_shingles", "ordered", "published", "source", "text", "title", "words")

    def __init__(
        self,
        text: str,
        words: TextTokens,
        title: TextTokens,
        ordered: np.ndarray,
        published: date,
        source: str,
    ) -> None:
        self.text = text  # the comparison text
        self.words = words
        self.title = title
        self.ordered = ordered  # shingle hashes in text order
        self.published = published
        self.source = source
        self._shingles: np.ndarray | None = None
        self._counts: Counter[str] | None = None

    @property
    def shingles(self) -> np.ndarray:
        """The distinct shingle hashes, sorted."""
        if self._shingles is None:
            self._shingles = sorted_unique(self.ordered)
        return self._shingles

    def opening(self, n_shingles: int) -> np.ndarray:
        return sorted_unique(self.ordered[:n_shingles])

    @property
    def counts(self) -> Counter[str]:
        """How often each name, number or caseless word occurs in the body."""
        if self._counts is None:
            self._counts = Counter(
                t
                for t, k in zip(self.words.tokens, self.words.kinds, strict=True)
                if k != 0  # not a PLAIN word
            )
        return self._counts


def common(a: np.ndarray, b: np.ndarray) -> int:
    """How many values two sorted arrays of distinct values share (|A & B| of the sets)."""
    if len(a) == 0 or len(b) == 0:
        return 0
    at = np.searchsorted(a, b)
    return int(np.count_nonzero(a[np.minimum(at, len(a) - 1)] == b))


Substitution = tuple[str, str]  # (what one text says, what the other says instead), words joined


@dataclass(frozen=True, slots=True)
class PairScore:
    """The evidence for or against one pair, kept for `kcna-dataset duplicates --explain`."""

    jaccard: float
    containment: float  # of the shorter text in the opening of the longer
    length_ratio: float  # shorter / longer, in tokens
    date_gap_days: int
    similar: str | None  # near | contained | revised | None: what the texts alone say
    conflict: str | None  # why they cannot be one statement, or None
    conflict_kind: str | None = None  # outside-window | substitution | short-text | no-letters
    # | url-reused
    substitutions: tuple[Substitution, ...] = ()  # in the bodies, then the titles
    coverage: float | None = None  # aligned tokens / the longer text's (short texts only)
    title_similarity: float = 0.0  # word Jaccard of the titles
    same_url: bool = False  # one outlet, one URL, one date
    b_shorter: bool = False  # the second text verified is the shorter (a truncated center)

    @property
    def match(self) -> str | None:
        return self.similar if self.conflict is None else None

    @property
    def similarity(self) -> float:
        return self.containment if self.similar == "contained" else self.jaccard

    @property
    def explains(self) -> float:
        """How much of the first text the second accounts for: a truncated second text (the
        opening of the first) accounts for its share only, measured by Jaccard."""
        return self.jaccard if self.b_shorter and self.similar == "contained" else self.similarity

    @property
    def verdict(self) -> str:
        """A stable category for counting: the match, or what kept the pair apart."""
        return self.match or self.conflict_kind or "texts-differ"

    @property
    def reason(self) -> str:
        if self.conflict:
            return self.conflict
        if self.similar is None:
            return "texts differ (jaccard below near_threshold, not a truncation, not a revision)"
        return "same statement"

    def to_dict(self) -> dict[str, Any]:
        return {
            "match": self.match,
            "reason": self.reason,
            "jaccard": round(self.jaccard, 4),
            "containment": round(self.containment, 4),
            "length_ratio": round(self.length_ratio, 4),
            "date_gap_days": self.date_gap_days,
            "same_url": self.same_url,
            "title_similarity": round(self.title_similarity, 4),
            "coverage": None if self.coverage is None else round(self.coverage, 4),
            "substitutions": [list(s) for s in self.substitutions],
        }


def _names(x: TextTokens, y: TextTokens) -> set[str]:
    """x's proper names, read with the other text: capitalised inside a sentence (or at its start
    when it is a name elsewhere in either text) and never written in lower case in either."""
    return (set(x.names) | (x.initials & (x.names | y.names))) - y.lower


# what the comparison text folds `Democratic People's Republic of Korea` into (normalize.py)
BUILTIN_ALIASES = {"dprk": frozenset(["democratic", "people", "republic", "korea"])}
# a name in another form shares a stem of this many letters, and differs by short endings
# (`Economy`/`Economic`, `Korea`/`Korean`); `Austria`/`Australia` end in 2 and 4 letters
STEM = 5
ENDING = 3


def _equivalent(a: str, b: str, aliases: dict[str, set[str]]) -> bool:
    """Two key words that are one thing (rule 1): a month and its number; a name in another
    form (`Syria`/`Syrian`, `Lao`/`Laos`, `Economy`/`Economic`); an acronym and a word of its
    expansion (`WPK`/`Party` where either text spells WPK out, `DPRK`/`Republic`)."""
    if a.startswith("month:") or b.startswith("month:"):
        return a.removeprefix("month:") == b.removeprefix("month:")
    if b in aliases.get(a, ()) or a in aliases.get(b, ()):
        return True
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 3 and long.startswith(short) and len(long) - len(short) <= 1:
        return True
    stem = 0
    while stem < len(short) and short[stem] == long[stem]:
        stem += 1
    return stem >= STEM and len(long) - stem <= ENDING


def _aliases(a: TextTokens, b: TextTokens) -> dict[str, set[str]]:
    """Each acronym of either text, with the words that spell it out in either text."""
    out: dict[str, set[str]] = {k: set(v) for k, v in BUILTIN_ALIASES.items()}
    acronyms = {t for x in (a, b) for t, flag in zip(x.tokens, x.acronym, strict=True) if flag}
    for acronym in acronyms:
        for x in (a, b):
            if words := _spelled_out(acronym, x.tokens):
                out.setdefault(acronym, set()).update(words)
    return out


def _spelled_out(acronym: str, words: Sequence[str]) -> set[str] | None:
    """The words of `words` whose initials spell `acronym` (`WPK`: Workers' Party of Korea),
    function words allowed between them; None when none do."""
    for start in range(len(words)):
        spelled = ""
        used: list[str] = []
        for w in words[start:]:
            if w in ACRONYM_GLUE and spelled:
                continue
            spelled += w[0]
            used.append(w)
            if not acronym.startswith(spelled):
                break
            if spelled == acronym:
                return set(used)
    return None


def _caseless_substitution(removed: Sequence[str], added: Sequence[str]) -> bool:
    """In a script without case a name cannot be seen: a changed place is a substitution when
    what differs, past a shared beginning and ending (a particle, a stem, a character both
    names have), is two or more characters on both sides (`대통령에게`/`대통령께` is an edit,
    `수리아`/`라오스` and `蒙古`/`古巴` are not)."""
    x, y = "".join(removed), "".join(added)
    start = 0
    while start < min(len(x), len(y)) and x[start] == y[start]:
        start += 1
    end = 0
    while end < min(len(x), len(y)) - start and x[-1 - end] == y[-1 - end]:
        end += 1
    return len(x) - start - end >= 2 and len(y) - start - end >= 2


# a shared run of this many tokens (a shingle) bounds a place; shorter runs ("to", "of the")
# are what two different passages share by chance, not an alignment of them
ANCHOR_TOKENS = 3


def places(ops: list[Opcode]) -> list[tuple[int, int, int, int]]:
    """The changed places of an alignment, (a[i1:i2], b[j1:j2]) each: what lies between two
    shared runs of at least ANCHOR_TOKENS tokens (or the texts' ends)."""
    out: list[tuple[int, int, int, int]] = []
    current: list[int] | None = None
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal" and i2 - i1 >= ANCHOR_TOKENS:
            if current is not None:
                out.append((current[0], current[1], current[2], current[3]))
                current = None
            continue
        if current is None:
            current = [i1, i2, j1, j2]
        else:
            current[1], current[3] = i2, j2
    if current is not None:
        out.append((current[0], current[1], current[2], current[3]))
    return out


def _substitutions_in(
    ops: list[Opcode],
    a: TextTokens,
    b: TextTokens,
    orphans_a: set[str],
    orphans_b: set[str],
    caseless: set[str],
    aliases: dict[str, set[str]],
) -> list[Substitution]:
    out: list[Substitution] = []
    for i1, i2, j1, j2 in places(ops):
        if i1 == i2 or j1 == j2:
            continue  # only dropped or only added: an edit
        removed = [t for t in a.tokens[i1:i2] if t in orphans_a]
        added = [t for t in b.tokens[j1:j2] if t in orphans_b]
        if not removed or not added:
            continue
        # an acronym on one side spelled out on the other (WPK / Workers' Party of Korea)
        for x, lo, hi, y, other_lo, other_hi in ((a, i1, i2, b, j1, j2), (b, j1, j2, a, i1, i2)):
            for k in range(lo, hi):
                if x.acronym[k] and (
                    words := _spelled_out(x.tokens[k], y.tokens[other_lo:other_hi])
                ):
                    removed = [t for t in removed if t != x.tokens[k] and t not in words]
                    added = [t for t in added if t != x.tokens[k] and t not in words]
        for r in list(removed):
            match = next((x for x in added if _equivalent(r, x, aliases)), None)
            if match is not None:
                removed.remove(r)
                added.remove(match)
        if not removed or not added:
            continue
        in_caseless_script = set(removed) <= caseless and set(added) <= caseless
        # the whole place, not its orphans only: a character both names share is no edit
        if in_caseless_script and not _caseless_substitution(a.tokens[i1:i2], b.tokens[j1:j2]):
            continue
        # shown as written: the words of this place that are the substituted ones
        kept_a, kept_b = set(removed), set(added)
        out.append(
            (
                " ".join(
                    w for t, w in zip(a.tokens[i1:i2], a.words[i1:i2], strict=True) if t in kept_a
                ),
                " ".join(
                    w for t, w in zip(b.tokens[j1:j2], b.words[j1:j2], strict=True) if t in kept_b
                ),
            )
        )
    return out


def substitutions(a: Features, b: Features) -> tuple[Substitution, ...]:
    """Rule 2: the places where a name or number of one text stands in for a different one of
    the other, in the bodies and in the titles."""
    wa, wb = a.words, b.words
    names_a, names_b = _names(wa, wb), _names(wb, wa)
    caseless = set(wa.caseless | wb.caseless)
    # only orphans on both sides of one aligned place can be a substitution: a name (or a word
    # of a caseless script) the other text does not have at all, a number the other text has
    # fewer times (a name moved, repeated or referred to again is not substituted; a number
    # is exact)
    ca, cb = a.counts, b.counts
    orphans_a = {t for t in names_a | wa.caseless if cb[t] == 0}
    orphans_a |= {t for t in wa.numbers if ca[t] > cb[t]}
    orphans_b = {t for t in names_b | wb.caseless if ca[t] == 0}
    orphans_b |= {t for t in wb.numbers if cb[t] > ca[t]}
    found: list[Substitution] = []
    if orphans_a and orphans_b:
        ops = opcodes(wa.tokens, wb.tokens)
        found += _substitutions_in(ops, wa, wb, orphans_a, orphans_b, caseless, _aliases(wa, wb))
    return tuple(found) + title_substitutions(a, b, names_a | names_b)


def title_substitutions(a: Features, b: Features, body_names: set[str]) -> tuple[Substitution, ...]:
    """Rule 2 on the titles. In Title Case every word is capitalised, so a title's names are
    the bodies' names (and, in a title written in sentence case, its own capitalised words); a
    title's key word that the other text has anywhere (title or body) is a rewording."""
    ta, tb = a.title, b.title
    if ta.tokens == tb.tokens:
        return ()
    names = body_names | _title_names(ta) | _title_names(tb)
    keys_a = {t for t in ta.tokens if t in names or t in ta.numbers or t in ta.caseless}
    keys_b = {t for t in tb.tokens if t in names or t in tb.numbers or t in tb.caseless}
    orphans_a = keys_a - set(tb.tokens) - set(b.words.tokens)
    orphans_b = keys_b - set(ta.tokens) - set(a.words.tokens)
    if not (orphans_a and orphans_b):
        return ()
    return tuple(
        _substitutions_in(
            opcodes(ta.tokens, tb.tokens),
            ta,
            tb,
            orphans_a,
            orphans_b,
            set(ta.caseless | tb.caseless),
            _aliases(a.words, b.words),
        )
    )


def _title_names(title: TextTokens) -> set[str]:
    """A sentence-case title's capitalised words (none of a Title Case one)."""
    plain = title.kinds.count(PLAIN)
    named = title.kinds.count(NAME)
    if plain < max(1, named):
        return set()
    return {t for t, k in zip(title.tokens, title.kinds, strict=True) if k == NAME} - title.lower


def coverage(a: TextTokens, b: TextTokens) -> float:
    """The share of the longer text that an alignment matches with the other."""
    return aligned(a, b) / max(1, len(a), len(b))


def aligned(a: TextTokens, b: TextTokens) -> int:
    """How many tokens an alignment of the two texts matches."""
    return sum(i2 - i1 for tag, i1, i2, _, _ in opcodes(a.tokens, b.tokens) if tag == "equal")


def title_similarity(a: TextTokens, b: TextTokens) -> float:
    x, y = set(a.tokens), set(b.tokens)
    return len(x & y) / len(x | y) if x or y else 1.0


def verify(a: Features, b: Features, config: DedupConfig, same_url: bool = False) -> PairScore:
    """The verdict on one pair. `same_url`: both are one outlet's copies under one URL on one
    date (rule 3)."""
    na, nb = len(a.words), len(b.words)
    shorter, longer = (a, b) if na <= nb else (b, a)
    shared = common(a.shingles, b.shingles)
    jaccard = shared / max(1, len(a.shingles) + len(b.shingles) - shared)
    # A truncated reprint is the *opening* of the longer text: measure containment there.
    opening = longer.opening(int(len(shorter.ordered) * 1.1) + 5)
    containment = common(shorter.shingles, opening) / max(1, len(shorter.shingles))
    length_ratio = min(na, nb) / max(1, max(na, nb))
    gap = abs((a.published - b.published).days)
    titles = title_similarity(a.title, b.title)
    scores = (jaccard, containment, length_ratio, gap)

    def verdict(
        similar: str | None,
        conflict: str | None = None,
        kind: str | None = None,
        subs: tuple[Substitution, ...] = (),
        cover: float | None = None,
    ) -> PairScore:
        return PairScore(*scores, similar, conflict, kind, subs, cover, titles, same_url, nb < na)

    if not (a.words.letters and b.words.letters):
        return verdict(None, "a text without letters is no evidence of a copy", "no-letters")
    if same_url:
        if jaccard < config.url_reuse_floor and containment < config.bridge_containment:
            return verdict(
                None,
                f"one URL, two texts sharing almost nothing (jaccard {jaccard:.2f}): a scraper "
                "stored another article's body under it",
                "url-reused",
            )
        return verdict("revised")

    similar: str | None = None
    if (
        containment >= config.containment_threshold
        and config.min_truncated_fraction <= length_ratio < 0.9
    ):
        similar = "contained"
    elif jaccard >= config.near_threshold:
        similar = "near"
    # a page has no URL: one outlet's two texts of one day under near-identical titles are a
    # revision in place when they share enough and substitute nothing
    revision = (
        a.source == b.source
        and gap == 0
        and titles >= config.title_near
        and jaccard >= config.revision_floor
    )
    if (
        similar is None
        and not revision
        and jaccard < config.bridge_floor
        and containment < config.bridge_containment
    ):
        # too different to merge or to bridge: the alignment need not be made
        return verdict(None)
    if gap > config.window_days:
        return verdict(
            similar,
            f"published {gap} days apart (window_days={config.window_days})",
            "outside-window",
        )
    subs = substitutions(a, b)
    if subs:
        shown = "; ".join(f"{x!r} / {y!r}" for x, y in subs[:3])
        return verdict(similar, f"{len(subs)} substitution(s): {shown}", "substitution", subs)
    cover: float | None = None
    if min(na, nb) < config.short_text_words:
        # a few edits weigh heavily in a short text's shingles: the alignment measures it
        matched = aligned(a.words, b.words)
        cover = matched / max(1, na, nb)
        if similar is None and cover >= config.short_text_coverage:
            similar = "near"  # near-identical
        elif (
            similar is None
            and matched / max(1, min(na, nb)) >= config.short_text_coverage
            and length_ratio >= config.min_truncated_fraction
        ):
            similar = "contained"  # the shorter is (nearly) all in the longer
        if cover < config.short_text_coverage and titles < config.title_near:
            return verdict(
                similar,
                f"a short text ({min(na, nb)} words) needs near-identical text or titles: "
                f"coverage {cover:.2f} < {config.short_text_coverage}, title similarity "
                f"{titles:.2f} < {config.title_near}",
                "short-text",
                cover=cover,
            )
    if revision and similar is None:
        similar = "revised"
    return verdict(similar, cover=cover)


def bridgeable(to_center: PairScore, config: DedupConfig) -> bool:
    """May a copy that matched a cluster member join that member's statement?

    Only if nothing sets it apart from the statement's canonical copy (no window, substitution
    or short-text conflict) and it still shares text with it: so A~B, B~C cannot merge two
    statements.
    """
    return to_center.conflict is None and (
        to_center.jaccard >= config.bridge_floor
        or to_center.containment >= config.bridge_containment
    )
