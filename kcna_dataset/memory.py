"""Give freed memory back to the system between stages.

Each file's articles arrive from the pool as a pickle of a few MB, and the Arrow table unpickled
from it keeps pointing into those bytes; when the release order replaces that table, glibc frees
the blocks into its heap and keeps them (its mmap threshold rises after the first large free),
so the process stays as large as both copies together. `malloc_trim` returns them: measured at
100,000 articles, 894 MB -> 597 MB right after the release-order sort.
"""

from __future__ import annotations

import ctypes
from functools import cache
from typing import Any


@cache
def _libc() -> Any:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, Windows, musl): nothing to trim
        return None


def trim_heap() -> bool:
    """Return the C heap's free memory to the system; False where there is no glibc."""
    libc = _libc()
    if libc is None or not hasattr(libc, "malloc_trim"):
        return False
    libc.malloc_trim(0)
    return True
