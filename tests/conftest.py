"""pytest fixtures; the helpers tests share are in helpers.py."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import RAW, TODAY, copies_charts_once, timeline_chart_once

from kcna_dataset.build import BuildResult, build


@pytest.fixture(autouse=True, scope="session")
def _charts_drawn_once() -> Iterator[None]:
    """Builds draw their charts once per distinct data (helpers._drawn_once)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("kcna_dataset.build.timeline_chart", timeline_chart_once)
        patch.setattr("kcna_dataset.build.copies_charts", copies_charts_once)
        yield


@pytest.fixture(autouse=True)
def _record_cache_in_tmp(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI's record cache defaults to ./.kcna-cache: tests keep theirs out of the checkout."""
    monkeypatch.setenv("KCNA_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "kcna-cache"))


@pytest.fixture(scope="session")
def shipped_release(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The release built from the frozen copy of raw/ (built once per test session)."""
    out = tmp_path_factory.mktemp("dist")
    return build(RAW, out, today=TODAY)


@pytest.fixture
def raw_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "raw"
    shutil.copytree(RAW, dest)
    return dest


@pytest.fixture
def released(shipped_release: BuildResult, tmp_path: Path) -> Path:
    """A releases folder as `build(RAW, out, today=TODAY)` leaves it (1.0.0, `latest`, the
    lock file), for tests that start from a published release: a copy of the session's build,
    not a build of its own (the same bytes: releases do not depend on where they were built,
    tests/test_release.py::test_same_input_same_bytes_whatever_the_paths)."""
    out = tmp_path / "dist"
    shutil.copytree(shipped_release.published.parent, out, symlinks=True)
    return out
