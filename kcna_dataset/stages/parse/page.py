"""KCNA Watch page text (*.txt).

January 25, 2026Jan 25, 2026                      <- listing date, long form then short form
KCNA Ministry of Foreign Affairs (EN)             <- `KCNA ` + source label
<title>
Date: 13/09/2024 | Source: <label> | Read original version at source   <- DD/MM/YYYY
<body paragraphs, blank-line separated>
More From <label>                                 <- navigation: teasers, dates, ...
...
More Articles
"""

from __future__ import annotations

import re
from datetime import date

from kcna_dataset.findings import Finding, finding
from kcna_dataset.records import RawFile
from kcna_dataset.stages.parse.decode import control_character, decode_bytes
from kcna_dataset.stages.parse.draft import Draft, ParsedRecord
from kcna_dataset.stages.parse.text import clean_paragraph, clean_title, split_body

_LISTING = re.compile(
    r"^(?P<long>[A-Z][a-z]+ \d{1,2}, \d{4})(?P<short>[A-Z][a-z]{2} \d{1,2}, \d{4})$"
)
_SOURCE_LINE = re.compile(r"^KCNA (?P<label>\S.*)$")
_META = re.compile(
    r"^Date: (?P<date>\S+) \| Source: (?P<label>.+?)(?: \| Read original version at source)?$"
)
_DMY = re.compile(r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})$")
# The navigation block starts here; nothing from it on is article text.
_NAVIGATION = re.compile(r"^(?:More From .*|More Articles)$")
# What the navigation block is made of, should it appear above its `More From` line.
_NAVIGATION_LINE = re.compile(r"^(?:[A-Z][a-z]+ \d{1,2}, \d{4}|Read original version at source)$")
_HTML = re.compile(r"^\s*<(?:!doctype|html|head|body|meta|div|p|article)\b", re.IGNORECASE)


# month names as strptime's %B and %b read them (the C locale, which Python starts in)
_MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MONTHS = {name: n for n, name in enumerate(_MONTH_NAMES, 1)}
_MONTH_ABBREVIATIONS = {name[:3]: n for n, name in enumerate(_MONTH_NAMES, 1)}
# strptime's own patterns for %d and %Y (`\d` takes any decimal digit, which int() reads)
_MONTH_DAY_YEAR = re.compile(r"^([A-Z][a-z]+) (3[01]|[12]\d|0[1-9]|[1-9]| [1-9]), (\d\d\d\d)$")


def _month_day_year(text: str, months: dict[str, int]) -> date | None:
    """`January 25, 2026` (or `Jan 25, 2026` with the abbreviations): what
    datetime.strptime(text, "%B %d, %Y") reads, in a tenth of its time (two a page)."""
    m = _MONTH_DAY_YEAR.match(text)
    if not m or (month := months.get(m[1])) is None:
        return None
    try:
        return date(int(m[3]), month, int(m[2]))
    except ValueError:
        return None


def parse_listing_date(line: str) -> date | None:
    m = _LISTING.match(line)
    if not m:
        return None
    long = _month_day_year(m["long"], _MONTHS)
    short = _month_day_year(m["short"], _MONTH_ABBREVIATIONS)
    return long if long is not None and long == short else None


def parse_dmy(value: str) -> date | None:
    m = _DMY.match(value)
    if not m:
        return None
    try:
        return date(int(m["y"]), int(m["m"]), int(m["d"]))
    except ValueError:
        return None


def _next_nonblank(lines: list[str], start: int) -> int:
    i = start
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i


def _paragraphs(lines: list[str]) -> list[str]:
    """Blank-line separated paragraphs; a paragraph wrapped over several lines is joined."""
    paras: list[str] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(clean_paragraph(line))
        elif current:
            paras.append(" ".join(current))
            current = []
    if current:
        paras.append(" ".join(current))
    return paras


def navigation_line(lines: list[str], start: int, end: int) -> int | None:
    """Index of the first line in lines[start:end] that belongs to page navigation."""
    previous = None
    for i in range(start, end):
        line = lines[i].strip()
        if not line:
            continue
        # navigation repeats each headline and teaser twice and dates each entry
        if _NAVIGATION_LINE.match(line) or (line == previous and len(line) < 200):
            return i
        previous = line
    return None


def parse_page(raw: RawFile) -> list[ParsedRecord]:
    def reject(*found: Finding) -> list[ParsedRecord]:
        return [ParsedRecord(raw.path, None, raw.sha256, None, (*warnings, *found))]

    text, warnings = decode_bytes(raw.data, raw.path)
    if text is None:
        return [ParsedRecord(raw.path, None, raw.sha256, None, tuple(warnings))]
    if _HTML.match(text):
        return reject(finding("html-instead-of-text", raw.path, 1, found=text.strip()[:60]))
    if control := control_character(text, raw.path):
        return reject(control)
    lines = [line.rstrip() for line in text.splitlines()]

    first = lines[0].strip() if lines else ""
    listed = parse_listing_date(first)
    if listed is None:
        return reject(finding("listing-date-invalid", raw.path, 1, found=first[:80]))
    second = lines[1].strip() if len(lines) > 1 else ""
    m_source = _SOURCE_LINE.match(second)
    if not m_source:
        return reject(finding("source-line-invalid", raw.path, 2, found=second[:80]))

    t = _next_nonblank(lines, 2)
    if t >= len(lines) or _META.match(lines[t].strip()):
        return reject(finding("title-missing", raw.path, min(t, len(lines) - 1) + 1))
    title_line = t
    d = _next_nonblank(lines, t + 1)
    m_meta = _META.match(lines[d].strip()) if d < len(lines) else None
    if not m_meta:
        return reject(finding("meta-line-missing", raw.path, min(d, len(lines) - 1) + 1))
    published = parse_dmy(m_meta["date"])
    if published is None:
        return reject(
            finding("date-invalid", raw.path, d + 1, value=m_meta["date"], form="DD/MM/YYYY")
        )

    end = next(
        (i for i in range(d + 1, len(lines)) if _NAVIGATION.match(lines[i].strip())), len(lines)
    )
    body_start = _next_nonblank(lines, d + 1)
    if (nav := navigation_line(lines, body_start, end)) is not None:
        return reject(finding("navigation-in-body", raw.path, nav + 1, found=lines[nav][:80]))
    draft = Draft(
        title=clean_title(lines[title_line]),
        published_date=published,
        body=split_body(_paragraphs(lines[d + 1 : end]), cleaned=True),
        source_label=m_meta["label"].strip(),
        line_label=m_source["label"].strip(),
        listed_date=listed,
        lines={
            "listed_date": 1,
            "source_label": 2,
            "title": title_line + 1,
            "published_date": d + 1,
            "body": body_start + 1,
        },
    )
    return [ParsedRecord(raw.path, None, raw.sha256, draft, tuple(warnings))]
