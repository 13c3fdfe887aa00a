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

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from kcna_dataset.config import DedupConfig
from kcna_dataset.stages.dedup.align import Opcode, opcodes
from kcna_dataset.stages.dedup.minhash import sorted_unique
from kcna_dataset.stages.dedup.tokens import (
    ACRONYM_GLUE,
    CASE_MATTERS,
    NAME,
    NUMBER,
    PLAIN,
    TextTokens,
    has_cyrillic,
    key_candidates,
    raw_tokens,
    text_tokens,
)


class Features:
    """What verification needs of one text. The shingle set and the tokens are built on first
    use: most texts are never in a candidate pair, and most pairs are told by their shingles
    and a quick look at their capitalised words and numbers (`may_differ_in_keys`). Sets are
    sorted numpy arrays, not frozensets: a frozenset of 300 Python ints takes ~25 kB, the
    array 2.4 kB, and the dedup stage holds one per text until its last candidate pair."""

    __slots__ = (
        "_counts",
        "_folded",
        "_key_counts",
        "_raw_counts",
        "_shingles",
        "_title",
        "_title_keys",
        "_words",
        "letters",
        "n_words",
        "ordered",
        "published",
        "raw",
        "source",
        "text",
        "title_raw",
        "title_text",
        "title_words",
    )

    def __init__(
        self,
        text: str,
        raw: list[str] | list[bytes],
        title_text: str,
        ordered: np.ndarray,
        published: date,
        source: str,
    ) -> None:
        self.text = text  # the comparison text
        self.raw = raw  # its words as written (bytes for an ASCII text)
        self.n_words = len(raw)
        self.title_text = title_text  # the title as compared (clean_title)
        self.title_raw = raw_tokens(title_text)
        self.title_words = frozenset(map(str.lower, self.title_raw))
        self.letters = _LETTER.search(text) is not None
        self.ordered = ordered  # shingle hashes in text order
        self.published = published
        self.source = source
        self._shingles: np.ndarray | None = None
        self._words: TextTokens | None = None
        self._title: TextTokens | None = None
        self._counts: Counter[str] | None = None
        self._key_counts: Counter[str | bytes] | None = None
        self._folded: list[str] | list[bytes] | None = None
        self._title_keys: list[str] | list[bytes] | None = None
        self._raw_counts: Counter[str | bytes] | None = None

    @property
    def title(self) -> TextTokens:
        if self._title is None:
            self._title = text_tokens(self.title_text)
        return self._title

    @property
    def words(self) -> TextTokens:
        """The text's tokens (rule 1's canonical forms, each word's kind)."""
        if self._words is None:
            self._words = text_tokens(self.text)
        return self._words

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

    @property
    def key_counts(self) -> Counter[str | bytes]:
        """How often each word that may be a name or number occurs, case folded (see
        `folded`)."""
        if self._key_counts is None:
            candidates = key_candidates(self.raw, has_cyrillic(self.text))
            self._key_counts = Counter(folded_words(candidates))
        return self._key_counts

    @property
    def raw_counts(self) -> Counter[str | bytes]:
        """How often each word occurs, case folded."""
        if self._raw_counts is None:
            self._raw_counts = Counter(self.folded)
        return self._raw_counts

    @property
    def title_keys(self) -> list[str]:
        """The title's words that may be names or numbers (as written)."""
        if self._title_keys is None:
            self._title_keys = key_candidates(self.title_raw, has_cyrillic(self.title_text))
        return self._title_keys  # type: ignore[return-value]

    @property
    def folded(self) -> list[str] | list[bytes]:
        """The words as written, case folded (see `folded_words`)."""
        if self._folded is None:
            self._folded = folded_words(self.raw)
        return self._folded


