"""The words of a comparison text as verification reads them: canonical forms and what each is.

Rule 1 of docs/DEDUP.md ("the same thing written another way is not a conflict") lives here:
`Oct.`, `October` and `10月`'s month are one token (`month:10`); `8th`, `eighth` and `Eighth` are
`8`; `1,000` is `1000`. Rule 5 ("every script"): words are found by Unicode category, Chinese
and Japanese characters are one token each (they are not written with spaces), and names are
told from other words by letter case where the script has case (Latin, Cyrillic, Greek).
Scripts without case (Hangul, Han, Kana) cannot show a name: their words are `caseless` and
verification treats a substituted word there as it treats a substituted name.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from itertools import compress

import numpy as np

# Han ideographs, Hiragana, Katakana (and their extensions): one token per character
CJK = (
    "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0002fa1f"
)
# a CJK character, or a run of other word characters (with inner apostrophes: `People's`)
TOKEN = re.compile(rf"[{CJK}]|[^\W{CJK}]+(?:'[^\W{CJK}]+)*")
_SENTENCE_END = frozenset(".!?:;\n。！？：；")
# `1,000` and `1,000,000`: one number, as `1000` is
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
# `twenty-first`, `seventy-fifth`: one number written as two words
_COMPOUND_NUMBER = re.compile(
    r"\b(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)-(one|two|three|four|five|six|"
    r"seven|eight|nine|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)\b",
    re.IGNORECASE,
)
_UNITS = {
    w: n
    for n, w in enumerate(
        ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"], 1
    )
}
_UNITS.update(
    {
        w: n
        for n, w in enumerate(
            ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"],
            1,
        )
    }
)
_TENS_OF = {
    w: 10 * n
    for n, w in enumerate(
        ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 2
    )
}


def _compound(m: re.Match[str]) -> str:
    return str(_TENS_OF[m.group(1).lower()] + _UNITS[m.group(2).lower()])


_NUMBER_SUFFIX = re.compile(r"(?<=\d)(?:st|nd|rd|th|mm|cm|km|kg|m|s)$")

_EN_MONTHS = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
# Spanish month names are written in lower case and are not other words
_ES_MONTHS = {
    "enero": 1,
    "febrero": 2,
    "marzo": 3,
    "abril": 4,
    "mayo": 5,
    "junio": 6,
    "julio": 7,
    "agosto": 8,
    "septiembre": 9,
    "setiembre": 9,
    "octubre": 10,
    "noviembre": 11,
    "diciembre": 12,
}
# Russian month names (lower case) in every case ending: by stem; май/мая/мае whole (майор)
_RU_MONTH_STEMS = (
    ("январ", 1),
    ("феврал", 2),
    ("март", 3),
    ("апрел", 4),
    ("июн", 6),
    ("июл", 7),
    ("август", 8),
    ("сентябр", 9),
    ("октябр", 10),
    ("ноябр", 11),
    ("декабр", 12),
)
_RU_MAY = frozenset(["май", "мая", "мае"])
# words whose case makes them a month or not (`May` / `may`, `March` / `march`): the only
# month and weekday names that are other English words in lower case
_AMBIGUOUS = ("may", "march", "mar")
_EN_WEEKDAYS = frozenset(
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
)
_CARDINALS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
)
_ORDINALS = (
    "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
)
_TENS = "thirty forty fifty sixty seventy eighty ninety"
_TENTHS = "thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth"
_NUMBER_WORDS = {
    **{w: str(n) for n, w in enumerate(_CARDINALS.split(" "))},
    **{w: str(n) for n, w in enumerate(_ORDINALS.split(" "))},
    **{w: str(10 * n) for n, w in enumerate(_TENS.split(" "), start=3)},
    **{w: str(10 * n) for n, w in enumerate(_TENTHS.split(" "), start=3)},
}
# function words that may sit inside an expanded acronym (`Workers' Party of Korea` = WPK)
ACRONYM_GLUE = frozenset(["of", "the", "and", "for", "de", "del", "la", "y"])

# what a token is (one byte per token in TextTokens.kinds)
PLAIN = 0  # an ordinary word (lower case, or a capitalised word that only starts a sentence)
NUMBER = 1  # a number, a month or a weekday
NAME = 2  # a capitalised word inside a sentence
INITIAL = 3  # a capitalised word that starts a sentence (a name only if it is one elsewhere)
CASELESS = 4  # a word of a script without case (Hangul, Han, Kana)


def month_token(month: int) -> str:
    return f"month:{month}"


@dataclass(frozen=True, slots=True)
class TextTokens:
    tokens: tuple[str, ...]  # canonical forms, in text order
    words: tuple[str, ...]  # the same tokens as written (what an explanation shows)
    kinds: bytes  # PLAIN / NUMBER / NAME / INITIAL / CASELESS per token
    acronym: tuple[bool, ...]  # the token was written in capitals (WPK, DPRK, KPA)
    numbers: frozenset[str]
    names: frozenset[str]  # NAME tokens never written in lower case in this text
    initials: frozenset[str]  # INITIAL tokens
    lower: frozenset[str]  # canonical forms seen written in lower case
    caseless: frozenset[str]
    letters: bool  # the text has a letter at all (a body of punctuation is no evidence)
    normal_case: bool  # False for all-capitals or all-lower-case text: names cannot be told

    def __len__(self) -> int:
        return len(self.tokens)


def _canonical(word: str) -> tuple[str, int]:
    """A word's canonical form and kind (NUMBER, or PLAIN/NAME/CASELESS decided by the caller)."""
    low = word.lower().removesuffix("'s")  # `Party's` is `Party`
    if not word.isalpha() and _DIGIT.search(word):
        return _NUMBER_SUFFIX.sub("", low), NUMBER
    # a month or weekday in any case, but `may`, `march`, `mar` only with a capital
    if low in _EN_MONTHS and (word[0].isupper() or low not in _AMBIGUOUS):
        return month_token(_EN_MONTHS[low]), NUMBER
    if low in _EN_WEEKDAYS:
        return low, NUMBER
    if low in _NUMBER_WORDS:
        return _NUMBER_WORDS[low], NUMBER
    if low in _ES_MONTHS:
        return month_token(_ES_MONTHS[low]), NUMBER
    if low in _RU_MAY:
        return month_token(5), NUMBER
    if "\u0430" <= low[0] <= "\u044f":  # Cyrillic lower-case letters
        for stem, month in _RU_MONTH_STEMS:
            if low.startswith(stem):
                return month_token(month), NUMBER
    return low, PLAIN


