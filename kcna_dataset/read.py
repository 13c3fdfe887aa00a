"""Read stage: find every file under the input paths and load its bytes.

Every file found is accounted for: it is read (and later accepted or rejected), or listed as
ignored (hidden files, Markdown notes), or rejected as unreadable. Nothing is skipped silently.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kcna_dataset.exceptions import UsageError
from kcna_dataset.findings import Finding, finding
from kcna_dataset.records import RawFile

# Notes kept beside the data (raw/README.md) are documentation, not input.
IGNORED_SUFFIXES = frozenset({".md"})
MIB = 1 << 20
# Size limits, checked before a file is read, so one bad file cannot exhaust memory.
MAX_FILE_BYTES = {".txt": 2 * MIB, ".jsonl": 256 * MIB, ".csv": 256 * MIB}
MAX_OTHER_BYTES = 2 * MIB
MAX_RECORD_BYTES = 1 * MIB  # one JSONL line or CSV record


@dataclass(frozen=True, slots=True)
class InputFile:
    path: Path  # on disk
    name: str  # POSIX, relative to the folder it was found under (as given, for a file)
    location: str = ""  # the path on disk as the caller named it (root/name), for annotations
    outside_target: str | None = None  # a symbolic link that leads out of the input folder
    folder_link: bool = False  # a symbolic link to a folder: listed, never followed
    unreadable: str | None = None  # a folder that could not be listed: why (a finding)


def input_bytes(files: Iterable[InputFile]) -> int:
    """The bytes of the files that will be read (not ignored files, links to folders or links
    out of the folder): what decides whether a build's tables fit in memory
    (`Spool.for_input`)."""
    total = 0
    for f in files:
        if f.outside_target is not None or f.unreadable or ignored_reason(f) is not None:
            continue
        try:
            total += f.path.stat().st_size
        except OSError:
            continue  # unreadable: the read stage reports it
    return total


def ignored_reason(f: InputFile) -> str | None:
    if f.folder_link:
        return "symbolic link to a folder (not followed)"
    parts = f.name.split("/")
    if any(p.startswith(".") for p in parts):
        return "hidden file"
    if Path(f.name).suffix.lower() in IGNORED_SUFFIXES:
        return "documentation"
    return None


def discover(paths: Iterable[Path]) -> list[InputFile]:
    """Files under each path (a folder is walked; a file is taken as given), in sorted order."""
    found: list[InputFile] = []
    for root in paths:
        if root.is_file():
            found.append(InputFile(root, root.as_posix(), root.as_posix()))
        elif root.is_dir():
            real_root = root.resolve()

            def unlisted(e: OSError, root: Path = root) -> None:
                # a folder os.walk cannot list would be skipped without a word: its files are
                # lost to the release, so it is an input of its own that fails to be read
                where = Path(e.filename or root)
                name = where.relative_to(root).as_posix() if where != root else root.as_posix()
                reason = e.strerror or type(e).__name__
                found.append(InputFile(where, name, where.as_posix(), unreadable=reason))

            # never follows folder links
            for dirpath, dirnames, filenames in os.walk(root, onerror=unlisted):
                dirnames.sort()
                for d in dirnames:
                    p = Path(dirpath, d)
                    if p.is_symlink():
                        name = p.relative_to(root).as_posix()
                        found.append(InputFile(p, name, p.as_posix(), folder_link=True))
                for f in sorted(filenames):
                    p = Path(dirpath, f)
                    outside = None
                    if p.is_symlink():
                        target = p.resolve()
                        if not target.is_relative_to(real_root):
                            outside = target.as_posix()
                    found.append(
                        InputFile(p, p.relative_to(root).as_posix(), p.as_posix(), outside)
                    )
        elif root.exists():
            raise UsageError(
                f"{root} is neither a regular file nor a folder (a FIFO, socket or device)",
                "Pass a raw folder or a file of articles.",
            )
        else:
            raise UsageError(
                f"no such file or folder: {root}",
                "Pass a raw folder or file that exists (default: raw/).",
            )
    return sorted(found, key=lambda f: f.name)


def read_file(f: InputFile) -> RawFile | Finding:
    if f.unreadable is not None:
        return finding("file-unreadable", f.name, reason=f.unreadable)
    if f.outside_target is not None:
        return finding("symlink-outside", f.name, target=f.outside_target)
    suffix = Path(f.name).suffix.lower()
    limit = MAX_FILE_BYTES.get(suffix, MAX_OTHER_BYTES)
    try:
        st = f.path.stat()
        if not stat.S_ISREG(st.st_mode):
            # a FIFO would block the read for ever, a device would never end: not read
            return finding(
                "file-unreadable", f.name, reason="not a regular file (a FIFO, socket or device)"
            )
        if st.st_size > limit:
            kind = suffix or "extensionless"
            return finding("file-too-large", f.name, size=st.st_size, limit=limit, kind=kind)
        with f.path.open("rb") as handle:
            data = handle.read(limit + 1)  # bounded: the file may grow while it is read
        if len(data) > limit:
            kind = suffix or "extensionless"
            return finding("file-too-large", f.name, size=len(data), limit=limit, kind=kind)
    except OSError as e:
        return finding("file-unreadable", f.name, reason=e.strerror or type(e).__name__)
    return RawFile(f.name, data, hashlib.sha256(data).hexdigest())


def read_all(files: Iterable[InputFile]) -> Iterator[RawFile | Finding]:
    for f in files:
        yield read_file(f)
