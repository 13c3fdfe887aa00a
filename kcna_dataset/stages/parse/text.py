"""kcna.kp text conventions shared by every raw format: dateline, end mark, stamp, glued names.

Each convention is moved out of the body into its own field, so that the body holds only the
statement's text and copies from outlets that omit them compare equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
# `Pyongyang, September 13 (KCNA) -- ` (the space after `--` is sometimes missing).
_DATELINE = re.compile(
    rf"^(?P<dateline>[A-Z][A-Za-z.'’ -]{{1,40}}, (?:{_MONTHS}) \d{{1,2}} \(KCNA\))\s*--\s*"
)
# ` -0-` closes every kcna.kp text; pages sometimes put a no-break space before it (split_body
# finds it with str methods; this is the pattern they implement, kept for the tests)
# `www.kcna.kp (Juche113.9.13.)`, since 2025 also `www.kcna.kp (2025.12.14.)`.
_STAMP = re.compile(
    r"^www\.kcna\.kp \((?:Juche(?P<juche>\d{1,3})|(?P<year>\d{4}))"
    r"\.(?P<month>\d{1,2})\.(?P<day>\d{1,2})\.?\)$"
)
# Trailing `[Juche113.1.2.]` / `[2024.02.11.]` that kcna.kp appends to some headlines.
_TITLE_STAMP = re.compile(r"\s*\[(?:Juche\d{1,3}|\d{4})\.\d{1,2}\.\d{1,2}\.?\]\s*$")
# Runs of spaces, and the no-break and tab characters, become one space. A lone plain space is
# not matched: replacing every space of a text with itself made this the slowest step of parsing.
_SPACES = re.compile(r"[ \t\u00a0\u2007\u202f]{2,}|[\t\u00a0\u2007\u202f]")
_WHITESPACE = re.compile(r"\s+")

# kcna.kp sets the leaders' names in a styled span and scrapers drop the spaces around it:
# `ComradeKim Jong Unreceived`, `HEKim Jong Un`, `Kim Il SungUniversity`.
LEADER_NAMES = ("Kim Il Sung", "Kim Jong Il", "Kim Jong Un")
_NAMES = "|".join(re.escape(n) for n in LEADER_NAMES)
# Both patterns start with the literal `Kim `, which the engine searches for, where a leading
# look-around is tried at every position (~5x slower; the plain forms are pinned in the tests):
# a name glued to the letter before it (`Kim ` is replaced by ` Kim `) ...
assert all(n.startswith("Kim ") for n in LEADER_NAMES)
_TAILS = "|".join(re.escape(n.removeprefix("Kim ")) for n in LEADER_NAMES)
_GLUED_BEFORE = re.compile(rf"Kim (?<=[A-Za-z]Kim )(?={_TAILS})")
# ... and to the letter after it (the name is replaced by itself and a space). `-ism`/`-ist`
# words are left alone (no such glue was seen, and splitting them would be wrong).
_GLUED_AFTER = re.compile(rf"(?:{_NAMES})(?=[A-Za-z])(?!(?:ism|ist)s?\b)")

JUCHE_OFFSET = 1911  # Juche 1 = 1912


def unglue_leader_names(text: str) -> str:
    """`ComradeKim Jong Unreceived` -> `Comrade Kim Jong Un received`."""
    if "Kim " not in text:  # every name starts so; the look-around scan is slow on long texts
        return text
    return _GLUED_AFTER.sub(r"\g<0> ", _GLUED_BEFORE.sub(" Kim ", text))


def clean_title(raw: str) -> str:
    """No-break spaces and stray whitespace folded, trailing date stamp removed."""
    title = _TITLE_STAMP.sub("", raw) if "[" in raw else raw  # a stamp is rare; \s* scans all
    return _WHITESPACE.sub(" ", title).strip()


# what _SPACES can match starts with one of these; `in` finds them far faster than the regex
# scans a paragraph, and most paragraphs have none (0 of 4,752 generated, 97 of 5,781 real)
_SPACE_MARKS = ("  ", "\t", "\u00a0", "\u2007", "\u202f")


def clean_paragraph(raw: str) -> str:
    if any(mark in raw for mark in _SPACE_MARKS):
        raw = _SPACES.sub(" ", raw)
    return raw.strip()


def stamp_date(stamp: str) -> date | None:
    """The date a kcna.kp stamp line gives, or None when it names an impossible date."""
    m = _STAMP.match(stamp)
    if not m:
        return None
    year = int(m["juche"]) + JUCHE_OFFSET if m["juche"] else int(m["year"])
    try:
        return date(year, int(m["month"]), int(m["day"]))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Body:
    text: str  # paragraphs joined by LF
    dateline: str | None
    end_mark: bool
    stamp: str | None


def split_body(paragraphs: list[str], cleaned: bool = False) -> Body:
    """Separate the dateline, end mark and stamp from raw paragraphs and normalise the rest.
    `cleaned`: the paragraphs are clean_paragraph's already, none empty (a page's lines are
    cleaned as they are read): ungluing a name puts one space between two letters, which
    cleaning would leave as it is (tested), so they are not cleaned again (4.8 us a page)."""
    if cleaned:
        paras = list(map(unglue_leader_names, paragraphs))
    else:
        paras = [p for p in (clean_paragraph(unglue_leader_names(p)) for p in paragraphs) if p]
    stamp = None
    if paras and _STAMP.match(paras[-1]):
        stamp = paras.pop()
    end_mark = False
    # the match of `\s*-0-\s*$`, found with str methods (the leading \s* makes a search try
    # every position of the paragraph): the paragraph ends with `-0-` once trailing space is
    # stripped (tests/test_text.py holds the two to the same result)
    if paras and (last := paras[-1].rstrip()).endswith("-0-"):
        end_mark = True
        paras[-1] = last[:-3].rstrip()
        if not paras[-1]:
            paras.pop()
    dateline = None
    if paras and (m := _DATELINE.match(paras[0])):
        dateline = m["dateline"]
        paras[0] = paras[0][m.end() :]
        if not paras[0]:
            paras.pop(0)
    return Body("\n".join(paras), dateline, end_mark, stamp)
