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
from helpers import RAW, TODAY
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


def test_batches_hold_up_to_256_pages_and_64_record_files() -> None:
    from kcna_dataset.runtime.workers import batched
    from kcna_dataset.stages.read import InputFile

    def files(names: list[str]) -> list[InputFile]:
        return [InputFile(n, n, n) for n in names]

    def sizes(names: list[str], size: int) -> list[int]:
        return [len(b) for b in batched(files(names), size)]

    pages = [f"{i}.txt" for i in range(600)]
    records = [f"{i}.jsonl" for i in range(150)]
    assert sizes(pages, 256) == [256, 256, 88]
    assert sizes(records, 256) == [64, 64, 22]  # as many as before pages had larger batches
    assert sizes(records, 31) == [31, 31, 31, 31, 26]  # the count given binds first
    # mixed: the record file counts 4 against the 256
    assert sizes(["a.csv", *pages[:300]], 256) == [253, 48]
    assert batched(files([]), 5) == []


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


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_preload_imports_in_the_background_and_a_failed_import_is_left_to_the_stage() -> None:
    """`preload` imports in a thread; `finish` waits for it. A module that cannot be imported
    raises nothing there (the stage that needs it imports it again, where errors are handled),
    and the names after it are not tried."""
    from kcna_dataset.runtime import preload

    for name in ("colorsys", "tabnanny"):
        sys.modules.pop(name, None)
    preload.preload("colorsys", "kcna_dataset_no_such_module", "tabnanny")
    preload.finish()
    imported = [m in sys.modules for m in ("colorsys", "kcna_dataset_no_such_module", "tabnanny")]
    assert imported == [True, False, False]
    assert preload._threads == []


@pytest.mark.skipif(not hasattr(os, "register_at_fork"), reason="POSIX fork")
def test_a_fork_waits_for_the_background_imports() -> None:
    """A module half imported in a thread would stay locked in a forked child: the fork first
    waits for the imports, so the child finds the module whole."""
    import threading

    from kcna_dataset.runtime import preload

    gate = threading.Event()
    entered = threading.Event()
    sys.modules.pop("kcna_dataset_slow_module", None)

    class SlowFinder:
        """Imports `kcna_dataset_slow_module` only once the test opens the gate."""

        def find_spec(self, name: str, path: object = None, target: object = None) -> object:
            import importlib.abc
            import importlib.util

            if name != "kcna_dataset_slow_module":
                return None

            class Loader(importlib.abc.Loader):
                def exec_module(self, module: object) -> None:
                    entered.set()
                    gate.wait(10)
                    module.ready = True  # type: ignore[attr-defined]

            return importlib.util.spec_from_loader(name, Loader())

    finder = SlowFinder()
    sys.meta_path.insert(0, finder)  # type: ignore[arg-type]
    try:
        preload.preload("kcna_dataset_slow_module")
        assert entered.wait(10)
        threading.Timer(0.3, gate.set).start()  # the fork below can only start after this
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: the module is there, whole
            module = sys.modules.get("kcna_dataset_slow_module")
            os.write(write, b"1" if getattr(module, "ready", False) else b"0")
            os._exit(0)
        os.close(write)
        assert os.read(read, 1) == b"1"
        os.close(read)
        assert os.waitpid(pid, 0)[1] == 0
    finally:
        sys.meta_path.remove(finder)  # type: ignore[arg-type]
        sys.modules.pop("kcna_dataset_slow_module", None)
        preload.finish()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux pipe sizes")
def test_the_pools_result_pipe_holds_a_batch() -> None:
    """A worker's result (a batch: ~200 kB for 64 pages) fits the pipe, so its send does not
    wait for the main process to read it chunk by chunk."""
    import fcntl
    from concurrent.futures import ProcessPoolExecutor

    from kcna_dataset.runtime.workers import RESULT_PIPE_BYTES, _widen_result_pipe

    with ProcessPoolExecutor(1) as pool:
        _widen_result_pipe(pool)
        writer = pool._result_queue._writer  # type: ignore[attr-defined]
        assert fcntl.fcntl(writer.fileno(), fcntl.F_GETPIPE_SZ) == RESULT_PIPE_BYTES
        assert len(pool.submit(bytes, 300_000).result()) == 300_000


def test_a_pooled_build_preloads_the_checks_modules_and_widens_the_pipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a pool, the build imports pandas and pandera in the background and widens the
    pool's result pipe; in one process, neither (a thread there would only compete)."""
    from helpers import TODAY

    from kcna_dataset.build import build
    from kcna_dataset.runtime import workers
    from kcna_dataset.schema import PANDERA_MODULES

    calls: list[tuple[str, object]] = []
    monkeypatch.setattr(workers, "POOL_MIN_BYTES", 0)  # the pool, for the small corpus
    monkeypatch.setattr(workers, "preload", lambda *m: calls.append(("preload", m)))
    widen = workers._widen_result_pipe

    def widened(pool: object) -> None:
        calls.append(("widen", 1))
        widen(pool)  # type: ignore[arg-type]

    monkeypatch.setattr(workers, "_widen_result_pipe", widened)
    build(RAW, tmp_path / "a", today=TODAY, jobs=2, cache_dir=None)
    assert calls == [("widen", 1), ("preload", PANDERA_MODULES)]
    calls.clear()
    build(RAW, tmp_path / "b", today=TODAY, jobs=1, cache_dir=None)
    assert calls == []


def test_preload_without_a_thread_to_be_had_leaves_the_imports_to_the_stages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    from kcna_dataset.runtime import preload

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    sys.modules.pop("colorsys", None)
    preload.preload("colorsys")
    preload.finish()
    assert ("colorsys" in sys.modules, preload._threads) == (False, [])


def test_workers_that_cannot_be_started_are_one_error_with_a_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpers import TODAY

    from kcna_dataset.build import build
    from kcna_dataset.exceptions import BuildError
    from kcna_dataset.runtime import workers

    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(workers, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(os, "fork", no_fork)
    with pytest.raises(BuildError) as failed:
        build(RAW, tmp_path / "a", today=TODAY, jobs=2, cache_dir=None)
    assert (failed.value.message, failed.value.hint) == (
        "cannot start the worker processes: Resource temporarily unavailable",
        "Pass --jobs 1 to work in this process alone, or raise the process limit (ulimit -u).",
    )
    assert not (tmp_path / "a" / "1.0.0").exists()


def test_a_workers_batch_does_not_import_pandas() -> None:
    """A pool worker reads, parses, checks and sketches without pandas (0.15 s and ~37 MB to
    import in each worker): `arrow.array` of a list and an Arrow array's `to_numpy` import it,
    so the sketch's Arrow path builds and reads its arrays through buffers."""
    code = (
        "import sys\n"
        "from datetime import date\n"
        "from pathlib import Path\n"
        "from kcna_dataset.config import DedupConfig\n"
        "from kcna_dataset.runtime import workers\n"
        "from kcna_dataset.sources import SourceRegistry\n"
        "from kcna_dataset.stages.read import discover\n"
        f"today = date.fromisoformat({TODAY.isoformat()!r})\n"
        "settings = workers.FileSettings(SourceRegistry.load(), today, DedupConfig())\n"
        "workers._init_worker(settings, in_pool=False)\n"
        f"batch = workers._work_batch(discover([Path({str(RAW)!r})]))\n"
        "print(len(batch.outcomes), len(batch.sketches), 'pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # raw/: its README and 5 article files, 688 articles (as the build sees them: no twin
    # numbered yet)
    assert done.stdout.split() == ["6", "688", "False"]
