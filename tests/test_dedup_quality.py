"""Quality on the labelled corpus generated from raw/ (bench/dedup_corpus.py), small and fixed.

The benchmark (`python -m bench.dedup_bench`) runs the same at larger sizes and several seeds and
compares with datasketch; this keeps a regression guard in the suite.
"""

from __future__ import annotations

import pytest

from bench.dedup_corpus import MERGE_CASES, NEGATIVE_CASES, Labelled, generate, pairwise_scores
from kcna_dataset.dedup import deduplicate
from kcna_dataset.sources import SourceRegistry


@pytest.fixture(scope="module")
def corpus() -> list[Labelled]:
    return generate(copies_per_case=10, seed=0)


def test_generator_labels_every_case(corpus: list[Labelled]) -> None:
    counts = {case: sum(x.case == case for x in corpus) for case in (*MERGE_CASES, *NEGATIVE_CASES)}
    assert counts == {
        **dict.fromkeys(MERGE_CASES, 10),
        "template": 12,
        "daily-series": 22,
        "same-day-statements": 10,
        "reprint-after-window": 10,
    }
    assert len(corpus) == 599
    # 433 real statements + 10 template variants + 10 same-day + 10 reprints
    assert len({x.cluster for x in corpus}) == 463


def test_pairwise_quality_on_the_generated_corpus(corpus: list[Labelled]) -> None:
    result = deduplicate([x.article for x in corpus], SourceRegistry.load())
    predicted = {a: m.statement_id for a, m in result.membership.items()}
    scores = pairwise_scores(corpus, predicted)
    overall = scores["overall"]
    assert (overall["true_pairs"], overall["false_merges"], overall["missed"]) == (159, 0, 0)
    for case in ("template", "daily-series", "same-day-statements", "reprint-after-window"):
        assert scores[case]["false_merges"] == 0, case
    for case in MERGE_CASES:
        assert scores[case]["missed"] == 0, case
