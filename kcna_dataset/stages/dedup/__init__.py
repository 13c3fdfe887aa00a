"""Dedup stage: Articles -> Statements, each article with a Membership (how it joined).

The run is `pipeline.py` (units, candidates, verification, clustering, statements, each timed);
the other modules are its parts. The names below are imported when first used, so that
`validate`, which sketches nothing and clusters nothing, does not load the whole stage at start
(it needs only `dedup.sketch` for its types; ~30 ms).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kcna_dataset.stages.dedup.normalize import comparison_text, match_key
    from kcna_dataset.stages.dedup.pipeline import (
        DedupResult,
        Evidence,
        MapFunction,
        ScoreStore,
        deduplicate,
        rank_positions,
    )
    from kcna_dataset.stages.dedup.sketch import Sketches, sketch_bodies
    from kcna_dataset.stages.dedup.verify import PairScore

_LAZY = {
    "DedupResult": "pipeline",
    "Evidence": "pipeline",
    "MapFunction": "pipeline",
    "ScoreStore": "pipeline",
    "deduplicate": "pipeline",
    "rank_positions": "pipeline",
    "PairScore": "verify",
    "Sketches": "sketch",
    "sketch_bodies": "sketch",
    "comparison_text": "normalize",
    "match_key": "normalize",
}

__all__ = [
    "DedupResult",
    "Evidence",
    "MapFunction",
    "PairScore",
    "ScoreStore",
    "Sketches",
    "comparison_text",
    "deduplicate",
    "match_key",
    "rank_positions",
    "sketch_bodies",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"kcna_dataset.stages.dedup.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'kcna_dataset.stages.dedup' has no attribute {name!r}")