_DIGIT = re.compile(r"\d")
_NUMBER_WORD = re.compile(r"\d+(?:st|nd|rd|th|mm|cm|km|kg|m|s)?", re.IGNORECASE)
_DIGIT_RUNS = re.compile(r"\d+|\D+")


def _pieces(word: str) -> list[str]:
    """A word with digits glued to letters (`4Kim` from the sites' markup, `MiG29`, `10월`) is
    its runs of digits and of letters; a number with its ordinal or unit (`8th`, `240mm`) stays
    one token."""
    if word.isalpha() or word.isdigit() or not _DIGIT.search(word) or _NUMBER_WORD.fullmatch(word):
        return [word]
    return _DIGIT_RUNS.findall(word)


# lower-case words that are numbers or months: the only ones the fast path must look up
_LOWER_NUMBERS = {
    **_NUMBER_WORDS,
    **{w: month_token(m) for w, m in _EN_MONTHS.items() if w not in _AMBIGUOUS},
    **{w: w for w in _EN_WEEKDAYS},
    **{w: month_token(m) for w, m in _ES_MONTHS.items()},
    **dict.fromkeys(_RU_MAY, month_token(5)),
}


_SENTENCES = re.compile("[" + re.escape("".join(sorted(_SENTENCE_END))) + "]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")


def raw_tokens(text: str) -> list[str]:
    """The words of a comparison text as written (numbers' thousands separators dropped): what
    a quick look at a title compares (see `key_candidates`)."""
    if "," in text:
        text = _THOUSANDS.sub("", text)
    return TOKEN.findall(text)


_LOWER_NUMBER_BYTES = frozenset(w.encode() for w in _LOWER_NUMBERS)
CASE_MATTERS = frozenset([*_AMBIGUOUS, *(w.encode() for w in _AMBIGUOUS)])


def key_candidates(raw: list[str] | list[bytes], cyrillic: bool) -> list[str] | list[bytes]:
    """The words as written that text_tokens may make a name, number or caseless word of: all
    but lower-case words of letters (and of those, the number words, and in a text with
    Cyrillic every word: a Russian month is a lower-case word). A superset: two texts whose
    candidates the other has as often cannot differ in a name or number."""
    if cyrillic:
        return raw
    if not raw:
        return raw
    # C-level iterators: this looks at every word of every text in a candidate pair
    kind = type(raw[0])
    lower = map(kind.islower, raw)  # type: ignore[arg-type]
    alpha = map(kind.isalpha, raw)  # type: ignore[arg-type]
    out = list(compress(raw, map(operator.not_, map(operator.and_, lower, alpha))))
    number_words = _LOWER_NUMBER_BYTES if kind is bytes else _LOWER_NUMBERS.keys()
    if numbers := number_words & set(raw):
        out += [w for w in raw if w in numbers]
    return out  # type: ignore[return-value]


