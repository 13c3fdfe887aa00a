"""Scraper records as CSV (*.csv, RFC 4180, header row): the JSONL fields as columns.

    headline,date,link,topic,story_text

Separated by commas, or by semicolons, tabs or bars where the header shows it (see _delimiter).

A record may span several lines (quoted line breaks in story_text); findings name the line the
record starts on.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from collections.abc import Iterator

from kcna_dataset.findings import Finding, finding, not_read
from kcna_dataset.limits import MAX_RECORD_BYTES
from kcna_dataset.records import RawFile, record_path
from kcna_dataset.stages.parse.decode import decode_bytes
from kcna_dataset.stages.parse.draft import ParsedRecord
from kcna_dataset.stages.parse.scraper import FIELDS, REQUIRED, FieldMap, renamed, scraper_record

# what spreadsheets export besides commas (a European locale's Excel writes semicolons)
_DELIMITERS = (",", ";", "\t", "|")


def _delimiter(text: str, field_map: FieldMap) -> str:
    """The delimiter under which the header names the most record fields (as frictionless
    detects a dialect), a comma on a tie: a semicolon-separated header that lacks a field is
    still split by semicolons, so its error names the one field it lacks."""
    first = text[: text.find("\n") + 1 or len(text)]
    best, named_most = ",", 0
    for delimiter in _DELIMITERS:
        try:
            header = next(csv.reader([first], delimiter=delimiter), [])
        except csv.Error:
            continue
        named = renamed(dict.fromkeys(c.strip() for c in header), field_map)
        if (n := sum(f in named for f in FIELDS)) > named_most:
            best, named_most = delimiter, n
    return best


def _rows_left(reader: Iterator[list[str]]) -> int:
    """The rows a refused header leaves unread (counted, so none is lost silently)."""
    rows = 0
    try:
        for row in reader:
            rows += any(cell.strip() for cell in row)
    except csv.Error:
        rows += 1  # a broken quote: the rest is one unreadable stretch
    return rows


def parse_csv(raw: RawFile, field_map: FieldMap = ()) -> list[ParsedRecord]:
    text, found = decode_bytes(raw.data, raw.path)
    if text is None:
        return [ParsedRecord(raw.path, None, raw.sha256, None, tuple(found))]
    warnings: tuple[Finding, ...] = tuple(found)
    # the csv module's own field limit (128 KiB) is below a record's: a longer field would
    # stop the reader and lose every row after it; the record limit is checked per row below
    if csv.field_size_limit() < MAX_RECORD_BYTES + 1:
        csv.field_size_limit(MAX_RECORD_BYTES + 1)
    reader = csv.reader(
        io.StringIO(text, newline=""), strict=True, delimiter=_delimiter(text, field_map)
    )
    try:
        header = next(reader)
    except csv.Error as e:
        f = finding("csv-malformed", raw.path, 1, reason=str(e))
        return [ParsedRecord(raw.path, None, raw.sha256, None, (*warnings, f))]
    columns = [c.strip() for c in header]
    for column, count in Counter(columns).items():
        if count > 1 and column:
            f = finding("field-repeated", raw.path, 1, field=column, count=count)
            warnings = (*warnings, f)
    named = list(renamed(dict.fromkeys(columns), field_map))
    missing = [c for c in REQUIRED if c not in named]
    if missing:
        theirs = dict(field_map)  # a mapped field is looked for under the user's name

        def called(c: str) -> str:
            return f"{theirs[c]} (for {c})" if c in theirs else c

        f = finding(
            "csv-header",
            raw.path,
            1,
            missing=", ".join(called(c) for c in missing),
            expected=", ".join(called(c) for c in REQUIRED),
            found=", ".join(c for c in columns if c) or "nothing",
            unread=not_read(_rows_left(reader), "row", whose="its"),
        )
        return [ParsedRecord(raw.path, None, raw.sha256, None, (*warnings, f))]
    records: list[ParsedRecord] = []
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            # the reader cannot resynchronise after a broken quote: say what was not read
            unread = max(text.count("\n") - start + 1, 0)
            reason = f"{e}; {not_read(unread, 'line', ' from here on')}"
            f = finding("csv-malformed", raw.path, start, reason=reason)
            records.append(ParsedRecord(record_path(raw.path, start), start, "", None, (f,)))
            break
        n, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        raw_path = record_path(raw.path, n)
        encoded = "\x1f".join(row).encode("utf-8")
        sha = hashlib.sha256(encoded).hexdigest()
        if len(encoded) > MAX_RECORD_BYTES:
            f = finding("record-too-large", raw.path, n, size=len(encoded), limit=MAX_RECORD_BYTES)
            records.append(ParsedRecord(raw_path, n, sha, None, (f,)))
            continue
        if len(row) != len(columns):
            f = finding(
                "csv-malformed",
                raw.path,
                n,
                reason=f"{len(row)} fields where the header has {len(columns)}",
            )
            records.append(ParsedRecord(raw_path, n, sha, None, (f,)))
            continue
        obj = dict(zip(columns, row, strict=True))
        records.append(scraper_record(raw.path, raw_path, n, sha, obj, field_map, warnings))
        warnings = ()
    if not records:  # a header and nothing else: empty, with whatever was said of it
        empty = finding("file-empty", raw.path, detail=" (a header and no rows)")
        return [ParsedRecord(raw.path, None, raw.sha256, None, (*warnings, empty))]
    return records
