"""Build at several corpus sizes: articles/s, peak memory, per-stage seconds, and `verify`
against `frictionless validate` on the same release.

    python -m bench.scale_bench --sizes 10000 100000 [--keep]

The corpus is generated into a temporary folder (deleted afterwards unless --keep): statements
assembled from real sentences of raw/ (so distinct statements are not near-copies of each
other), about 300 words each like the real texts, 30% of them with 1-2 cross-source copies made
by bench.dedup_corpus's transformations. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.dedup_corpus import base_articles, copy_for

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")
_SOURCES = {
    "kcna-kp": "http://www.kcna.kp/en/article/q/",
    "rodong": "http://rodong.rep.kp/en/",
    "mfa": "http://www.mfa.gov.kp/en/",
    "kcna-jp": "http://www.kcna.co.jp/item/",
}
RECORDS_PER_FILE = 1_000  # records per JSONL file: about a month of one outlet


def generate(n_articles: int, folder: Path, seed: int = 0) -> int:
    """Write about n_articles scraper records as JSONL files under folder; returns the count."""
    rng = random.Random(seed)
    real = [b.article for b in base_articles()]
    sentences = sorted(
        {
            s
            for a in real
            for p in a.body.split("\n")
            for s in _SENTENCE.split(p)
            if len(s.split()) >= 6
        }
    )
    titles = sorted({a.title for a in real})
    vocabulary = sorted({w for a in real for w in a.body.split() if w.isalpha() and w.islower()})
    written = 0
    handle = None
    start = date(2014, 1, 1)

    def emit(record: dict[str, str]) -> None:
        nonlocal handle, written
        if written % RECORDS_PER_FILE == 0:
            if handle:
                handle.close()
            handle = (folder / f"records-{written // RECORDS_PER_FILE:05d}.jsonl").open("w")
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        written += 1

    i = 0
    while written < n_articles:
        # real sentences, a quarter of their words replaced: at a million articles each
        # sentence of raw/ is drawn hundreds of times, and real statements do not share
        # sentences that often
        picked = [
            " ".join(
                rng.choice(vocabulary) if w.islower() and rng.random() < 0.25 else w
                for w in sentence.split()
            )
            for sentence in rng.sample(sentences, rng.randint(8, 18))
        ]
        paras = [" ".join(picked[k : k + 2]) for k in range(0, len(picked), 2)]
        published = start + timedelta(days=rng.randrange(3650))
        title = f"{rng.choice(titles)} ({i})"
        base = real[0].__class__(
            **{
                **{f: getattr(real[0], f) for f in real[0].__slots__},
                "body": "\n".join(paras),
                "title": title,
                "published_date": published,
            }
        )
        copies = [base]
        if rng.random() < 0.3:
            for k in range(rng.randint(1, 2)):
                case = rng.choice(
                    [
                        "quotes",
                        "byline",
                        "lead-in",
                        "truncated",
                        "edited-words",
                        "paragraphs",
                        "days-apart",
                    ]
                )
                copies.append(copy_for(case, base, rng, vocabulary, f"{i}-{k}"))
        for n, a in enumerate(copies):
            source = "kcna-kp" if n == 0 else rng.choice(["rodong", "mfa", "kcna-jp"])
            text = a.body
            if source == "kcna-kp":
                text = (
                    f"Pyongyang, {a.published_date:%B} {a.published_date.day} (KCNA) -- {text} -0-"
                )
            emit(
                {
                    "headline": a.title,
                    "date": a.published_date.isoformat(),
                    "link": f"{_SOURCES[source]}{i}-{n}",
                    "topic": "Generated",
                    "story_text": text,
                }
            )
        i += 1
    if handle:
        handle.close()
    return written


def run(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{command} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - started, done.stdout


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--keep", action="store_true", help="keep the generated folders")
    args = parser.parse_args(argv)
    exe = str(Path(sys.executable).parent)
    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}"
    )
    print(
        f"{'articles':>9} {'build s':>8} {'art/s':>7} {'peak MB':>8}  stages (s)"
        f"{'':30} {'verify s':>8} {'frictionless s':>14} {'ratio':>6}"
    )
    for size in sorted(args.sizes):
        work = Path(tempfile.mkdtemp(prefix=f"kcna-scale-{size}-"))
        try:
            raw = work / "raw"
            raw.mkdir()
            n = generate(size, raw)
            seconds, out = run(
                [
                    f"{exe}/kcna-dataset",
                    "build",
                    "--raw",
                    str(raw),
                    "--out",
                    str(work / "dist"),
                    "--json",
                ]
            )
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            summary = json.loads(out)
            release = work / "dist" / "1.0.0"
            verify_s, _ = run([f"{exe}/kcna-dataset", "verify", str(release)])
            fl_s, _ = run(
                [f"{exe}/frictionless", "validate", "--json", str(release / "datapackage.json")]
            )
            stages = ", ".join(
                f"{k} {v:.1f}" for k, v in summary["seconds"].items() if k != "total"
            )
            print(
                f"{n:>9,} {seconds:>8.1f} {n / seconds:>7,.0f} {peak_mb:>8,.0f}  {stages:<40} "
                f"{verify_s:>8.1f} {fl_s:>14.1f} {fl_s / verify_s:>5.1f}x   "
                f"({summary['statements']:,} statements)"
            )
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
