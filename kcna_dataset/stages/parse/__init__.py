"""Parse stage: raw bytes -> Draft records (structure only; the validate stage applies the rules).

Each raw format has one module; `parse_file` dispatches on the file suffix. A parser never raises on
bad input: it returns ParsedRecords carrying Findings.
"""

from __future__ import annotations

from collections.abc import Callable

from kcna_dataset.findings import finding
from kcna_dataset.names import suffix_of
from kcna_dataset.records import RawFile
from kcna_dataset.stages.parse.csv_records import parse_csv
from kcna_dataset.stages.parse.draft import Draft, ParsedRecord
from kcna_dataset.stages.parse.json_array import parse_json_array
from kcna_dataset.stages.parse.jsonl import parse_jsonl
from kcna_dataset.stages.parse.page import parse_page
from kcna_dataset.stages.parse.scraper import FieldMap

__all__ = [
    "PARSERS",
    "Draft",
    "ParsedRecord",
    "parse_csv",
    "parse_file",
    "parse_json_array",
    "parse_jsonl",
    "parse_page",
]

PARSERS: dict[str, Callable[[RawFile], list[ParsedRecord]]] = {
    ".txt": parse_page,
    ".jsonl": parse_jsonl,
    ".json": parse_json_array,
    ".csv": parse_csv,
}


# the formats whose records are fields by name (a --map applies to them)
RECORD_PARSERS: dict[str, Callable[[RawFile, FieldMap], list[ParsedRecord]]] = {
    ".jsonl": parse_jsonl,
    ".json": parse_json_array,
    ".csv": parse_csv,
}


def parse_file(raw: RawFile, field_map: FieldMap = ()) -> list[ParsedRecord]:
    suffix = suffix_of(raw.path)
    if suffix in RECORD_PARSERS:
        return RECORD_PARSERS[suffix](raw, field_map)
    parser = PARSERS.get(suffix)
    if parser is None:
        f = finding("file-type-unsupported", raw.path, suffix=suffix or "(none)")
        return [ParsedRecord(raw.path, None, raw.sha256, None, (f,))]
    return parser(raw)
