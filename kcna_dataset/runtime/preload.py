"""Import, in a thread, modules a later stage of this process will need, while the worker
processes keep both cores busy and this process mostly waits for their results.

A build's main process imports pandas and pandera for the release tables' checks (and pyarrow
imports pandas for a chunked array's `to_numpy`): ~0.4-0.5 s spent after the file phase, in
the part of the build where one process works alone. Imported meanwhile, that time overlaps
the workers'. What a failed import raised is not kept: the stage that needs the module imports
it again and fails where its errors are handled.

A fork while a module is half imported would leave its lock held in the child: every fork of
this process first waits for the imports to finish (`os.register_at_fork`), so the pool may
start workers at any time.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading

_threads: list[threading.Thread] = []
_lock = threading.Lock()


def _import_all(modules: tuple[str, ...]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except BaseException:  # the stage that needs it imports it again and says what failed
            return


def preload(*modules: str) -> None:
    """Import `modules` in the background (nothing if all are imported already)."""
    missing = tuple(m for m in modules if m not in sys.modules)
    if not missing:
        return
    # not a daemon: the interpreter's exit waits for it rather than freeze it mid-import
    thread = threading.Thread(target=_import_all, args=(missing,), name="kcna-preload")
    try:
        thread.start()
    except RuntimeError:  # no thread to be had (a process limit): the stages import them
        return
    with _lock:
        _threads.append(thread)


def finish() -> None:
    """Wait for the background imports (before a fork, and before a fast exit). From a
    preload thread itself (a module that forks as it is imported), the others only."""
    with _lock:
        waiting = [t for t in _threads if t is not threading.current_thread()]
        _threads[:] = [t for t in _threads if t not in waiting]
    for thread in waiting:
        thread.join()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(before=finish)
