"""Wall-clock seconds per stage, as a run reports them (a build's stages, the dedup stage's
own). Reported, never written into a release: its bytes must not depend on the clock."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def timed(stage: str, seconds: dict[str, float]) -> Iterator[None]:
    """Adds the wall-clock seconds the block takes to seconds[stage]."""
    started = time.perf_counter()
    try:
        yield
    finally:
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - started


__all__ = ["timed"]