def folded_words(words: list[str] | list[bytes]) -> list[str] | list[bytes]:
    """Words as the cheap check compares them: in lower case (a name in capitals is the name;
    a name the other text writes in lower case is no name there), but a month or weekday
    keeps its case (`May` is a month, `may` a verb). In C but for those few words."""
    if not words:
        return words
    low: list[Any] = list(map(type(words[0]).lower, words))  # type: ignore[arg-type]
    if hits := CASE_MATTERS.intersection(low):
        low = [w if f in hits else f for w, f in zip(words, low, strict=True)]
    return low


# a letter of any script (a word character that is not a digit or the underscore)
_LETTER = re.compile(r"[^\W\d_]")


def may_differ_in_keys(x: Features, y: Features) -> bool:
    """False when every word of x that could be a name or number occurs in y at least as often
    (as written): then x has no name or number the other lacks, and no substitution is
    possible. Cheap: the words as written, no tokens."""
    if type(x.raw[:1]) is not type(y.raw[:1]) or (
        x.raw and y.raw and type(x.raw[0]) is not type(y.raw[0])
    ):
        return True  # one text is ASCII, the other not: look at the tokens
    counts = y.raw_counts
    return any(n > counts[w] for w, n in x.key_counts.items())


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
    when it is a name elsewhere in either text) and never written in lower case in either. A
    word that only opens sentences is not known to be a name (`Underlining ...` is not). In a
    text all in capitals (or all in lower case) case shows no name: each of its words the
    other text does not write in lower case may be one."""
    if not x.normal_case:
        return {
            t
            for t, k in zip(x.tokens, x.kinds, strict=True)
            if k != NUMBER and len(t) > 1 and t not in y.lower
        }
    return (set(x.names) | (x.initials & (x.names | y.names))) - y.lower


# what the comparison text folds `Democratic People's Republic of Korea` into (normalize.py)
BUILTIN_ALIASES = {"dprk": frozenset(["democratic", "people", "republic", "korea"])}
# a name in another form: a shared stem and endings that make nouns, adjectives and plurals
# (`Syria`/`Syrian`, `Economy`/`Economic`, `Vietnam`/`Vietnamese`); `Niger`/`Nigeria`,
# `Malay`/`Malaysia`, `Chongju`/`Chongjin`, `Austria`/`Australia` end otherwise
FORM_ENDINGS = frozenset(["", "n", "an", "ian", "s", "es", "ese", "i", "ic", "y", "ical", "ish"])
STEM = 5  # letters a stem has when both words have an ending (`econom`)
# the Juche calendar (Juche 1 = 1912): `Juche 113` is 2024
JUCHE_OFFSET = 1911
# Korean and Japanese particles: a place whose only change is one of these for another is an
# edit (`대통령에게`/`대통령께`), whatever script shows no names
PARTICLES = frozenset(
    [
        "은",
        "는",
        "이",
        "가",
        "을",
        "를",
        "에",
        "에게",
        "께",
        "께서",
        "에서",
        "의",
        "와",
        "과",
        "도",
        "로",
        "으로",
        "만",
        "부터",
        "까지",
        "보다",
        "처럼",
        "한테",
        "이며",
        "며",
        "は",
        "が",
        "を",
        "に",
        "の",
        "で",
        "と",
        "も",
        "へ",
        "や",
        "から",
        "まで",
        "より",
    ]
)
# titles and honorifics that stand before a name, in the outlets' English
TITLES = frozenset(
    [
        "comrade",
        "comrades",
        "marshal",
        "president",
        "vice",
        "chairman",
        "chairwoman",
        "general",
        "secretary",
        "premier",
        "minister",
        "leader",
        "respected",
        "dear",
        "beloved",
        "supreme",
        "commander",
        "mr",
        "mrs",
        "ms",
        "madame",
        "dr",
        "his",
        "her",
        "excellency",
        "prime",
        "first",
        "deputy",
        "director",
    ]
)
MAX_PLACE_PAIRS = 10_000  # a place with more key pairs than this is a different passage


def _equivalent(a: str, b: str, aliases: dict[str, set[str]]) -> bool:
    """Two key words (or name phrases) that are one thing (rule 1): a month and its number; a
    year and its Juche year; an acronym and a word of its expansion (`WPK`/`Party` where either
    text spells WPK out, `DPRK`/`Republic`); a one-word name in another form."""
    if a == b:
        return True
    if a.startswith("month:") or b.startswith("month:"):
        return a.removeprefix("month:") == b.removeprefix("month:")
    if a.isdigit() or b.isdigit():  # numbers are exact
        return a.isdigit() and b.isdigit() and abs(int(a) - int(b)) == JUCHE_OFFSET
    if b in aliases.get(a, ()) or a in aliases.get(b, ()):
        return True
    if " " in a or " " in b:
        # a phrase is one name: `Economic Commission` / `Economy Commission` word by word,
        # `Syria` / `Syrian Arab Republic` as part of it; `Kim Jong Un` / `Kim Jong Il` not
        x, y = a.split(" "), b.split(" ")
        short, long = (x, y) if len(x) <= len(y) else (y, x)
        if len(x) == len(y):
            return all(_equivalent(p, q, aliases) for p, q in zip(x, y, strict=True))
        return all(any(_equivalent(p, q, aliases) for q in long) for p in short)
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    stem = 0
    while stem < len(shorter) and shorter[stem] == longer[stem]:
        stem += 1
    endings = (shorter[stem:], longer[stem:])
    if not all(e in FORM_ENDINGS for e in endings):
        return False
    return stem >= (3 if not endings[0] else STEM)


def _initials(tokens: Sequence[str]) -> tuple[str, list[int]]:
    """The first letters of a text's words, function words left out, and where each came from:
    an acronym's expansion is then a substring search (bounded, in C)."""
    positions = [i for i, t in enumerate(tokens) if t not in ACRONYM_GLUE and t[:1].isalpha()]
    return "".join(tokens[i][0] for i in positions), positions


