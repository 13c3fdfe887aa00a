"""Dedup quality and speed on the labelled corpus: kcna-dataset vs datasketch MinHashLSH.

    python -m bench.dedup_bench [--copies 40] [--seeds 0 1 2]

Prints pairwise precision / recall / F1 overall and per case for kcna-dataset and for datasketch
`MinHashLSH` at thresholds 0.5 and 0.8, and the time of our whole dedup stage against
datasketch's signatures + index alone (its queries are timed apart), on the same articles in the
same run, best of --repeat runs after a warm-up; then a crowd of --crowd near-identical texts.
A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Sequence
from dataclasses import replace

from bench.dedup_corpus import MERGE_CASES, NEGATIVE_CASES, Labelled, generate, pairwise_scores
from kcna_dataset.article_table import ArticleTable
from kcna_dataset.config import DedupConfig
from kcna_dataset.records import Article
from kcna_dataset.sources import SourceRegistry
from kcna_dataset.stages.dedup import deduplicate


def ours(articles: Sequence[Article]) -> tuple[dict[str, str], float]:
    registry = SourceRegistry.load()
    table = ArticleTable.of(articles)  # the form the build hands to dedup: not timed
    start = time.perf_counter()
    result = deduplicate(table, registry, DedupConfig())
    seconds = time.perf_counter() - start
    return {a: m.statement_id for a, m in result.membership.items()}, seconds


def datasketch_lsh(
    articles: Sequence[Article], threshold: float
) -> tuple[dict[str, str], float, float]:
    """datasketch as its docs show it: 128 permutations, word 5-grams, MinHashLSH at
    `threshold` (its own bands x rows), connected components of what the queries find."""
    from datasketch import MinHash, MinHashLSH

    start = time.perf_counter()
    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    signatures = []
    for a in articles:
        words = a.body.lower().split()
        shingles = {" ".join(words[i : i + 5]).encode() for i in range(max(1, len(words) - 4))}
        m = MinHash(num_perm=128)
        m.update_batch(list(shingles))
        signatures.append(m)
        lsh.insert(a.article_id, m)
    seconds = time.perf_counter() - start  # signatures + index: what the comparison uses
    neighbours = [lsh.query(m) for m in signatures]
    query_seconds = time.perf_counter() - start - seconds
    # connected components (union-find) over the query results, as a pipeline would
    parent = {a.article_id: a.article_id for a in articles}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, found in zip(articles, neighbours, strict=True):
        for b in found:
            ra, rb = find(a.article_id), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return {a.article_id: find(a.article_id) for a in articles}, seconds, query_seconds


def table(items: list[Labelled], results: dict[str, dict[str, str]]) -> None:
    cases = ["overall", *MERGE_CASES, *NEGATIVE_CASES, "real"]
    width = max(map(len, cases))
    scores = {name: pairwise_scores(items, pred) for name, pred in results.items()}
    names = list(results)
    header = f"{'case':{width}s}" + "".join(f" | {n:^34s}" for n in names)
    print(header)
    print(f"{'':{width}s}" + " | precision recall  F1     false missed" * len(names))
    for case in cases:
        row = f"{case:{width}s}"
        for n in names:
            s = scores[n].get(case)
            if s is None:
                row += " | " + " " * 34
                continue
            row += (
                f" | {s['precision']:9.4f} {s['recall']:6.4f} {s['f1']:6.4f} "
                f"{s['false_merges']:5d} {s['missed']:6d}"
            )
        print(row)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=40, help="copies per case")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (best is reported)")
    parser.add_argument("--crowd", type=int, default=4000, help="texts in the crowd case")
    args = parser.parse_args(argv)
    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}; DedupConfig: {DedupConfig().to_dict()}"
    )
    for seed in args.seeds:
        items = generate(args.copies, seed)
        articles = [x.article for x in items]
        ours(articles[:50]), datasketch_lsh(articles[:50], 0.5)  # warm-up: imports, caches
        runs_ours = [ours(articles) for _ in range(args.repeat)]
        ours_pred, t_ours = runs_ours[0][0], min(r[1] for r in runs_ours)
        results = {"kcna-dataset": ours_pred}
        timings = []
        for threshold in (0.5, 0.8):
            runs = [datasketch_lsh(articles, threshold) for _ in range(args.repeat)]
            results[f"datasketch LSH {threshold}"] = runs[0][0]
            timings.append((threshold, min(r[1] for r in runs), min(r[2] for r in runs)))
        print(
            f"\nseed {seed}: {len(articles)} articles, "
            f"{len({x.cluster for x in items})} true statements"
        )
        table(items, results)
        print(
            f"time: kcna-dataset whole dedup stage (normalise, signatures, LSH, verification, "
            f"clustering) {t_ours:.2f} s ({len(articles) / t_ours:,.0f} articles/s)"
        )
        for threshold, t_ds, t_query in timings:
            print(
                f"  datasketch {threshold} signatures + index alone {t_ds:.2f} s "
                f"({len(articles) / t_ds:,.0f} articles/s; its queries another {t_query:.2f} s); "
                f"datasketch / ours = {t_ds / t_ours:.2f}x"
            )
    crowd(args.crowd)


def crowd(n: int) -> None:
    """n texts of one 300-word template on one date, each with another number (rule 6)."""
    from bench.dedup_corpus import base_articles

    base = min((b.article for b in base_articles()), key=lambda a: abs(len(a.body.split()) - 300))
    words = base.body.split(" ")[:300]
    items = [
        ArticleTable.of(
            [
                replace(
                    base,
                    article_id=f"a-{k:016x}",
                    url=f"https://example.org/crowd/{k}",  # each its own page
                    body=" ".join([*words[:150], f"No. {k}", *words[150:]]),
                )
                for k in range(n)
            ]
        )
    ]
    start = time.perf_counter()
    result = deduplicate(items[0], SourceRegistry.load(), DedupConfig())
    seconds = time.perf_counter() - start
    print(
        f"\ncrowd: {n} texts of one 300-word template on one date, one number each: "
        f"{len(result.statements)} statements, {result.candidates} candidate pairs (all pairs: "
        f"{n * (n - 1) // 2:,}), {seconds:.1f} s; stages {result.seconds}"
    )


if __name__ == "__main__":
    main()
