"""The text as compared: what copies of one statement share, whatever the outlet did to it.

Used only for matching; the published body keeps its quotes and wording.
"""

from __future__ import annotations

import re
import unicodedata

from kcna_dataset.stages.dedup.tokens import TOKEN

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


def comparison_text(body: str) -> str:
    """NFKC, straight quotes, DPRK spelled one way, byline and lead-in paragraphs dropped."""
    paras = [p.strip() for p in clean_title(body).split("\n") if p.strip()]
    if len(paras) > 1 and _BYLINE.match(paras[-1]):
        paras.pop()
    if len(paras) > 1 and _LEAD_IN.match(paras[0]):
        paras.pop(0)
    return "\n".join(paras)


def clean_title(title: str) -> str:
    """A title as compared (and the first step of a body's comparison text): NFKC, straight
    quotes, DPRK spelled one way."""
    text = unicodedata.normalize("NFKC", title)
    for old, new in _QUOTES:
        if old in text:
            text = text.replace(old, new)
    if text.isascii():
        return _dprk_ascii(text)
    if "republic" in text.lower():  # the case-insensitive regex scan is slow; skip it when absent
        text = _DPRK.sub("DPRK", text)
    return text


_DPRK_START = "democratic people"  # what every match of _DPRK starts with, in lower case


def _dprk_ascii(text: str) -> str:
    """_DPRK.sub("DPRK", text) for an ASCII text. A case-insensitive pattern has no literal for
    the engine to look for first, so `sub` tried it at every position: 13 us a 2.9 kB text.
    In ASCII, lower() keeps every position, so a match can only start where the lower-cased
    text has the pattern's opening words; str.find finds those, and the pattern is tried
    there alone, left to right, as `sub` finds its matches (tested against it)."""
    lowered = text.lower()
    at = lowered.find(_DPRK_START)
    if at < 0:
        return text
    parts: list[str] = []
    done = 0  # text[:done] is in parts
    while at >= 0:
        if (m := _DPRK.match(text, at)) is not None:
            parts += (text[done:at], "DPRK")
            done = m.end()
            at = lowered.find(_DPRK_START, done)
        else:
            at = lowered.find(_DPRK_START, at + 1)
    return "".join(parts) + text[done:] if parts else text


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


# possessive: the same matches as \w+(?:'\w+)* (nothing after a word could make it give back
# characters), without the backtracking bookkeeping; the ASCII path below is tested against it
_WORD = re.compile(r"\w++(?:'\w++)*+")
# The ASCII texts' words without a regular expression (nearly every text is ASCII, and this
# runs over all of them): each byte that is neither a word character nor an apostrophe becomes
# a space, so does an apostrophe that is not between two word characters, and what is left
# splits on spaces into the tokens _WORD finds (tested against it).
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_'")
_TO_SPACES = bytes(c if c in _WORD_BYTES else 0x20 for c in range(256))
_LOOSE_APOSTROPHE = re.compile(rb"'(?:(?<!\w')|(?!\w))")


def words_of(text: str) -> tuple[str, ...]:
    """The lower-cased word tokens of a comparison_text (what shingles are made of): runs of
    word characters, except that Chinese and Japanese characters are a token each."""
    return tuple(map(str.lower, TOKEN.findall(text)))


def _spaced(text: str) -> bytes:
    """An ASCII text's word tokens (_WORD's), in their case, separated by spaces."""
    spaced = text.encode("ascii").translate(_TO_SPACES)
    if b"'" in spaced:
        spaced = _LOOSE_APOSTROPHE.sub(b" ", spaced)
    return spaced


def word_keys(text: str) -> list[bytes]:
    """words_of(text), UTF-8 encoded: what token hashes are taken of."""
    if text.isascii():  # O(1): CPython knows a string's widest character
        return _spaced(text).lower().split()
    return [w.encode() for w in words_of(text)]


def spaced_keys(text: str) -> bytes:
    """word_keys(text) separated by spaces, as one UTF-8 string (an ASCII text's without
    making its words as objects): what `TokenHasher.texts` splits. Stripped: Arrow's split
    makes an empty token of a leading or trailing space, where bytes.split makes none."""
    if text.isascii():
        return _spaced(text).lower().strip()
    return " ".join(words_of(text)).encode()


def words_as_written(text: str) -> tuple[list[bytes] | list[str], list[bytes]]:
    """The words of a comparison text as written (bytes for an ASCII text, where they are
    split without a regular expression), and word_keys(text)."""
    if text.isascii():
        spaced = _spaced(text)
        return spaced.split(), spaced.lower().split()
    written = TOKEN.findall(text)
    return written, [w.lower().encode() for w in written]