def _aliases(a: TextTokens, b: TextTokens) -> dict[str, set[str]]:
    """Each acronym of either text, with the words that spell it out in either text."""
    out: dict[str, set[str]] = {k: set(v) for k, v in BUILTIN_ALIASES.items()}
    acronyms = {t for x in (a, b) for t, flag in zip(x.tokens, x.acronym, strict=True) if flag}
    spelled = [_initials(x.tokens) for x in (a, b)]
    for acronym in sorted(acronyms)[:64]:  # bounded: a text of acronyms is a list, not prose
        for x, (letters, positions) in zip((a, b), spelled, strict=True):
            at = letters.find(acronym)
            if at >= 0:
                words = {x.tokens[i] for i in positions[at : at + len(acronym)]}
                out.setdefault(acronym, set()).update(words)
    return out


def _cores(x: str, y: str) -> tuple[str, str]:
    """What differs between two strings past their shared beginning and ending."""
    start = 0
    while start < min(len(x), len(y)) and x[start] == y[start]:
        start += 1
    end = 0
    while end < min(len(x), len(y)) - start and x[-1 - end] == y[-1 - end]:
        end += 1
    return x[start : len(x) - end], y[start : len(y) - end]


def _caseless_substitution(removed: Sequence[str], added: Sequence[str]) -> bool:
    """In a script without case a name cannot be seen: a changed place is a substitution when,
    past a shared beginning and ending, both sides still differ, unless one particle stands for
    another (`대통령에게`/`대통령께` is an edit; `김정은`/`김정일`, `中国`/`泰国` are not)."""
    x, y = _cores("".join(removed), "".join(added))
    return bool(x and y) and not (x in PARTICLES and y in PARTICLES)


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


@dataclass(frozen=True, slots=True)
class _Side:
    """One text as a substitution check reads it."""

    tokens: TextTokens
    names: set[str]
    counts: Counter[str]  # of its names, numbers and caseless words
    joined: str  # " a b c ": where a name phrase is looked for


