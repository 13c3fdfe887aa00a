"""Bytes -> text, with located findings instead of exceptions."""

from __future__ import annotations

import re

from kcna_dataset.findings import Finding, finding

# C0 and C1 control characters other than tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
UTF16_BOMS = {b"\xff\xfe": "FF FE", b"\xfe\xff": "FE FF"}


# half of a character: only a JSON `\ud800` escape can make one (decoded bytes cannot), and it
# cannot be encoded to UTF-8 (ids, Arrow and Parquet all encode)
_SURROGATE = re.compile("[\ud800-\udfff]")


# either of the two, in one scan (as fast as one merged class, measured)
_CONTROL_OR_SURROGATE = re.compile(f"{_CONTROL.pattern}|{_SURROGATE.pattern}")

# what ASCII text may hold: printable characters, tab, line feed, carriage return
_ALLOWED_ASCII = bytes(range(0x20, 0x7F)) + b"\t\n\r"


def control_character(text: str, path: str, first_line: int = 1) -> Finding | None:
    """A finding at the first control character or lone surrogate in `text`, or None."""
    if text.isascii() and not text.encode("ascii").translate(None, _ALLOWED_ASCII):
        # most texts: an ASCII text can hold only C0 controls and DEL, found here in a pass
        # of bytes.translate (the two regex searches below take twice as long on a page)
        return None
    if _CONTROL_OR_SURROGATE.search(text) is None:  # one scan of a clean text, not two
        return None
    for pattern, code in ((_CONTROL, "control-characters"), (_SURROGATE, "surrogate-character")):
        if m := pattern.search(text):
            before = text[: m.start()]
            line = first_line + before.count("\n")
            column = m.start() - (before.rfind("\n") + 1) + 1
            return finding(code, path, line, column, codepoint=ord(m.group()))
    return None


def decode_bytes(data: bytes, path: str) -> tuple[str | None, list[Finding]]:
    """Text of a file, or None with the finding that stops it (binary, not UTF-8, empty).

    UTF-8 with or without BOM is read; UTF-16 with a BOM is decoded with a warning. The
    second value also carries warnings when the text is returned.
    """
    warnings: list[Finding] = []
    bom = data[:2]
    if bom in UTF16_BOMS:
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as e:
            return None, [finding("encoding-invalid", path, offset=e.start)]
        warnings.append(finding("encoding-utf16", path, bom=UTF16_BOMS[bom]))
    else:
        nul = data.find(b"\x00")
        if nul >= 0:
            return None, [finding("file-binary", path, offset=nul)]
        try:
            text = data.decode("utf-8-sig")  # a leading BOM is tolerated and dropped
        except UnicodeDecodeError as e:
            line = data.count(b"\n", 0, e.start) + 1
            return None, [finding("encoding-invalid", path, line, offset=e.start)]
    if not text.strip():
        return None, [finding("file-empty", path, detail="")]
    return text, warnings
