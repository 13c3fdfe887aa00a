"""Dedup quality and speed on the labelled corpus: kcna-dataset vs datasketch MinHashLSH.

    python -m bench.dedup_bench [--copies 40] [--seeds 0 1 2]

Prints pairwise precision / recall / F1 overall and per case for both systems, and the time of
our whole dedup stage against datasketch's signatures + index alone (its queries are timed
apart), on the same articles in the same run, best of --repeat runs after a warm-up.
A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Sequence

from bench.dedup_corpus import MERGE_CASES, NEGATIVE_CASES, Labelled, generate, pairwise_scores
from kcna_dataset.article_table import ArticleTable
from kcna_dataset.config import DedupConfig
from kcna_dataset.dedup import deduplicate
from kcna_dataset.records import Article
from kcna_dataset.sources import SourceRegistry


def ours(articles: Sequence[Article]) -> tuple[dict[str, str], float]:
    registry = SourceRegistry.load()
    table = ArticleTable.of(articles)  # the form the build hands to dedup: not timed
    start = time.perf_counter()
    result = deduplicate(table, registry, DedupConfig())
    seconds = time.perf_counter() - start
    return {a: m.statement_id for a, m in result.membership.items()}, seconds


def datasketch_lsh(articles: Sequence[Article]) -> tuple[dict[str, str], float, float]:
    """datasketch as its docs show it: 128 permutations, word 5-grams, MinHashLSH defaults."""
    from datasketch import MinHash, MinHashLSH

    start = time.perf_counter()
    lsh = MinHashLSH(num_perm=128)  # default threshold (0.9) and its own bands x rows
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
    scores = {name: pairwise_scores(items, pred) for name, pred in results.items()}
    names = list(results)
    header = f"{'case':22s}" + "".join(f" | {n:^34s}" for n in names)
    print(header)
    print(f"{'':22s}" + " | precision recall  F1     false missed" * len(names))
    for case in cases:
        row = f"{case:22s}"
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
    args = parser.parse_args(argv)
    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}; DedupConfig: {DedupConfig().to_dict()}"
    )
    for seed in args.seeds:
        items = generate(args.copies, seed)
        articles = [x.article for x in items]
        ours(articles[:50]), datasketch_lsh(articles[:50])  # warm-up: imports, caches
        runs_ours = [ours(articles) for _ in range(args.repeat)]
        runs_ds = [datasketch_lsh(articles) for _ in range(args.repeat)]
        ours_pred, t_ours = runs_ours[0][0], min(r[1] for r in runs_ours)
        ds_pred, t_ds, t_query = (
            runs_ds[0][0],
            min(r[1] for r in runs_ds),
            min(r[2] for r in runs_ds),
        )
        results = {"kcna-dataset": ours_pred, "datasketch MinHashLSH": ds_pred}
        print(
            f"\nseed {seed}: {len(articles)} articles, "
            f"{len({x.cluster for x in items})} true statements"
        )
        table(items, results)
        print(
            f"time: kcna-dataset whole dedup stage (normalise, signatures, LSH, verification, "
            f"clustering) {t_ours:.2f} s ({len(articles) / t_ours:,.0f} articles/s); "
            f"datasketch signatures + index alone {t_ds:.2f} s "
            f"({len(articles) / t_ds:,.0f} articles/s; its queries another {t_query:.2f} s); "
            f"datasketch / ours = {t_ds / t_ours:.2f}x"
        )


if __name__ == "__main__":
    main()
