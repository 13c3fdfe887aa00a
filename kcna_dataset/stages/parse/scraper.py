"""Scraper records (JSONL lines, CSV rows): one record's fields -> Draft, or located findings.

Fields, as stiles/north-korea-news writes them: headline, date (ISO), link, topic (optional),
story_text (paragraphs separated by LF).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from kcna_dataset.findings import Finding, finding
from kcna_dataset.stages.parse.decode import control_character
from kcna_dataset.stages.parse.draft import Draft, ParsedRecord
from kcna_dataset.stages.parse.text import clean_title, split_body

REQUIRED = ("headline", "date", "link", "story_text")
FIELDS = (*REQUIRED, "topic", "date_str")
# a researcher's own field names: (the name this tool reads, the name in their files), e.g.
# (("headline", "title"), ("story_text", "body")) for a `date,url,title,body` CSV
FieldMap = tuple[tuple[str, str], ...]


def parse_field_map(pairs: list[str]) -> FieldMap:
    """`--map headline=title` options -> a FieldMap; ValueError naming a bad one."""
    out = []
    for pair in pairs:
        ours, _, theirs = pair.partition("=")
        ours, theirs = ours.strip(), theirs.strip()
        if not theirs or ours not in FIELDS:
            raise ValueError(
                f"--map {pair!r} is not FIELD=THEIR_NAME with FIELD one of {', '.join(FIELDS)}"
            )
        out.append((ours, theirs))
    for what, names in (("field", [o for o, _ in out]), ("name", [t for _, t in out])):
        if repeated := sorted({x for x in names if names.count(x) > 1}):
            raise ValueError(f"--map gives the {what} {repeated[0]!r} twice")
    return tuple(out)


def renamed(obj: Any, field_map: FieldMap) -> Any:
    """A record's fields under this tool's names (a mapped name replaces its field)."""
    if not field_map or not isinstance(obj, dict):
        return obj
    ours_of = {their: ours for ours, their in field_map}
    replaced = {ours for ours, their in field_map if ours != their}
    out = {}
    for key, value in obj.items():
        if key in ours_of:
            out[ours_of[key]] = value
        elif key not in replaced:
            out[key] = value
    return out


# an ISO date, or an ISO date-time (`T` or a space, seconds and fraction optional, `Z` or an
# offset optional): archives and pandas exports write both
_ISO_DATE = re.compile(
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?$"
)
# 1973-03-03 .. 2286-11-20 in milliseconds; `.0` after it as pandas writes a float column
_EPOCH_MS = re.compile(r"^([0-9]{11,13})(?:\.0+)?$")
DATE_FORMS = "YYYY-MM-DD or an ISO date-time, or milliseconds since 1970 UTC"


_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number"}


def _type_name(value: Any) -> str:
    """A decoded value's JSON type (`found a JSON array`, not Python's `list`)."""
    if value is None:
        return "null"
    return _JSON_TYPES.get(type(value), "number" if isinstance(value, float) else "value")


def said_identity(obj: Any, field_map: FieldMap = ()) -> tuple[str | None, str | None]:
    """A record's headline and link as it gives them (strings, trimmed, at most 300
    characters), whether or not it is valid."""
    obj = renamed(obj, field_map)

    def text(key: str) -> str | None:
        value = obj.get(key) if isinstance(obj, dict) else None
        if not isinstance(value, str):
            return None
        # as it can be written (a lone surrogate from a \u escape as the escape)
        said = value.strip()[:300].encode("utf-8", "backslashreplace").decode("utf-8")
        return said or None

    return text("headline"), text("link")


def _date_field(obj: dict[str, Any]) -> Any:
    """The record's date: `date`, or where it is missing the ISO `date_str` that archives
    write beside an epoch `date`."""
    value = obj.get("date")
    if value is None or (isinstance(value, str) and not value.strip()):
        fallback = obj.get("date_str")
        if isinstance(fallback, str) and fallback.strip():
            return fallback
    return value


def _parse_date(value: str | int | float) -> date | None:
    """An ISO date; an ISO date-time, whose date is taken as written (the time of day and the
    offset are dropped: the date the source gave is the article's date, in whatever zone it
    wrote it); or milliseconds since 1970 as an integer, a whole float or a string of 11-13
    digits (the archives' epoch dates), taken as a UTC date (their midnight UTC is the
    article's date)."""
    if isinstance(value, float):  # JSON writers and pandas give 1722816000000.0
        if not value.is_integer():
            return None
        value = int(value)
    if isinstance(value, int):  # as a number: the same 11-13 digits (20240131 is no date)
        value = str(value)
    if m := _EPOCH_MS.match(value):
        try:
            return datetime.fromtimestamp(int(m[1]) / 1000, UTC).date()
        except (OverflowError, ValueError, OSError):
            return None
    if m := _ISO_DATE.match(value):
        try:
            datetime.fromisoformat(value)  # a real time of day too, not 25:61
            return date.fromisoformat(m[1])
        except ValueError:
            return None
    return None


def parse_fields(
    path: str, n: int, obj: Any, field_map: FieldMap = (), malformed: str = "jsonl-malformed"
) -> tuple[Draft | None, list[Finding]]:
    """A record's fields (a JSON object or a CSV row) starting at line n of `path`, under this
    tool's names after `field_map`."""
    obj = renamed(obj, field_map)
    if not isinstance(obj, dict):
        return None, [finding(malformed, path, n, reason=f"found a JSON {_type_name(obj)}")]
    problems: list[Finding] = []
    when = _date_field(obj)
    for key in REQUIRED:
        value = when if key == "date" else obj.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            problems.append(finding("field-missing", path, n, field=key))
        elif not isinstance(value, str) and not (
            key == "date" and isinstance(value, int | float) and not isinstance(value, bool)
        ):
            expected = "a string or milliseconds since 1970" if key == "date" else "a string"
            problems.append(
                finding(
                    "field-type", path, n, field=key, expected=expected, found=_type_name(value)
                )
            )
    topic = obj.get("topic")
    if topic is not None and not isinstance(topic, str):
        problems.append(
            finding(
                "field-type", path, n, field="topic", expected="a string", found=_type_name(topic)
            )
        )
    if problems:
        return None, problems
    for key in ("headline", "story_text", "link", "topic"):
        if isinstance(obj.get(key), str) and (control := control_character(obj[key], path, n)):
            return None, [control]
    published = _parse_date(when.strip() if isinstance(when, str) else when)
    if published is None:
        return None, [finding("date-invalid", path, n, value=when, form=DATE_FORMS)]
    draft = Draft(
        title=clean_title(obj["headline"]),
        published_date=published,
        body=split_body(obj["story_text"].split("\n")),
        url=obj["link"].strip(),
        topic=(topic or "").strip() or None,
        lines=dict.fromkeys(("title", "published_date", "body", "url"), n),
    )
    return draft, []


def scraper_record(
    path: str,
    raw_path: str,
    n: int,
    sha: str,
    obj: Any,
    field_map: FieldMap,
    warnings: tuple[Finding, ...] = (),
    repeated: Sequence[str] = (),
    malformed: str = "jsonl-malformed",
    column: int | None = None,
) -> ParsedRecord:
    """One scraper record (a JSONL line, a JSON array's element, a CSV row) as a ParsedRecord:
    its fields parsed, its keys given twice (`repeated`) said, its findings located at
    `column` where the line alone does not locate it, and what it says it is kept when it
    did not parse (a rejection shows it)."""
    draft, problems = parse_fields(path, n, obj, field_map, malformed)
    for field, count in Counter(repeated).items():
        problems.append(finding("field-repeated", path, n, field=field, count=count + 1))
    if column is not None:
        problems = [replace(f, column=f.column or column) for f in problems]
    title, url = (None, None) if draft is not None else said_identity(obj, field_map)
    return ParsedRecord(raw_path, n, sha, draft, (*warnings, *problems), title, url)
