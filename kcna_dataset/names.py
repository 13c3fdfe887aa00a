"""How a file is named where users read it (findings, tables, JSON) and which paths the
Parquet and CSV libraries can open, and what its suffix is: shared by the read and parse
stages, the build and verify."""

from __future__ import annotations

import os
from pathlib import Path

from kcna_dataset.exceptions import UsageError


def display_name(relative: Path | str) -> str:
    """A path as findings, tables and JSON name it: POSIX, and bytes that are not UTF-8 (a
    file name is any bytes on Linux) written as escapes (`bad\\xff.txt`), so every name can
    be printed, written to Parquet and read back."""
    # a backslash is written twice, so that `x\\xff` (a backslash in the name) and `x\xff`
    # (the byte 0xff) stay two names
    text = (relative if isinstance(relative, str) else relative.as_posix()).replace("\\", "\\\\")
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def suffix_of(name: str) -> str:
    """A POSIX file name's suffix, lower-cased, as `PurePosixPath.suffix` gives it: `notes.`
    and `.profile` have none. What decides a file's format and its size limit (no Path made
    per file: a million pages)."""
    base = name.rpartition("/")[2]
    dot = base.rfind(".")
    return base[dot:].lower() if 0 < dot < len(base) - 1 else ""


def require_utf8_path(path: Path, role: str) -> None:
    """pyarrow cannot open a path that is not UTF-8 (a traceback deep in a write): refuse it
    first, as a usage error naming it."""
    try:
        os.fsencode(path).decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(
            f"{role} {display_name(path)} is not a UTF-8 path",
            "Rename the folder: the Parquet and CSV libraries read and write UTF-8 paths only.",
        ) from None


__all__ = ["display_name", "require_utf8_path"]
