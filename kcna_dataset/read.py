"""Read stage: find every file under the input paths and load its bytes.

Every file found is accounted for: it is read (and later accepted or rejected), or listed as
ignored (hidden files, Markdown notes), or rejected as unreadable. Nothing is skipped silently.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kcna_dataset.exceptions import UsageError
from kcna_dataset.findings import Finding, finding
from kcna_dataset.records import RawFile

# Notes kept beside the data (raw/README.md) are documentation, not input.
IGNORED_SUFFIXES = frozenset({".md"})


@dataclass(frozen=True, slots=True)
class InputFile:
    path: Path  # on disk
    name: str  # POSIX, relative to the folder it was found under (as given, for a file)


def ignored_reason(name: str) -> str | None:
    parts = name.split("/")
    if any(p.startswith(".") for p in parts):
        return "hidden file"
    if Path(name).suffix.lower() in IGNORED_SUFFIXES:
        return "documentation"
    return None


def discover(paths: Iterable[Path]) -> list[InputFile]:
    """Files under each path (a folder is walked; a file is taken as given), in sorted order."""
    found: list[InputFile] = []
    for root in paths:
        if root.is_file():
            found.append(InputFile(root, root.as_posix()))
        elif root.is_dir():
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames.sort()
                for f in sorted(filenames):
                    p = Path(dirpath, f)
                    found.append(InputFile(p, p.relative_to(root).as_posix()))
        else:
            raise UsageError(
                f"no such file or folder: {root}",
                "Pass a raw folder or file that exists (default: raw/).",
            )
    return sorted(found, key=lambda f: f.name)


def read_file(f: InputFile) -> RawFile | Finding:
    try:
        data = f.path.read_bytes()
    except OSError as e:
        return finding("file-unreadable", f.name, reason=e.strerror or type(e).__name__)
    return RawFile(f.name, data, hashlib.sha256(data).hexdigest())


def read_all(files: Iterable[InputFile]) -> Iterator[RawFile | Finding]:
    for f in files:
        yield read_file(f)
