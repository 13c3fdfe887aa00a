"""kcna-dataset: validate, deduplicate and publish a corpus of North Korean state media."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kcna_dataset.version import __version__

if TYPE_CHECKING:
    from kcna_dataset.release.loading import load

__all__ = ["__version__", "load"]


def __getattr__(name: str) -> Any:
    # `load` brings pandas and pyarrow: imported when asked for, so that the CLI (and a
    # pre-commit hook's `kcna-dataset validate`) does not pay for them at start
    if name == "load":
        from kcna_dataset.release.loading import load

        return load
    raise AttributeError(f"module 'kcna_dataset' has no attribute {name!r}")
