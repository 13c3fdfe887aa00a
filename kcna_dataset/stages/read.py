"""Read stage: find every file under the input paths and load its bytes.

Every file found is accounted for: it is read (and later accepted or rejected), or listed as
ignored (hidden files, Markdown notes), or rejected as unreadable. Nothing is skipped silently.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kcna_dataset.exceptions import UsageError
from kcna_dataset.findings import Finding, finding
from kcna_dataset.limits import MAX_FILE_BYTES, MAX_OTHER_BYTES
from kcna_dataset.names import display_name, suffix_of
from kcna_dataset.records import RawFile

# Notes kept beside the data (raw/README.md) are documentation, not input.
IGNORED_SUFFIXES = frozenset({".md"})


@dataclass(frozen=True, slots=True)
class InputFile:
    path: str  # on disk (a str: a million Paths cost ~0.5 GB)
    name: str  # POSIX, relative to the folder it was found under (as given, for a file)
    location: str = ""  # the path on disk as the caller named it (root/name), for annotations
    outside_target: str | None = None  # a symbolic link that leads out of the input folder
    folder_link: bool = False  # a symbolic link to a folder: listed, never followed
    unreadable: str | None = None  # a folder that could not be listed: why (a finding)
    # where the part of `name` below the input path starts: only there does a leading dot
    # make a file hidden (`../scrape/x.txt` given as an input path is not hidden)
    below: int = 0


def input_bytes(files: Iterable[InputFile], enough: int | None = None) -> int:
    """The bytes of the files that will be read (not ignored files, links to folders or links
    out of the folder): what decides whether a build's tables fit in memory
    (`Spool.for_input`). With `enough`, counting stops once the total is above it: the callers
    compare it with thresholds, and a million pages need not be looked at one by one."""
    total = 0
    for f in files:
        if f.outside_target is not None or f.unreadable or ignored_reason(f) is not None:
            continue
        try:
            total += os.stat(f.path).st_size
        except OSError:
            continue  # unreadable: the read stage reports it
        if enough is not None and total > enough:
            break
    return total


def ignored_reason(f: InputFile) -> str | None:
    if f.folder_link:
        return "symbolic link to a folder (not followed)"
    inside = f.name[f.below :]
    if inside.startswith(".") or "/." in inside:
        return "hidden file"
    base = f.name.rpartition("/")[2]
    dot = base.rfind(".")  # Path.suffix's rule: a leading dot starts no suffix (hidden above)
    if dot > 0 and base[dot:].lower() in IGNORED_SUFFIXES:
        return "documentation"
    return None


def discover(paths: Iterable[Path]) -> list[InputFile]:
    """Files under each path (a folder is walked; a file is taken as given), in sorted order.
    A file is named relative to its folder; with several paths, relative to the folder as
    given (`A/x.txt`, `B/x.txt`), so that two folders' files of one name stay two files."""
    paths = list(paths)
    found: list[InputFile] = []
    locations: list[str] = []  # found[i]'s real location, by which overlapping paths are told
    for root in paths:
        given = root.as_posix()  # as pathlib normalises it: `./raw/` is `raw`, `./` is `.`
        if root.is_file():
            name = display_name(given)
            found.append(InputFile(given, name, given, below=name.rfind("/") + 1))
            folder, base = os.path.split(given)
            locations.append(os.path.join(os.path.realpath(folder or "."), base))
        elif root.is_dir():
            # what names start with: nothing (relative to the folder), or with several paths
            # the folder as given (`.` adds nothing: `./x.txt` is `x.txt`)
            prefix = "" if len(paths) == 1 or given == "." else os.path.join(given, "")
            start = len(found)
            _walk(given, prefix, root, found)
            if len(paths) > 1:
                real, skip = os.path.realpath(given), len(os.path.join(given, ""))
                for f in found[start:]:
                    below = f.path if given == "." else f.path[skip:]
                    locations.append(os.path.join(real, below) if below else real)
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
    if len(paths) > 1:
        found = _each_once(found, locations)
    return sorted(found, key=lambda f: f.name)


def _each_once(found: list[InputFile], locations: list[str]) -> list[InputFile]:
    """Paths that overlap (a folder and a file or folder in it; one folder spelled two ways:
    `.` and `../here`, relative and absolute, through a link) reach some files twice: each is
    read once, as the path that reaches it most plainly: not through a hidden folder, not as a
    link out of its folder, from the nearest path given (the shortest name below it);
    whatever the order of the paths."""

    def plainness(f: InputFile) -> tuple[bool, bool, int]:
        hidden = ignored_reason(f) == "hidden file"
        return (hidden, f.outside_target is not None, len(f.name) - f.below)

    best: dict[tuple[str, bool], InputFile] = {}
    for real, f in zip(locations, found, strict=True):
        key = (real, f.unreadable is None)
        if key not in best or plainness(f) < plainness(best[key]):
            best[key] = f
    return list(best.values())


