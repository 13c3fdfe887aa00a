"""Scraper records as JSON Lines (*.jsonl): one JSON object per line.

    {"headline": ..., "date": "2024-01-31", "link": "http://www.kcna.kp/en/...",
     "topic": ..., "story_text": "paragraph\\nparagraph ..."}

A bad line rejects that record only; the file's other records are kept.
"""

from __future__ import annotations

import hashlib
import json
from functools import partial

from kcna_dataset.findings import Finding, finding
from kcna_dataset.limits import MAX_RECORD_BYTES
from kcna_dataset.records import RawFile, record_path
from kcna_dataset.stages.parse.decode import UTF16_BOMS, decode_bytes
from kcna_dataset.stages.parse.draft import ParsedRecord
from kcna_dataset.stages.parse.scraper import FieldMap, scraper_record


def _rejected(
    path: str, n: int, sha: str, code: str, column: int | None = None, **params: object
) -> ParsedRecord:
    found = finding(code, path, n, column, **params)
    return ParsedRecord(record_path(path, n), n, sha, None, (found,))


def object_noting_repeats(
    repeated: list[list[str]], pairs: list[tuple[str, object]]
) -> dict[str, object]:
    """A JSON object, noting the keys it gives again (json.loads keeps the last in silence):
    one list per object, in the order the parser finishes them, so the record's own object
    (the outermost) is the last list, and a nested object's keys are not the record's."""
    out: dict[str, object] = {}
    again: list[str] = []
    for key, value in pairs:
        if key in out:
            again.append(key)
        out[key] = value
    repeated.append(again)
    return out


def top_level(repeated: list[list[str]], obj: object) -> list[str]:
    """The keys the record's own object gave twice (see object_noting_repeats)."""
    return repeated[-1] if repeated and isinstance(obj, dict) else []


def _mostly_nul(data: bytes) -> bool:
    """Are NUL bytes in most of the file's lines (a binary or UTF-16 file), not a stray few?"""
    lines = [line for line in data.split(b"\n") if line.strip()]
    return 2 * sum(b"\x00" in line for line in lines) > len(lines)


def parse_jsonl(raw: RawFile, field_map: FieldMap = ()) -> list[ParsedRecord]:
    data = raw.data
    warnings: tuple[Finding, ...] = ()
    if data[:2] in UTF16_BOMS or (b"\x00" in data and _mostly_nul(data)):
        # UTF-16 (decoded, with a warning) or binary (rejected): decide on the whole file. A
        # stray NUL byte in a few records is not a binary file: those lines are rejected below
        # (JSON forbids a raw control character) and the other records kept
        text, found = decode_bytes(data, raw.path)
        if text is None:
            return [ParsedRecord(raw.path, None, raw.sha256, None, tuple(found))]
        data, warnings = text.encode("utf-8"), tuple(found)
    data = data.removeprefix(b"\xef\xbb\xbf")
    records: list[ParsedRecord] = []
    for n, line_bytes in enumerate(data.split(b"\n"), start=1):
        line_bytes = line_bytes.removesuffix(b"\r")
        if not line_bytes.strip():
            continue  # blank lines hold no record
        raw_path = record_path(raw.path, n)
        sha = hashlib.sha256(line_bytes).hexdigest()

        if len(line_bytes) > MAX_RECORD_BYTES:
            records.append(
                _rejected(
                    raw.path,
                    n,
                    sha,
                    "record-too-large",
                    size=len(line_bytes),
                    limit=MAX_RECORD_BYTES,
                )
            )
            continue
        try:
            text = line_bytes.decode("utf-8")
        except UnicodeDecodeError as e:
            records.append(
                _rejected(raw.path, n, sha, "encoding-invalid", e.start + 1, offset=e.start)
            )
            continue
        repeated: list[list[str]] = []
        try:
            obj = json.loads(text, object_pairs_hook=partial(object_noting_repeats, repeated))
        except json.JSONDecodeError as e:
            records.append(_rejected(raw.path, n, sha, "jsonl-malformed", e.colno, reason=e.msg))
            continue
        except (RecursionError, ValueError) as e:
            # nesting deeper than the parser's stack, an integer past Python's 4,300 digits:
            # valid JSON this tool cannot take, rejected like any other bad record
            reason = "nested too deeply" if isinstance(e, RecursionError) else str(e)[:200]
            records.append(_rejected(raw.path, n, sha, "jsonl-malformed", None, reason=reason))
            continue
        records.append(
            scraper_record(
                raw.path, raw_path, n, sha, obj, field_map, warnings, top_level(repeated, obj)
            )
        )
        warnings = ()  # a file-level warning is reported once
    if not records:  # nothing but blank lines (or a BOM): the file is accounted for as empty
        empty = finding("file-empty", raw.path, detail=" (blank lines only)")
        return [ParsedRecord(raw.path, None, raw.sha256, None, (*warnings, empty))]
    return records
