"""Workers die with their parent; SIGTERM stops a command as Ctrl-C does (issue 18)."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import RAW
from typer.testing import CliRunner

from kcna_dataset import cli

PARENT = """
import os, sys, time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from kcna_dataset.sources import SourceRegistry
from kcna_dataset.runtime.workers import FileSettings, _init_worker
settings = FileSettings(SourceRegistry.load(), date(2026, 1, 1), None)
pool = ProcessPoolExecutor(2, initializer=_init_worker, initargs=(settings,))
futures = [pool.submit(time.sleep, 60) for _ in range(2)]
time.sleep(1.0)
print(" ".join(str(p) for p in pool._processes), flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"  # a zombie is dead
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_die_with_their_parent_killed_by_sigkill(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True, cwd=tmp_path
    )
    assert parent.stdout is not None
    workers = [int(p) for p in parent.stdout.readline().split()]
    assert len(workers) == 2 and all(_alive(p) for p in workers)
    parent.kill()  # SIGKILL: no cleanup runs in the parent
    parent.wait()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [p for p in workers if _alive(p)] == []


def test_sigterm_stops_a_command_as_ctrl_c_does(tmp_path: Path) -> None:
    before = signal.getsignal(signal.SIGTERM)
    try:
        result = CliRunner().invoke(cli.app, ["validate", str(RAW)])
        assert result.exit_code == 0
        assert signal.getsignal(signal.SIGTERM) is cli._interrupt
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)  # the handler runs between bytecodes
    finally:
        signal.signal(signal.SIGTERM, before)


def test_a_batch_of_files_gives_each_file_what_it_alone_would(tmp_path: Path) -> None:
    """Files are worked on in batches (one table and one sketch call for many pages): each
    file's outcome still holds exactly its own rows and sketches."""
    import numpy as np
    from helpers import TODAY, jsonl_line, page, write

    from kcna_dataset.config import DedupConfig
    from kcna_dataset.runtime import workers
    from kcna_dataset.runtime.workers import FileSettings, process_files
    from kcna_dataset.sources import SourceRegistry
    from kcna_dataset.stages.read import discover

    write(tmp_path, "a.txt", page(title="First Page"))
    write(tmp_path, "b.bin.txt", b"\x00binary")
    write(
        tmp_path, "c.jsonl", jsonl_line(headline="One") + "\n" + jsonl_line(headline="Two") + "\n"
    )
    write(tmp_path, "d.txt", page(title="Second Page", date_field="31/02/2024"))
    write(tmp_path, "e.txt", page(title="Third Page"))
    files = discover([tmp_path])
    settings = FileSettings(SourceRegistry.load(), TODAY, DedupConfig())
    together = process_files(files, settings)
    alone = [process_files([f], settings)[0] for f in files]
    assert [(o.name, o.records, len(o.accepted)) for o in together] == [
        ("a.txt", 1, 1),
        ("b.bin.txt", 1, 0),
        ("c.jsonl", 2, 2),
        ("d.txt", 1, 0),
        ("e.txt", 1, 1),
    ]
    for t, a in zip(together, alone, strict=True):
        # what the pool sends back: the same outcome after a pickle round trip
        back = pickle.loads(pickle.dumps(t, pickle.HIGHEST_PROTOCOL))
        assert (back.name, back.records, back.read_failure) == (t.name, t.records, t.read_failure)
        assert (back.rejected, back.warnings) == (t.rejected, t.warnings)
        assert (back.parse_dropped, back.validate_dropped) == (t.parse_dropped, t.validate_dropped)
        assert list(back.accepted) == list(t.accepted)
        assert back.sketches is not None and t.sketches is not None
        assert np.array_equal(back.sketches.bands, t.sketches.bands)
        light = pickle.loads(pickle.dumps(replace(t, accepted=workers._LIGHT, sketches=None)))
        assert (light.accepted, light.sketches) == (workers._LIGHT, None)
        assert list(t.accepted) == list(a.accepted)
        assert (t.rejected, t.warnings, t.read_failure) == (a.rejected, a.warnings, a.read_failure)
        assert t.sketches is not None and a.sketches is not None
        assert np.array_equal(t.sketches.keys, a.sketches.keys)
        assert np.array_equal(t.sketches.bands, a.sketches.bands)


def test_the_pool_leaves_a_calling_programs_frozen_objects_frozen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool's workers are forked with the heap frozen (gc.freeze) and thawed after; a
    program that froze objects of its own before calling the library keeps them frozen."""
    import gc

    from helpers import TODAY

    from kcna_dataset.build import build
    from kcna_dataset.runtime import workers

    monkeypatch.setattr(workers, "POOL_MIN_BYTES", 0)  # the pool, for the small corpus
    assert gc.get_freeze_count() == 0
    result = build(RAW, tmp_path / "a", today=TODAY, jobs=2, cache_dir=None)
    assert (result.work["jobs"], gc.get_freeze_count()) == (2, 0)  # ours, thawed
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        build(RAW, tmp_path / "b", today=TODAY, jobs=2, cache_dir=None)
        # not thawed (thawing empties the permanent generation; a few of the program's frozen
        # objects may have been freed meanwhile)
        assert 0 < gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()