def _walk(folder: str, prefix: str, root: Path, found: list[InputFile]) -> None:
    """Every name under `folder` (named `prefix` + its path below), into `found`.

    os.scandir, not os.walk over pathlib: a name's kind (file, folder, link) comes with the
    listing, so a million pages cost no call per file here (os.walk with a Path and an lstat
    per name took 50 us a file). Folder links are listed, never followed."""
    real_root: Path | None = None  # resolved when the first link needs it
    below = len(display_name(prefix))
    pending = [(folder, prefix)]
    while pending:
        where, named = pending.pop()
        try:
            with os.scandir(where) as listing:
                entries = list(listing)
        except OSError as e:
            # a folder that cannot be listed would be skipped without a word: its files are
            # lost to the release, so it is an input of its own that fails to be read
            name = display_name(named.rstrip("/")) if named != prefix else root.as_posix()
            reason = e.strerror or type(e).__name__
            found.append(InputFile(where, name, where, unreadable=reason, below=below))
            continue
        for entry in entries:
            path = entry.name if where == "." else os.path.join(where, entry.name)
            name = display_name(named + entry.name)
            try:
                if entry.is_symlink():
                    if real_root is None:
                        real_root = root.resolve()
                    found.append(_link(path, name, real_root, below))
                elif entry.is_dir():
                    pending.append((path, named + entry.name + "/"))
                else:
                    found.append(InputFile(path, name, path, below=below))
            except OSError as e:
                reason = e.strerror or str(e)
                found.append(InputFile(path, name, path, unreadable=reason, below=below))


def _link(path: str, name: str, real_root: Path, below: int) -> InputFile:
    """A symbolic link: to a folder (listed, never followed), out of the input folder, a loop
    (unreadable: an input that fails, never an exception), or to a file inside."""
    try:
        if os.path.isdir(path):
            return InputFile(path, name, path, folder_link=True, below=below)
        target = Path(path).resolve()
    except RuntimeError:  # Python 3.11 reports a link loop so
        return InputFile(path, name, path, unreadable="a symbolic link loop", below=below)
    except OSError as e:
        reason = "a symbolic link loop" if e.errno == errno.ELOOP else (e.strerror or str(e))
        return InputFile(path, name, path, unreadable=reason, below=below)
    outside = None if target.is_relative_to(real_root) else target.as_posix()
    return InputFile(path, name, path, outside, below=below)


def read_file(f: InputFile) -> RawFile | Finding:
    if f.unreadable is not None:
        return finding("file-unreadable", f.name, reason=f.unreadable)
    if f.outside_target is not None:
        return finding("symlink-outside", f.name, target=f.outside_target)
    suffix = suffix_of(f.name)
    limit = MAX_FILE_BYTES.get(suffix, MAX_OTHER_BYTES)
    try:
        # opened without blocking: a FIFO would block the open (and the read) for ever; what the
        # descriptor is comes from fstat, so the file checked is the file read
        fd = os.open(f.path, _READ_FLAGS)
    except OSError as e:
        # a socket cannot be opened at all (ENXIO): said as what it is, like a FIFO
        reason = _NOT_REGULAR if not _is_regular(f.path) else e.strerror or type(e).__name__
        return finding("file-unreadable", f.name, reason=reason)
    try:
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):  # a device would never end: not read
                return finding("file-unreadable", f.name, reason=_NOT_REGULAR)
            if st.st_size > limit:
                kind = suffix or "extensionless"
                return finding("file-too-large", f.name, size=st.st_size, limit=limit, kind=kind)
            data = _read_at_most(fd, limit + 1, st.st_size)  # the file may grow while read
        finally:
            os.close(fd)
    except OSError as e:
        return finding("file-unreadable", f.name, reason=e.strerror or type(e).__name__)
    if len(data) > limit:
        kind = suffix or "extensionless"
        return finding("file-too-large", f.name, size=len(data), limit=limit, kind=kind)
    return RawFile(f.name, data, hashlib.sha256(data).hexdigest())


_NOT_REGULAR = "not a regular file (a FIFO, socket or device)"


def _read_flags() -> int:
    # O_NONBLOCK and O_CLOEXEC are POSIX's; O_BINARY is Windows' (its reads would turn CRLF
    # into LF)
    flags = os.O_RDONLY
    for name in ("O_NONBLOCK", "O_CLOEXEC", "O_BINARY"):
        flags |= getattr(os, name, 0)
    return flags


_READ_FLAGS = _read_flags()


def _is_regular(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True  # gone or unreachable: the error of the open says why


def _read_at_most(fd: int, limit: int, size: int) -> bytes:
    """Up to `limit` bytes of an open file of `size` bytes (as fstat said): the first read asks
    for all of it and one byte more, and reading goes on until the end or the limit."""
    parts: list[bytes] = []
    got, want = 0, min(limit, size + 1)
    while got < limit and (part := os.read(fd, want)):
        parts.append(part)
        got += len(part)
        want = min(1 << 20, limit - got)
    return parts[0] if len(parts) == 1 else b"".join(parts)
