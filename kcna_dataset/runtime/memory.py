"""Give freed memory back to the system between stages: the C heap's and Arrow's pool's free
blocks (`trim_heap`), and the pages of memory-mapped tables read so far (`drop_pages`); and make
many long-lived objects at once without the cycle collector walking them over and over
(`collector_paused`), and keep them out of its later passes (`long_lived_run`, `set_aside`).

Each file's articles arrive from the pool as a pickle of a few MB, and the Arrow table unpickled
from it keeps pointing into those bytes; when the release order replaces that table, glibc frees
the blocks into its heap and keeps them (its mmap threshold rises after the first large free),
so the process stays as large as both copies together. `malloc_trim` returns them: measured at
100,000 articles, 894 MB -> 597 MB right after the release-order sort.
"""

from __future__ import annotations

import ctypes
import gc
import mmap
import sys
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any


@cache
def _libc() -> Any:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, Windows, musl): nothing to trim
        return None


def trim_heap() -> bool:
    """Return the C heap's free memory to the system, and Arrow's memory pool's (mimalloc or
    jemalloc keep freed pages for reuse); False where there is no glibc."""
    if (arrow := sys.modules.get("pyarrow")) is not None:  # never imported for this
        arrow.default_memory_pool().release_unused()
    libc = _libc()
    if libc is None or not hasattr(libc, "malloc_trim"):
        return False
    libc.malloc_trim(0)
    return True


# every mapping still alive, in any spool (a mapping closes when the last table using it is freed)
_MAPS: list[weakref.ref[mmap.mmap]] = []


def track_mapping(mapped: mmap.mmap) -> None:
    """A mapped file (a spooled table) whose pages `drop_pages` returns."""
    _MAPS.append(weakref.ref(mapped))


def drop_pages() -> None:
    """Unmap the pages of every live mapped table from this process. They stay in the page
    cache and are read back when touched: called after a pass over the texts (a sort, a schema
    check, writing a table), so the process's resident size shows its own memory and not the
    last pass, as `memory.trim_heap` does for the heap."""
    global _MAPS
    alive = []
    for ref in _MAPS:
        if (mapped := ref()) is not None and not mapped.closed:
            mapped.madvise(mmap.MADV_DONTNEED)
            alive.append(ref)
    _MAPS = alive


# open long_lived_run blocks that froze the heap (gc.freeze is one state for the process)
_run_freezes: list[bool] = []


@contextmanager
def long_lived_run() -> Iterator[None]:
    """A run (a build, a validation) in which `set_aside` may leave the objects made so far out
    of the cycle collector's passes; they are put back (gc.unfreeze) when the block ends. Does
    nothing when the calling program froze objects of its own: its state is left alone."""
    _run_freezes.append(gc.get_freeze_count() == 0)
    try:
        yield
    finally:
        if _run_freezes.pop():
            gc.unfreeze()


def set_aside() -> None:
    """Leave every object made so far out of the collector's full passes (gc.freeze) until the
    run ends: called once a stage has made what lives to the end (a report per input; the
    validated articles before dedup). Each full pass walks every object not set aside: at a
    million pages (before the reports were made with the collector paused) the main process's
    19 full passes took 17.3 s, walking mostly the same reports; at 200,000 pages read from the
    record cache, setting aside took the collector's time from 2.4 to 1.3 s.
    Garbage that is freed by reference counting (nearly all) is freed as before; a reference
    cycle among objects set aside waits for the end of the run. Outside a run: nothing."""
    if _run_freezes and _run_freezes[-1]:
        gc.freeze()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while many long-lived objects are made at once, and back
    as it was after: each of its full passes walks every object made so far, so making a
    report per input took 8.8-9.6 s at a million pages, 1.8 s with it paused."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