def _side(f: Features, names: set[str]) -> _Side:
    return _Side(f.words, names, f.counts, " " + " ".join(f.words.tokens) + " ")


def _items(x: _Side, lo: int, hi: int) -> list[tuple[str, str, str]]:
    """The key items of x.tokens[lo:hi], in order: (kind, key, as written), a number one token,
    a name the run of its words (`kim jong un`)."""
    out: list[tuple[str, str, str]] = []
    start = -1
    tokens, kinds, words = x.tokens.tokens, x.tokens.kinds, x.tokens.words

    def name_ending(k: int) -> None:
        # the whole name, where the place cuts it (`Kim Jong` shared, `Un` / `Il` changed)
        first, last = start, k
        while first > 0 and tokens[first - 1] in x.names and kinds[first - 1] != NUMBER:
            first -= 1
        while last < len(tokens) and tokens[last] in x.names and kinds[last] != NUMBER:
            last += 1
        # a title before a name is not the name (`Marshal` / `Comrade Kim Jong Un`)
        core = first
        while core < last - 1 and tokens[core] in TITLES:
            core += 1
        out.append(("name", " ".join(tokens[core:last]), " ".join(words[first:last])))

    for k in range(lo, hi):
        if tokens[k] in x.names and kinds[k] != NUMBER:
            if start < 0:
                start = k
            continue
        if start >= 0:
            name_ending(k)
            start = -1
        if kinds[k] == NUMBER:
            out.append(("number", tokens[k], words[k]))
    if start >= 0:
        name_ending(hi)
    return out


def _orphan(kind: str, key: str, mine: _Side, other: _Side) -> bool:
    """A number the other text has fewer times; a name the other text does not have at all."""
    if kind == "number":
        return mine.counts[key] > other.counts[key]
    return f" {key} " not in other.joined


def _substitutions_in(
    ops: list[Opcode], a: _Side, b: _Side, aliases: dict[str, set[str]]
) -> list[Substitution]:
    out: list[Substitution] = []
    swaps: dict[tuple[str, str], tuple[str, str]] = {}  # (key, key) -> as written
    caseless = a.tokens.caseless | b.tokens.caseless
    for i1, i2, j1, j2 in places(ops):
        if i1 == i2 or j1 == j2:
            continue  # only dropped or only added: an edit
        if (
            caseless
            and any(t in caseless for t in a.tokens.tokens[i1:i2])
            and any(t in caseless for t in b.tokens.tokens[j1:j2])
        ):
            x, y = a.tokens.tokens[i1:i2], b.tokens.tokens[j1:j2]
            if _caseless_substitution(x, y):
                out.append(_shown(a.tokens.words[i1:i2], b.tokens.words[j1:j2]))
            continue
        mine, theirs = _items(a, i1, i2), _items(b, j1, j2)
        if not mine or not theirs:
            continue
        # a swap: what one place says the other way round here or at another place
        for (_, r, r_written), (_, t, t_written) in zip(mine, theirs, strict=False):
            if not _equivalent(r, t, aliases):
                swaps[r, t] = (r_written, t_written)
        removed = {key: w for kind, key, w in mine if _orphan(kind, key, a, b)}
        added = {key: w for kind, key, w in theirs if _orphan(kind, key, b, a)}
        if not removed or not added:
            continue
        if len(removed) * len(added) > MAX_PLACE_PAIRS:
            out.append(_shown(list(removed.values()), list(added.values())))
            continue
        # an acronym on one side spelled out on the other (WPK / Workers' Party of Korea)
        for acronym in [k for k in [*removed, *added] if k in aliases]:
            expansion = aliases[acronym]
            for side in (removed, added):
                for k in [k for k in side if k == acronym or set(k.split()) <= expansion]:
                    del side[k]
        for r in list(removed):
            match = next((x for x in added if _equivalent(r, x, aliases)), None)
            if match is not None:
                del removed[r], added[match]
        if removed and added:
            out.append(_shown(list(removed.values()), list(added.values())))
    out += [
        _shown([w[0]], [w[1]]) for (x, y), w in sorted(swaps.items()) if (y, x) in swaps and x < y
    ]
    return out


