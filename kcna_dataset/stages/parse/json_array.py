"""Scraper records as one JSON array per file (*.json): the form of the daily snapshots in
public kcna.kp scrape archives (stiles/north-korea-news), 2-5 MB each.

    [
      {"headline": ..., "date": "1722816000000", "date_str": "2024-08-05",
       "link": "http://www.kcna.kp/en/...", "topic": ..., "story_text": "..."},
      ...
    ]

The array is read one element at a time (`JSONDecoder.raw_decode`): the records are never
held as one Python list, each is located by the line (and column) where it starts, and a bad
element rejects that record only. A break in the array itself (a missing comma or bracket)
stops the file there: the finding says how many bytes after it were not read.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import partial

from kcna_dataset.findings import Finding, finding, not_read
from kcna_dataset.limits import MAX_RECORD_BYTES
from kcna_dataset.records import RawFile, record_path
from kcna_dataset.stages.parse.decode import decode_bytes
from kcna_dataset.stages.parse.draft import ParsedRecord
from kcna_dataset.stages.parse.jsonl import object_noting_repeats, top_level
from kcna_dataset.stages.parse.scraper import FieldMap, scraper_record

_SPACE = re.compile(r"[ \t\r\n]*")


class _Cursor:
    """A position in the text and its line and column, counted as the cursor moves on."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0
        self.line = 1
        self._line_start = 0

    @property
    def column(self) -> int:
        return self.at - self._line_start + 1

    def move(self, to: int) -> None:
        breaks = self.text.count("\n", self.at, to)
        if breaks:
            self.line += breaks
            self._line_start = self.text.rfind("\n", self.at, to) + 1
        self.at = to

    def skip_space(self) -> None:
        match = _SPACE.match(self.text, self.at)
        assert match is not None  # `*` matches the empty string
        self.move(match.end())

    def peek(self) -> str:
        return self.text[self.at : self.at + 1]


def _broken(raw: RawFile, cursor: _Cursor, reason: str) -> Finding:
    left = len(cursor.text) - cursor.at
    return finding(
        "json-malformed",
        raw.path,
        cursor.line,
        cursor.column,
        reason=f"{reason}; {not_read(left, 'character', ' from here on')}",
    )


def parse_json_array(raw: RawFile, field_map: FieldMap = ()) -> list[ParsedRecord]:
    text, found = decode_bytes(raw.data, raw.path)
    if text is None:
        return [ParsedRecord(raw.path, None, raw.sha256, None, tuple(found))]
    warnings: tuple[Finding, ...] = tuple(found)
    cursor = _Cursor(text)
    cursor.skip_space()
    if cursor.peek() != "[":
        what = "a JSON object" if cursor.peek() == "{" else f"{cursor.peek()!r}"
        stop = finding(
            "json-malformed",
            raw.path,
            cursor.line,
            cursor.column,
            reason=f"a .json file holds one array of records, found {what}",
        )
        return [ParsedRecord(raw.path, None, raw.sha256, None, (*warnings, stop))]
    cursor.move(cursor.at + 1)
    records: list[ParsedRecord] = []

    def file_level(f: Finding) -> None:
        records.append(ParsedRecord(raw.path, None, raw.sha256, None, (*warnings, f)))

    first = True
    last_line = 0
    while True:
        cursor.skip_space()
        if cursor.peek() == "]":
            cursor.move(cursor.at + 1)
            cursor.skip_space()
            if cursor.at < len(text):
                file_level(_broken(raw, cursor, "text after the array's closing bracket"))
            break
        if not first:
            if cursor.peek() != ",":
                got = "the end of the file" if cursor.at >= len(text) else repr(cursor.peek())
                file_level(_broken(raw, cursor, f"',' or ']' expected, found {got}"))
                break
            cursor.move(cursor.at + 1)
            cursor.skip_space()
        first = False
        n, column, start = cursor.line, cursor.column, cursor.at
        # a minified array holds many records on one line: from the second on, the column
        # locates each (its raw_path and its findings), so no two records share a locator
        shared_line = n == last_line
        last_line = n
        repeated: list[list[str]] = []
        # a decoder per element: the C scanner takes its hook when the decoder is made
        decoder = json.JSONDecoder(object_pairs_hook=partial(object_noting_repeats, repeated))
        try:
            obj, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError as e:
            cursor.move(e.pos)
            file_level(_broken(raw, cursor, e.msg))
            break
        except (RecursionError, ValueError) as e:
            # nesting deeper than the parser's stack, an integer past Python's 4,300 digits:
            # where the element ends is not known, so the rest of the file is not read either
            reason = "nested too deeply" if isinstance(e, RecursionError) else str(e)[:200]
            file_level(_broken(raw, cursor, reason))
            break
        element = text[start:end].encode("utf-8")
        cursor.move(end)
        sha = hashlib.sha256(element).hexdigest()
        raw_path = record_path(raw.path, n, column if shared_line else None)
        if len(element) > MAX_RECORD_BYTES:
            f = finding(
                "record-too-large", raw.path, n, column, size=len(element), limit=MAX_RECORD_BYTES
            )
            records.append(ParsedRecord(raw_path, n, sha, None, (f,)))
            continue
        records.append(
            scraper_record(
                raw.path,
                raw_path,
                n,
                sha,
                obj,
                field_map,
                warnings,
                top_level(repeated, obj),
                "json-malformed",
                column if shared_line else None,
            )
        )
        warnings = ()  # a file-level warning is reported once
    if not records:  # `[]`: the file is accounted for as empty
        empty = finding("file-empty", raw.path, detail=" (an empty JSON array: no records)")
        return [ParsedRecord(raw.path, None, raw.sha256, None, (*warnings, empty))]
    return records
