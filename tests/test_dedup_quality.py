"""Quality on the labelled corpus generated from raw/ (bench/dedup_corpus.py), small and fixed.

The benchmark (`python -m bench.dedup_bench`) runs the same at larger sizes and several seeds and
compares with datasketch; this keeps a regression guard in the suite.
"""

from __future__ import annotations

import pytest
from helpers import RAW

from bench.dedup_corpus import MERGE_CASES, NEGATIVE_CASES, Labelled, generate, pairwise_scores
from kcna_dataset.sources import SourceRegistry
from kcna_dataset.stages.dedup import deduplicate


@pytest.fixture(scope="module")
def corpus() -> list[Labelled]:
    return generate(copies_per_case=10, seed=0, raw=RAW)  # the frozen copy of raw/


def test_generator_labels_every_case(corpus: list[Labelled]) -> None:
    counts = {case: sum(x.case == case for x in corpus) for case in (*MERGE_CASES, *NEGATIVE_CASES)}
    assert counts == {
        **dict.fromkeys(MERGE_CASES, 10),
        # each language: 2 reports with 2 copies, 1 greeting with 2 copies
        "ko-copy": 8,
        "zh-copy": 8,
        "ru-copy": 8,
        "template": 12,
        "template-one-name": 2,
        "daily-series": 22,
        "same-day-statements": 10,
        "reprint-after-window": 10,
        "departure-return": 4,
        "ko-template": 4,
        "zh-template": 4,
        "ru-template": 4,
        "no-letters": 3,
    }
    assert len(corpus) == 694
    # 433 real statements (437 texts, 4 of them revisions in place) + 10 template variants + 2
    # one-name variants + 10 same-day + 10 reprints + 4 departures/returns + 3 x (2 reports + 4
    # greetings) + 3 without letters
    assert len({x.cluster for x in corpus}) == 490


def test_pairwise_quality_on_the_generated_corpus(corpus: list[Labelled]) -> None:
    result = deduplicate([x.article for x in corpus], SourceRegistry.load())
    predicted = {a: m.statement_id for a, m in result.membership.items()}
    scores = pairwise_scores(corpus, predicted)
    overall = scores["overall"]
    assert (overall["true_pairs"], overall["false_merges"], overall["missed"]) == (252, 0, 0)
    for case in NEGATIVE_CASES:
        assert scores[case]["false_merges"] == 0, case
    for case in MERGE_CASES:
        assert scores[case]["missed"] == 0, case