def _shown(removed: Sequence[str], added: Sequence[str], most: int = 8) -> Substitution:
    """A substitution as an explanation shows it: the first few words of each side."""

    def words(side: Sequence[str]) -> str:
        return " ".join(side[:most]) + (" ..." if len(side) > most else "")

    return words(removed), words(added)


def substitutions(a: Features, b: Features) -> tuple[Substitution, ...]:
    """Rule 2: the places where a name or number of one text stands in for a different one of
    the other, in the bodies and in the titles."""
    if not (may_differ_in_keys(a, b) and may_differ_in_keys(b, a)):
        # neither body has a name or number the other lacks (a swap needs both texts to have
        # both); a title's key word that the other text has anywhere is a rewording, so the
        # titles are looked at only when both have a word the other text lacks
        found: list[Substitution] = []
        if _may_swap(a, b):
            found = _body_substitutions(a, b)
        if _titles_may_differ(a, b) and _titles_may_differ(b, a):
            found += title_substitutions(a, b, _written_names(a) | _written_names(b))
        return tuple(found)
    found = _body_substitutions(a, b)
    names = _names(a.words, b.words) | _names(b.words, a.words)
    return tuple(found + title_substitutions(a, b, names))


def _may_swap(a: Features, b: Features) -> bool:
    """Could two texts with the same names and numbers have two of them the other way round?
    Looked at cheaply: with the same key words as often, do they first appear in another
    order? (A swap beside an added name is not looked for.)"""
    if dict.__ne__(a.key_counts, b.key_counts):  # no zero counts: as dicts (Counter's is slow)
        return False
    common = a.key_counts.keys()

    def first_seen(f: Features) -> list[str | bytes]:
        return [w for w in dict.fromkeys(f.folded) if w in common]

    return first_seen(a) != first_seen(b)


def _body_substitutions(a: Features, b: Features) -> list[Substitution]:
    wa, wb = a.words, b.words
    side_a, side_b = _side(a, _names(wa, wb)), _side(b, _names(wb, wa))
    return _substitutions_in(opcodes(wa.tokens, wb.tokens), side_a, side_b, _aliases(wa, wb))


def _titles_may_differ(x: Features, y: Features) -> bool:
    """Can x's title hold a key word that y (title and body) lacks? Cheap, as written."""
    mine = x.title_keys
    body = y.raw_counts
    as_bytes = bool(y.raw) and isinstance(y.raw[0], bytes)
    return any(
        (w.encode() if as_bytes and w.isascii() else w) not in body and w not in y.title_raw
        for w in mine
    )


def title_substitutions(a: Features, b: Features, body_names: set[str]) -> list[Substitution]:
    """Rule 2 on the titles. In Title Case every word is capitalised, so a title's names are
    the bodies' names (and, in a title written in sentence case, its own capitalised words); a
    title's key word that the other text has anywhere (title or body) is a rewording."""
    ta, tb = a.title, b.title
    if ta.tokens == tb.tokens:
        return []
    names = body_names | _title_names(ta) | _title_names(tb)
    # a title's words are looked for in the other text's title and body (its words as written,
    # case folded: a title's key word the body has in any form is a rewording)
    body_a, body_b = _folded_text(a), _folded_text(b)
    joined_a = " " + " ".join(ta.tokens) + " " + " ".join(body_a) + " "
    joined_b = " " + " ".join(tb.tokens) + " " + " ".join(body_b) + " "
    side_a = _Side(ta, names, Counter(ta.tokens) + Counter(body_a), joined_a)
    side_b = _Side(tb, names, Counter(tb.tokens) + Counter(body_b), joined_b)
    return _substitutions_in(opcodes(ta.tokens, tb.tokens), side_a, side_b, _aliases(ta, tb))


