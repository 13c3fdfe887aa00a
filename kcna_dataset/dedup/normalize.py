"""The text as compared: what copies of one statement share, whatever the outlet did to it.

Used only for matching; the published body keeps its quotes and wording.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import filterfalse, islice

# (old, new) pairs: a few str.replace scans are much faster than str.translate with a dict
_QUOTES = (
    ("\u2018", "'"),
    ("\u2019", "'"),
    ("\u201b", "'"),
    ("\u2032", "'"),
    ("`", "'"),
    ("\u201c", '"'),
    ("\u201d", '"'),
    ("\u201e", '"'),
    ("\u2033", '"'),
)
# Outlets spell the country out where KCNA writes DPRK, or both at once.
_DPRK = re.compile(r"Democratic People'?s Republic of Korea(?:\s*\(DPRK\))?", re.IGNORECASE)
# A closing byline (Rodong: `Rodong Sinmun`, `Political News Team`, an author's name): a last
# paragraph of a few words without closing punctuation.
_BYLINE = re.compile(r"^[A-Z][\w.'-]*(?: [A-Z][\w.'-]*){0,4}$")
# An opening lead-in some outlets add: `The following is the full text of the statement:`.
_LEAD_IN = re.compile(
    r"^(?:The )?(?:following is the )?full text of the [\w ]{1,40}(?:follows)?"
    r"(?: reads as follows)?:?$",
    re.IGNORECASE,
)
_DATE_WORDS = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
)
_NUMBER_SUFFIX = re.compile(r"(?<=\d)(?:st|nd|rd|th|mm|cm|km|kg|m|s)$")


def comparison_text(body: str) -> str:
    """NFKC, straight quotes, DPRK spelled one way, byline and lead-in paragraphs dropped."""
    text = unicodedata.normalize("NFKC", body)
    for old, new in _QUOTES:
        if old in text:
            text = text.replace(old, new)
    if "republic" in text.lower():  # the case-insensitive regex scan is slow; skip it when absent
        text = _DPRK.sub("DPRK", text)
    paras = [p.strip() for p in text.split("\n") if p.strip()]
    if len(paras) > 1 and _BYLINE.match(paras[-1]):
        paras.pop()
    if len(paras) > 1 and _LEAD_IN.match(paras[0]):
        paras.pop(0)
    return "\n".join(paras)


def match_key(body: str) -> str:
    """Equal keys = the same text up to case, spacing, quotes and the folds above."""
    return key_of(comparison_text(body))


def key_of(text: str) -> str:
    """match_key of an already computed comparison_text."""
    return "".join(text.casefold().split())  # str.split() splits on what \s matches


# the ASCII characters str.split() splits on (bytes.split() leaves out \x1c-\x1f)
_ASCII_SPACES = bytes(c for c in range(128) if chr(c).isspace())


def key_bytes(text: str) -> bytes:
    """key_of(text), UTF-8 encoded (an ASCII text's without making the words as strings)."""
    if text.isascii():  # casefold is lower for ASCII
        return text.encode("ascii").lower().translate(None, _ASCII_SPACES)
    return key_of(text).encode()


@dataclass(frozen=True, slots=True)
class Tokens:
    n_words: int  # how many word tokens (the words themselves are not kept: memory)
    numbers: frozenset[str]  # number tokens (suffixes folded), month and weekday names
    names: frozenset[str]  # capitalised words that do not start a sentence, lower-cased
    normal_case: bool  # False for all-caps or all-lowercase text: names cannot be told apart


# possessive: the same matches as \w+(?:'\w+)* (nothing after a word could make it give back
# characters), without the backtracking bookkeeping; ~17% faster, and it runs over every text
_WORD = re.compile(r"\w++(?:'\w++)*+")
# A capitalised word after a space that does not follow a sentence end (. ! ? : ; or a line).
# Written to start with the space (a literal the engine searches for, where a leading
# look-behind is tried at every position) and possessive: the same names, ~3x faster (tested).
_NAME = re.compile(r" (?<=[^.!?:;\n] )[\"(\[]?+([A-Z]\w*+(?:'\w++)*+)")
# The ASCII texts' words without a regular expression (nearly every text is ASCII, and this
# runs over all of them): each byte that is neither a word character nor an apostrophe becomes
# a space, so does an apostrophe that is not between two word characters, and what is left
# splits on spaces into the tokens _WORD finds (tested against it).
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_'")
_TO_SPACES = bytes(c if c in _WORD_BYTES else 0x20 for c in range(256))
_LOOSE_APOSTROPHE = re.compile(rb"'(?:(?<!\w')|(?!\w))")
_DATE_BYTES = frozenset(w.encode() for w in _DATE_WORDS)


def opening(text: str, n_words: int) -> str:
    """The start of a comparison text, up to (not including) its n-th word."""
    nth = next(islice(_WORD.finditer(text), n_words, None), None)  # skipped in C
    return text if nth is None else text[: nth.start()]


def words_of(text: str) -> tuple[str, ...]:
    """The lower-cased word tokens of a comparison_text (what shingles are made of)."""
    return tuple(map(str.lower, _WORD.findall(text)))


def _spaced_ascii_words(text: str) -> bytes:
    """An ASCII text's word tokens (_WORD's), in their case, separated by spaces."""
    spaced = text.encode("ascii").translate(_TO_SPACES)
    if b"'" in spaced:
        spaced = _LOOSE_APOSTROPHE.sub(b" ", spaced)
    return spaced


def word_keys(text: str) -> list[bytes]:
    """words_of(text), UTF-8 encoded: what token hashes are taken of."""
    if text.isascii():  # O(1): CPython knows a string's widest character
        return _spaced_ascii_words(text).lower().split()
    return [w.encode() for w in words_of(text)]


def tokenize(text: str) -> Tokens:
    """What verification compares of a comparison_text: numbers, names, word count."""
    return tokenize_words(text)[0]


def tokenize_words(text: str) -> tuple[Tokens, list[bytes]]:
    """tokenize, and word_keys(text) (what shingles are made of)."""
    # map/filter with str and bytes methods instead of generator expressions: this runs once
    # per word of every text verified, and the C loops are several times faster
    original: list[str] | list[bytes]
    if text.isascii():
        spaced = _spaced_ascii_words(text)
        original = spaced.split()
        words = spaced.lower().split()
        caps = list(filter(bytes.isupper, original))
        lower_words = sum(map(bytes.islower, original))
    else:
        original = _WORD.findall(text)
        words = [w.lower().encode() for w in original]
        caps = list(filter(str.isupper, original))
        lower_words = sum(map(str.islower, original))
    # a number token has a digit; bytes.isalpha is False for non-ASCII letters, so a word that
    # is not alpha as bytes is decoded and its characters asked (as tokenising the str would)
    unsure = map(bytes.decode, filterfalse(bytes.isalpha, words))
    numbers = {_NUMBER_SUFFIX.sub("", w) for w in unsure if any(map(str.isdigit, w))}
    numbers.update(w.decode() for w in _DATE_BYTES.intersection(words))
    names = {n.lower().removesuffix("'s") for n in _NAME.findall(text)}
    names -= _DATE_WORDS
    upper = len(caps) - sum(1 for w in caps if len(w) == 1)
    normal_case = bool(words) and upper < 0.5 * len(words) and lower_words < 0.98 * len(words)
    return Tokens(len(words), frozenset(numbers), frozenset(names), normal_case), words
