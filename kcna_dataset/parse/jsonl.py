"""Scraper records (*.jsonl): one JSON object per line, the format of stiles/north-korea-news.

{"headline": ..., "date": "2024-01-31", "link": "http://www.kcna.kp/en/...",
 "topic": ..., "story_text": "paragraph\\nparagraph ..."}
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from typing import Any

from kcna_dataset.findings import Finding, finding
from kcna_dataset.parse.draft import Draft, ParsedRecord
from kcna_dataset.parse.text import clean_title, split_body
from kcna_dataset.records import RawFile

REQUIRED = ("headline", "date", "link", "story_text")
OPTIONAL = ("topic",)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _parse_record(path: str, n: int, obj: Any) -> tuple[Draft | None, list[Finding]]:
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
        lines={k: n for k in ("title", "published_date", "body", "url")},
    )
    return draft, []


def parse_jsonl(raw: RawFile) -> list[ParsedRecord]:
    if not raw.data.strip():
        return [ParsedRecord(raw.path, None, raw.sha256, None, (finding("file-empty", raw.path),))]
    records: list[ParsedRecord] = []
    data = raw.data.removeprefix(b"\xef\xbb\xbf")
    for n, line_bytes in enumerate(data.split(b"\n"), start=1):
        line_bytes = line_bytes.removesuffix(b"\r")
        if not line_bytes.strip():
            continue  # blank lines hold no record
        raw_path = f"{raw.path}#L{n}"
        sha = hashlib.sha256(line_bytes).hexdigest()
        try:
            text = line_bytes.decode("utf-8")
        except UnicodeDecodeError as e:
            f = finding("encoding-invalid", raw.path, n, e.start + 1, offset=e.start)
            records.append(ParsedRecord(raw_path, n, sha, None, (f,)))
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            f = finding("jsonl-malformed", raw.path, n, e.colno, reason=e.msg)
            records.append(ParsedRecord(raw_path, n, sha, None, (f,)))
            continue
        draft, problems = _parse_record(raw.path, n, obj)
        records.append(ParsedRecord(raw_path, n, sha, draft, tuple(problems)))
    return records
