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

import re
from dataclasses import dataclass

# Han ideographs, Hiragana, Katakana (and their extensions): one token per character
CJK = (
    "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0002fa1f"
)
# a CJK character, or a run of other word characters (with inner apostrophes: `People's`)
TOKEN = re.compile(rf"[{CJK}]|[^\W{CJK}]+(?:'[^\W{CJK}]+)*")
_CJK_CHAR = re.compile(rf"[{CJK}]")
_SENTENCE_END = frozenset(".!?:;\n。！？：；")
# `1,000` and `1,000,000`: one number, as `1000` is
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
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
    if any(c.isdigit() for c in word):
        return _NUMBER_SUFFIX.sub("", low), NUMBER
    if word[0].isupper():
        if low in _EN_MONTHS:
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


_NUMBER_WORD = re.compile(r"\d+(?:st|nd|rd|th|mm|cm|km|kg|m|s)?", re.IGNORECASE)
_DIGIT_RUNS = re.compile(r"\d+|\D+")


def _pieces(word: str) -> list[str]:
    """A word with digits glued to letters (`4Kim` from the sites' markup, `MiG29`, `10월`) is
    its runs of digits and of letters; a number with its ordinal or unit (`8th`, `240mm`) stays
    one token."""
    if word.isdigit() or not any(c.isdigit() for c in word) or _NUMBER_WORD.fullmatch(word):
        return [word]
    return _DIGIT_RUNS.findall(word)


def text_tokens(text: str) -> TextTokens:
    """Tokens of a comparison text (kcna_dataset.dedup.normalize.comparison_text)."""
    if "," in text:
        text = _THOUSANDS.sub("", text)
    tokens: list[str] = []
    words: list[str] = []
    kinds = bytearray()
    acronym: list[bool] = []
    upper_words = lower_words = 0
    end = 0
    for m in TOKEN.finditer(text):
        start = m.start()
        initial = end == 0 or any(c in _SENTENCE_END for c in text[end:start])
        end = m.end()
        for word in _pieces(m.group()):
            canon, kind = _canonical(word)
            first = word[0]
            if kind == PLAIN:
                if first.isupper():
                    kind = INITIAL if initial else NAME
                elif not first.islower() and first.isalpha():
                    kind = CASELESS  # a letter with no case: Hangul, Han, Kana, Arabic, ...
            initial = False
            if word.isupper() and len(word) > 1:
                upper_words += 1
            elif word.islower():
                lower_words += 1
            tokens.append(canon)
            words.append(word)
            kinds.append(kind)
            acronym.append(len(word) > 1 and word.isupper())
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


def has_cjk(text: str) -> bool:
    return _CJK_CHAR.search(text) is not None
