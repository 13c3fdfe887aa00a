"""Spool: the build's large tables as Arrow IPC files on disk, memory-mapped.

A million articles' bodies are ~2 GB, the sorted copy another 2 GB, the statements' bodies
1.5 GB. Held in the process's own (anonymous) memory they have nowhere to go: CI machines have
no swap. Written to an Arrow IPC file and mapped back, the same table reads the same (zero-copy,
pyarrow sees an ordinary table), but its pages belong to the page cache: the kernel reads them
in when touched and drops them again under memory pressure. So the build's own memory grows with
the dedup sketches and columns, not with the texts (docs/SCALE.md).

A table goes in as parts (one file's articles, one slice of a sort), so no stage needs the
whole table in memory to spool it. `Spool(None)` keeps tables in memory instead, with the same
results: for `validate`, for small inputs in tests, and where a mapped file cannot be deleted
while mapped (Windows).
"""

from __future__ import annotations

import mmap
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as arrow
import pyarrow.ipc as ipc

from kcna_dataset.exceptions import BuildError
from kcna_dataset.runtime.memory import track_mapping

# Input up to this size builds its tables in memory: there the spool's writes and page faults
# cost more than they save (200,000 generated articles, 444 MB of input: rebuild after 1,000
# more 19.5 -> 16.4 s, full build 44.3 -> 42.6 s, peak RSS 1.3 -> 1.9 GB, the same bytes).
# Memory then peaks at ~4.3x the input, so below ~2.2 GB; above it the texts go to the spool
# and memory stops growing with them (a million articles, 2.2 GB of input, within 4 GB).
SPOOL_ABOVE_BYTES = 512 << 20


class Spool:
    """Where the build's large tables live: a folder of mapped Arrow files, or memory."""

    __slots__ = ("_count", "folder")

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._count = 0

    @classmethod
    @contextmanager
    def temporary(cls) -> Iterator[Spool]:
        """A spool in a new folder under the system's temporary folder (`TMPDIR`), deleted at
        the end. Tables taken from it stay readable after that on POSIX systems (a mapped file
        lives until it is unmapped); elsewhere the tables stay in memory."""
        if os.name != "posix":
            yield cls(None)
            return
        try:
            folder = Path(tempfile.mkdtemp(prefix="kcna-spool-"))
        except OSError as e:
            raise _spool_error(Path(tempfile.gettempdir()), e) from None
        try:
            yield cls(folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @classmethod
    @contextmanager
    def for_input(cls, input_bytes: int, above: int = SPOOL_ABOVE_BYTES) -> Iterator[Spool]:
        """Memory for an input of at most `above` bytes, else a `temporary` folder."""
        if input_bytes <= above:
            yield cls(None)
            return
        with cls.temporary() as spool:
            yield spool

    def table(self, name: str, schema: arrow.Schema, parts: Iterable[arrow.Table]) -> arrow.Table:
        """One table made of `parts` (each with `schema`), written and mapped back, or
        concatenated in memory without a folder."""
        if self.folder is None:
            tables = list(parts)
            return arrow.concat_tables(tables) if tables else schema.empty_table()
        path = self._path(name)
        try:
            with arrow.OSFile(str(path), "wb") as sink, ipc.new_file(sink, schema) as writer:
                for part in parts:
                    writer.write_table(part)
        except OSError as e:  # a full TMPDIR: the build stops, saying what to do
            raise _spool_error(self.folder.parent, e) from None
        return _mapped(path)

    def scattered(
        self, name: str, schema: arrow.Schema, parts: Iterable[tuple[int, arrow.Table]], n: int
    ) -> list[arrow.Table]:
        """Tables 0..n-1 from (table number, part) pairs in any order: n files written side by
        side as the parts come, each mapped back (needs a folder)."""
        assert self.folder is not None
        paths = [self._path(f"{name}-{k}") for k in range(n)]
        try:
            sinks = [arrow.OSFile(str(path), "wb") for path in paths]
            writers = [ipc.new_file(sink, schema) for sink in sinks]
            try:
                for k, part in parts:
                    writers[k].write_table(part)
            finally:
                for writer, sink in zip(writers, sinks, strict=True):
                    writer.close()
                    sink.close()
        except OSError as e:  # a full TMPDIR
            raise _spool_error(self.folder.parent, e) from None
        return [_mapped(path) for path in paths]

    def _path(self, name: str) -> Path:
        assert self.folder is not None
        self._count += 1
        return self.folder / f"{self._count:03d}-{name}.arrow"


def _spool_error(tmpdir: Path, e: OSError) -> BuildError:
    return BuildError(
        f"cannot write the build's spool files in {tmpdir}: {e.strerror or e}",
        "The build keeps its large tables in the temporary folder (about 3x the input's size "
        "for a large input): set TMPDIR to a folder with enough free space.",
    )


def _mapped(path: Path) -> arrow.Table:
    """The Arrow IPC file at `path`, memory-mapped; the file is unlinked."""
    with open(path, "rb") as f:
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    track_mapping(mapped)
    # the table's buffers point into the mapping and keep it open; unlinking the file does
    # not unmap it, so the folder can go when the build ends
    table = ipc.open_file(arrow.py_buffer(mapped)).read_all()
    path.unlink()
    return table


__all__ = ["SPOOL_ABOVE_BYTES", "Spool"]
