"""Scraper records (JSONL lines, CSV rows): one record's fields -> Draft, or located findings.

Fields, as stiles/north-korea-news writes them: headline, date (ISO), link, topic (optional),
story_text (paragraphs separated by LF).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from kcna_dataset.findings import Finding, finding
from kcna_dataset.parse.decode import control_character
from kcna_dataset.parse.draft import Draft
from kcna_dataset.parse.text import clean_title, split_body

REQUIRED = ("headline", "date", "link", "story_text")
OPTIONAL = ("topic",)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def parse_fields(path: str, n: int, obj: Any) -> tuple[Draft | None, list[Finding]]:
    """A record's fields (a JSON object or a CSV row) starting at line n of `path`."""
    if not isinstance(obj, dict):
        return None, [finding("jsonl-malformed", path, n, reason=f"found a JSON {_type_name(obj)}")]
    problems: list[Finding] = []
    for key in REQUIRED:
        value = obj.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            problems.append(finding("field-missing", path, n, field=key))
        elif not isinstance(value, str):
            problems.append(
                finding(
                    "field-type", path, n, field=key, expected="a string", found=_type_name(value)
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
    published = None
    if _ISO_DATE.match(obj["date"]):
        try:
            published = date.fromisoformat(obj["date"])
        except ValueError:
            published = None
    if published is None:
        return None, [finding("date-invalid", path, n, value=obj["date"], form="YYYY-MM-DD")]
    draft = Draft(
        title=clean_title(obj["headline"]),
        published_date=published,
        body=split_body(obj["story_text"].split("\n")),
        url=obj["link"].strip(),
        topic=(topic or "").strip() or None,
        lines=dict.fromkeys(("title", "published_date", "body", "url"), n),
    )
    return draft, []