def _folded_text(f: Features) -> list[str]:
    """A body's words as written, case folded, as str."""
    words = f.folded
    if words and isinstance(words[0], bytes):
        return [w.decode() for w in words]
    return list(words)  # type: ignore[arg-type]


def _written_names(f: Features) -> set[str]:
    """A body's names read from its words as written (no tokens): capitalised words that the
    body never writes in lower case. Enough to tell which of a title's words are names."""
    words = _folded_text(f)
    raw: Sequence[str | bytes] = f.raw
    capital = {w for w, r in zip(words, raw, strict=True) if r[:1].isupper()}
    lower = {w for w, r in zip(words, raw, strict=True) if r.islower()}
    return capital - lower


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


def _jaccard(x: frozenset[str], y: frozenset[str]) -> float:
    """Word Jaccard of two titles (1 for two empty ones)."""
    return len(x & y) / len(x | y) if x or y else 1.0


def verify(a: Features, b: Features, config: DedupConfig, same_url: bool = False) -> PairScore:
    """The verdict on one pair. `same_url`: both are one outlet's copies under one URL on one
    date (rule 3)."""
    na, nb = a.n_words, b.n_words
    shorter, longer = (a, b) if na <= nb else (b, a)
    shared = common(a.shingles, b.shingles)
    jaccard = shared / max(1, len(a.shingles) + len(b.shingles) - shared)
    # A truncated reprint is the *opening* of the longer text: measure containment there.
    opening = longer.opening(int(len(shorter.ordered) * 1.1) + 5)
    containment = common(shorter.shingles, opening) / max(1, len(shorter.shingles))
    length_ratio = min(na, nb) / max(1, max(na, nb))
    gap = abs((a.published - b.published).days)
    titles = _jaccard(a.title_words, b.title_words)
    scores = (jaccard, containment, length_ratio, gap)

    def verdict(
        similar: str | None,
        conflict: str | None = None,
        kind: str | None = None,
        subs: tuple[Substitution, ...] = (),
        cover: float | None = None,
    ) -> PairScore:
        return PairScore(*scores, similar, conflict, kind, subs, cover, titles, same_url, nb < na)

    if not (a.letters and b.letters):
        return verdict(None, "a text without letters is no evidence of a copy", "no-letters")
    if same_url:
        if jaccard < config.url_reuse_floor and containment < config.bridge_containment:
            return verdict(
                None,
                f"one URL, two texts sharing almost nothing (jaccard {jaccard:.2f}): a scraper "
                "stored another article's body under it",
                "url-reused",
            )
        # a revision rewords, it does not send the text to another country: a substitution
        # under one URL is a scraper that stored a sibling article (a template's other copy)
        if gap <= config.window_days and (subs := substitutions(a, b)):
            shown = "; ".join(f"{x!r} / {y!r}" for x, y in subs[:3])
            return verdict(
                None,
                f"one URL, two texts that substitute {shown}: a scraper stored another "
                "article's body under it",
                "url-reused",
                subs,
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


def versions_conflict(a: Features, b: Features, config: DedupConfig) -> str | None:
    """Why two statements that one outlet's URL links (a copy of one is that outlet's other
    version of the other: a revision in place) stay apart, or None to merge them: rule 3 says
    the versions are one article, whatever text they share, unless their canonical copies were
    published outside the window or substitute a name or number (rule 2)."""
    gap = abs((a.published - b.published).days)
    if gap > config.window_days:
        return f"published {gap} days apart (window_days={config.window_days})"
    if not (a.letters and b.letters):
        return "a text without letters is no evidence of a copy"
    if subs := substitutions(a, b):
        shown = "; ".join(f"{x!r} / {y!r}" for x, y in subs[:3])
        return f"{len(subs)} substitution(s): {shown}"
    return None


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