def has_cyrillic(text: str) -> bool:
    return _CYRILLIC.search(text) is not None


def text_tokens(text: str) -> TextTokens:
    """Tokens of a comparison text (kcna_dataset.stages.dedup.normalize.comparison_text).

    Most words are lower case and need nothing but themselves: they are copied a run at a
    time, and only the others (capitalised, digits, apostrophes, scripts without case, number
    words) are looked at one by one; a sentence's first word is found by splitting the text
    into sentences first (no token holds a sentence end)."""
    if "," in text:
        text = _THOUSANDS.sub("", text)
    if "-" in text:
        text = _COMPOUND_NUMBER.sub(_compound, text)
    raw: list[str] = []
    first_of_sentence: set[int] = set()
    for sentence in _SENTENCES.split(text):
        found = TOKEN.findall(sentence)
        if found:
            first_of_sentence.add(len(raw))
            raw += found
    n_raw = len(raw)
    lowered = list(map(str.lower, raw))
    lower_words = sum(map(str.islower, raw))
    look: list[int]  # the words that need a look, in order
    if _CYRILLIC.search(text) is not None:  # a Russian month is a lower-case word
        look = list(range(n_raw))
    elif n_raw < 64:  # a title: numpy's setup costs more than the loop
        number_words = _LOWER_NUMBERS.keys()
        look = [
            i
            for i, w in enumerate(raw)
            if not (w.islower() and w.isalpha()) or lowered[i] in number_words
        ]
    else:
        plain = np.fromiter(map(str.islower, raw), bool, count=n_raw)
        plain &= np.fromiter(map(str.isalpha, raw), bool, count=n_raw)
        if numbers_here := _LOWER_NUMBERS.keys() & set(lowered):
            plain &= np.fromiter((w not in numbers_here for w in lowered), bool, count=n_raw)
        look = np.flatnonzero(~plain).tolist()
    tokens: list[str] = []
    words: list[str] = []
    kinds = bytearray()
    acronym: list[bool] = []
    upper_words = 0
    done = 0  # raw[:done] is in the output
    for i in look:
        word = raw[i]
        tokens += lowered[done:i]
        words += raw[done:i]
        kinds += bytes(i - done)  # PLAIN
        acronym += [False] * (i - done)
        done = i + 1
        initial = i in first_of_sentence
        for piece in _pieces(word):
            canon, kind = _canonical(piece)
            first = piece[0]
            if kind == PLAIN:
                if first.isupper():
                    kind = INITIAL if initial else NAME
                elif not first.islower() and first.isalpha():
                    kind = CASELESS  # a letter with no case: Hangul, Han, Kana, Arabic, ...
            initial = False
            bare = piece.removesuffix("'s")
            big = len(bare) > 1 and bare.isupper()
            upper_words += big
            tokens.append(canon)
            words.append(piece)
            kinds.append(kind)
            acronym.append(big)
    tail = len(raw) - done
    tokens += lowered[done:]
    words += raw[done:]
    kinds += bytes(tail)
    acronym += [False] * tail
    n = len(tokens)
    # all-capitals or all-lower-case text: letter case says nothing about names
    normal_case = upper_words + lower_words > 0 and upper_words < 0.5 * n and lower_words < 0.98 * n
    lower = {t for t, k in zip(tokens, kinds, strict=True) if k == PLAIN}
    numbers = {t for t, k in zip(tokens, kinds, strict=True) if k == NUMBER}
    names: set[str] = set()
    initials: set[str] = set()
    if normal_case:
        names = {t for t, k in zip(tokens, kinds, strict=True) if k == NAME and len(t) > 1}
        names -= lower
        initials = {t for t, k in zip(tokens, kinds, strict=True) if k == INITIAL}
    caseless = {t for t, k in zip(tokens, kinds, strict=True) if k == CASELESS}
    letters = n > 0 and any(c.isalpha() for c in text)
    return TextTokens(
        tuple(tokens),
        tuple(words),
        bytes(kinds),
        tuple(acronym),
        frozenset(numbers),
        frozenset(names),
        frozenset(initials),
        frozenset(lower),
        frozenset(caseless),
        letters,
        normal_case,
    )
