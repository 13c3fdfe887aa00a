"""Bytes -> text, with a located finding instead of an exception."""

from __future__ import annotations

from kcna_dataset.findings import Finding, finding
from kcna_dataset.records import RawFile


def decode_utf8(raw: RawFile) -> tuple[str, Finding | None]:
    if not raw.data.strip():
        return "", finding("file-empty", raw.path)
    try:
        return raw.data.decode("utf-8-sig"), None  # a leading BOM is tolerated and dropped
    except UnicodeDecodeError as e:
        line = raw.data.count(b"\n", 0, e.start) + 1
        return "", finding("encoding-invalid", raw.path, line, offset=e.start)
