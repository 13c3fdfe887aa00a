"""Build at several corpus sizes, then the peers on the same input.

    python -m bench.scale_bench --sizes 10000 100000 [--formats pages jsonl] [--jobs 2]
        [--peers-up-to 100000] [--rounds 5]

For each size and format (KCNA Watch pages, one article per file in year/outlet folders with
their navigation blocks; or JSONL, 1,000 records per file): a full build (`kcna-dataset build
--json` in a subprocess, with an empty record cache: wall time, CPU per article, per-stage
seconds, peak RSS of all its processes); an incremental rebuild after adding --added articles
(new files); then, up to --peers-up-to articles, `kcna-dataset verify`
against `frictionless validate` on the same release, our dedup stage (sketches included,
one process) against datasketch MinHash + MinHashLSH signatures and index alone, on the same
validated articles, and the whole build (no record cache) against that same datasketch run,
then --rounds more pairs, each a build without cache and a datasketch run one after the other
(the median ratio and its range: this VM's speed drifts by 20-30% within minutes).

The corpus is generated into a temporary folder (deleted afterwards unless --keep): statements
assembled from real sentences of raw/ (so distinct statements are not near-copies of each
other), as long as real articles drawn at random (the length distribution of raw/: 300 words,
1.8 kB on average), 30% of them with 1-2 cross-source copies made
by bench.dedup_corpus's transformations. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from statistics import median
from typing import TYPE_CHECKING, Any

from bench.dedup_corpus import base_articles, copy_for

if TYPE_CHECKING:
    from kcna_dataset.records import Article

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")
_SOURCES = {
    "kcna-kp": "http://www.kcna.kp/en/article/q/",
    "rodong": "http://rodong.rep.kp/en/",
    "mfa": "http://www.mfa.gov.kp/en/",
    "kcna-jp": "http://www.kcna.co.jp/item/",
}
RECORDS_PER_FILE = 1_000  # records per JSONL file: about a month of one outlet


def _copies(n_articles: int, seed: int) -> Iterator[list[tuple[str, Any]]]:
    """Statements, each as its copies [(outlet slug, Article)], until n_articles copies."""
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
    lengths = sorted(len(a.body.split()) for a in real)
    vocabulary = sorted({w for a in real for w in a.body.split() if w.isalpha() and w.islower()})
    start = date(2014, 1, 1)
    written = i = 0
    while written < n_articles:
        # real sentences, a quarter of their words replaced (at a million articles each
        # sentence of raw/ is drawn hundreds of times, and real statements do not share
        # sentences that often), as many words as a real article drawn at random, less half a
        # sentence: the last sentence overshoots by that much on average
        target = rng.choice(lengths) - 12
        picked: list[str] = []
        n_words = 0
        while n_words < target:
            sentence = " ".join(
                rng.choice(vocabulary) if w.islower() and rng.random() < 0.25 else w
                for w in rng.choice(sentences).split()
            )
            picked.append(sentence)
            n_words += sentence.count(" ") + 1
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
        out = []
        for n, a in enumerate(copies):
            source = "kcna-kp" if n == 0 else rng.choice(["rodong", "mfa", "kcna-jp"])
            out.append((source, a))
        yield out
        written += len(out)
        i += 1


def _kcna_text(source: str, a: Any) -> str:
    """The body as the outlet writes it: KCNA's dateline and end mark on kcna.kp copies."""
    if source != "kcna-kp":
        return str(a.body)
    return f"Pyongyang, {a.published_date:%B} {a.published_date.day} (KCNA) -- {a.body} -0-"


def generate(n_articles: int, folder: Path, seed: int = 0, prefix: str = "records") -> int:
    """Write about n_articles scraper records as JSONL files under folder; returns the count."""
    written = 0
    handle = None
    for i, copies in enumerate(_copies(n_articles, seed)):
        for n, (source, a) in enumerate(copies):
            if written % RECORDS_PER_FILE == 0:
                if handle:
                    handle.close()
                handle = (folder / f"{prefix}-{written // RECORDS_PER_FILE:05d}.jsonl").open("w")
            assert handle is not None
            record = {
                "headline": a.title,
                "date": a.published_date.isoformat(),
                "link": f"{_SOURCES[source]}{prefix}-{i}-{n}",
                "topic": "Generated",
                "story_text": _kcna_text(source, a),
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
    if handle:
        handle.close()
    return written


_LABELS = {
    "kcna-kp": "KCNA.kp (En)",
    "rodong": "Rodong Sinmun (En)",
    "mfa": "Ministry of Foreign Affairs (EN)",
    "kcna-jp": "KCNA.co.jp (En)",
}


def _listing(d: date) -> str:
    """KCNA Watch's first line: the listing date written twice, `May 13, 2025May 13, 2025`."""
    return f"{d:%B} {d.day:02d}, {d.year}{d:%b} {d.day}, {d.year}"


def page_text(source: str, a: Any, listed: date, others: list[str]) -> str:
    """One KCNA Watch page in the seeds' layout (raw/kcnawatch/): listing date, `KCNA <label>`,
    title, the `Date:` line, the paragraphs, then the `More From` block of other headlines."""
    label = _LABELS[source]
    parts = [
        f"{_listing(listed)}\nKCNA {label}",
        a.title,
        f"Date: {a.published_date:%d/%m/%Y} | Source: {label} | Read original version at source",
        *_kcna_text(source, a).split("\n"),
        f"More From {label}",
    ]
    for k, headline in enumerate(others):
        teaser = f"{headline} was reported on the day, according to the outlet"
        when = listed - timedelta(days=k + 1)
        parts += [headline, headline, teaser, f"{when:%B} {when.day:02d}, {when.year}", teaser]
    parts.append("More Articles")
    return "\n\n".join(parts) + "\n"


def generate_pages(n_articles: int, folder: Path, seed: int = 0, prefix: str = "page") -> int:
    """Write about n_articles KCNA Watch pages, one file each, under folder/<year>/<outlet>/
    (as a scrape of the site is kept); returns the count. The statements and their copies are
    those `generate` writes for the same seed; each page carries a navigation block of three
    other headlines, as real pages do."""
    rng = random.Random(seed + 7)
    recent: list[str] = []
    written = 0
    for i, copies in enumerate(_copies(n_articles, seed)):
        for n, (source, a) in enumerate(copies):
            listed = a.published_date + timedelta(days=rng.choice((0, 0, 0, 1, 2)))
            where = folder / str(a.published_date.year) / source
            where.mkdir(parents=True, exist_ok=True)
            others = recent[-3:] if len(recent) >= 3 else ["Other Headline"] * 3
            (where / f"{prefix}-{i}-{n}.txt").write_text(
                page_text(source, a, listed, others), encoding="utf-8"
            )
            written += 1
        recent.append(copies[0][1].title)
    return written


def _tree_rss_kb(pid: int, proportional: bool = False) -> tuple[int, int, int]:
    """(resident kB, anonymous resident kB, proportional anonymous kB) of a process and its
    descendants (the pool's workers). Resident counts the spool's mapped pages the process
    touched last (page cache the kernel can take back); anonymous is the memory the processes
    themselves hold, but a page a forked worker still shares with its parent counts in both;
    proportional (Pss_Anon, read when asked: the kernel walks the page tables) counts a shared
    page once in all, so the sum over the processes is the memory they take from the machine."""
    total = anon = pss = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                elif line.startswith("RssAnon:"):
                    anon += int(line.split()[1])
            if proportional:
                for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss_Anon:"):
                        pss += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total, anon, pss


def run(command: list[str]) -> tuple[float, str, float, float]:
    """(wall seconds, stdout, peak MB and peak anonymous MB of the process tree, sampled every
    50 ms). The CPU seconds of the process tree are added to CPU_SECONDS[0]."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as p:
        peak = peak_anon = peak_pss = 0
        sampler_done = threading.Event()

        def sample() -> None:
            nonlocal peak, peak_anon, peak_pss
            n = 0
            while not sampler_done.wait(0.05):
                total, anon, pss = _tree_rss_kb(p.pid, proportional=n % 5 == 0)
                peak, peak_anon, peak_pss = (
                    max(peak, total),
                    max(peak_anon, anon),
                    max(peak_pss, pss),
                )
                n += 1

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        out, err = p.communicate()
        sampler_done.set()
        sampler.join()
    if p.returncode not in (0, 1):
        raise RuntimeError(f"{command} failed: {err[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU_SECONDS[0] = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    PSS_ANON_MB[0] = peak_pss / 1024
    return time.perf_counter() - started, out, peak / 1024, peak_anon / 1024


CPU_SECONDS = [0.0]  # of the last run(): user + system, its processes and their workers
PSS_ANON_MB = [0.0]  # of the last run(): peak proportional anonymous memory (every 250 ms)


def run_build(command: list[str]) -> tuple[float, dict[str, Any], float, float, str]:
    """`kcna-dataset build --json`: (wall seconds, summary, peak MB, peak anonymous MB,
    "stage s, ..." line)."""
    seconds, out, peak_mb, anon_mb = run(command)
    summary = json.loads(out)
    stages = ", ".join(f"{k} {v:.1f}" for k, v in summary["seconds"].items() if k != "total")
    if dedup := summary.get("dedup_seconds"):  # the dedup stage's own stages
        stages += " (" + ", ".join(f"{k} {v:.1f}" for k, v in dedup.items()) + ")"
    return seconds, summary, peak_mb, anon_mb, stages


def peer_articles(raw: Path) -> list[Article]:
    """The validated articles of `raw` as Article objects, as datasketch reads them."""
    from kcna_dataset.validate import validate_paths

    return list(validate_paths([raw]).articles)


def dedup_peers(articles: list[Article]) -> tuple[float, float]:
    """(our dedup stage s, datasketch signatures + index s), in this process."""
    from bench.dedup_bench import ours

    _, ours_s = ours(articles)
    return ours_s, datasketch_seconds(articles)


def datasketch_seconds(articles: list[Article]) -> float:
    from bench.dedup_bench import datasketch_lsh

    _, ds_s, _ = datasketch_lsh(articles, 0.5)  # the threshold dedup_bench compares first
    return ds_s


GENERATORS = {"jsonl": generate, "pages": generate_pages}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--formats",
        nargs="+",
        choices=sorted(GENERATORS),
        default=["pages", "jsonl"],
        help="pages: one KCNA Watch page per file (year/outlet folders); jsonl: 1,000 records "
        "per file",
    )
    parser.add_argument("--jobs", type=int, default=None, help="build --jobs (default: cores)")
    parser.add_argument(
        "--added", type=int, default=1_000, help="articles added, incremental rebuild (0: none)"
    )
    parser.add_argument(
        "--peers-up-to", type=int, default=100_000, help="largest size the peers run at"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="after the runs above, a build without cache and datasketch in turns, this many "
        "times (the ratio's median and range; 0: none)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated folders")
    args = parser.parse_args(argv)
    exe = str(Path(sys.executable).parent)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"jobs {args.jobs or 'default'}",
        flush=True,
    )
    for size in sorted(args.sizes):
        for fmt in args.formats:
            scale_one(exe, fmt, size, args)


def scale_one(exe: str, fmt: str, size: int, args: argparse.Namespace) -> None:
    """One corpus of `size` articles in format `fmt`: the full build, the incremental rebuild,
    and the peers on the same input."""
    work = Path(tempfile.mkdtemp(prefix=f"kcna-scale-{fmt}-{size}-"))
    generator = GENERATORS[fmt]
    try:
        raw = work / "raw"
        raw.mkdir()
        n = generator(size, raw)
        build = [
            f"{exe}/kcna-dataset",
            "build",
            "--raw",
            str(raw),
            "--out",
            str(work / "dist"),
            "--cache",
            str(work / "cache"),
            "--json",
        ] + (["--jobs", str(args.jobs)] if args.jobs else [])
        seconds, summary, peak_mb, anon_mb, stages = run_build(build)
        cpu = CPU_SECONDS[0]
        print(
            f"{fmt:<5} full build    {n:>9,} articles: {seconds:7.1f} s, "
            f"{n / seconds:6,.0f} articles/s, CPU {cpu * 1000 / n:.2f} ms/article, peak "
            f"{peak_mb:6,.0f} MB, anonymous {anon_mb:6,.0f} MB, proportional anonymous "
            f"{PSS_ANON_MB[0]:6,.0f} MB "
            f"({anon_mb * 1024 / n:.1f} kB/article); {stages}; "
            f"{summary['statements']:,} statements; jobs {summary['work']['jobs']}",
            flush=True,
        )
        if args.added:
            added = generator(args.added, raw, seed=size + 1, prefix="added")
            inc_s, inc, inc_mb, inc_anon_mb, stages = run_build(build)
            print(
                f"{fmt:<5} incremental   +{added:,} articles: {inc_s:7.1f} s = "
                f"{inc_s / seconds:.1%} of the full build, peak {inc_mb:,.0f} MB, "
                f"anonymous {inc_anon_mb:,.0f} MB; {stages}; "
                "record cache "
                f"{inc['work']['cache_hits']} of {inc['work']['processed']} files",
                flush=True,
            )
        if size > args.peers_up_to:
            return
        # the same input without the rebuild's added articles, built again with no cache
        for added_file in [*raw.rglob("added*")]:
            added_file.unlink()
        shutil.rmtree(work / "dist")
        no_cache = [*build[:6], "--no-cache", *build[8:]]
        fresh_s, _, _, _, stages = run_build(no_cache)
        release = work / "dist" / "1.0.0"
        verify_s, _, _, _ = run([f"{exe}/kcna-dataset", "verify", str(release)])
        fl_s, _, _, _ = run(
            [f"{exe}/frictionless", "validate", "--json", str(release / "datapackage.json")]
        )
        print(
            f"{fmt:<5} verify        {verify_s:7.1f} s, frictionless validate {fl_s:7.1f} s: "
            f"{fl_s / verify_s:.1f}x",
            flush=True,
        )
        articles = peer_articles(raw)
        m = len(articles)
        ours_s, ds_s = dedup_peers(articles)
        print(
            f"{fmt:<5} dedup stage   {m:,} articles: ours {ours_s:.1f} s (sketches included, "
            f"one process), datasketch signatures + index {ds_s:.1f} s: {ds_s / ours_s:.2f}x",
            flush=True,
        )
        # the whole build against datasketch in turns, each ratio from two runs made one
        # after the other: this VM's speed drifts by 20-30% within minutes, and a build and a
        # peer run minutes apart (as above) gave ratios from 0.52 to 0.57 on the same code
        pairs: list[tuple[float, float]] = []
        for _ in range(args.rounds):
            shutil.rmtree(work / "dist")
            pairs.append((run_build(no_cache)[0], datasketch_seconds(articles)))
        ratios = sorted(b / d for b, d in pairs)
        print(
            f"{fmt:<5} build vs peer {m:,} articles: full build without cache "
            f"{fresh_s:.1f} s ({stages}) = {fresh_s / ds_s:.2f}x datasketch signatures + "
            "index alone",
            flush=True,
        )
        if pairs:
            print(
                f"{fmt:<5} build vs peer {m:,} articles, {len(pairs)} rounds in turns: build "
                + "/".join(f"{b:.1f}" for b, _ in pairs)
                + " s, datasketch "
                + "/".join(f"{d:.1f}" for _, d in pairs)
                + f" s: median {median(ratios):.2f}x "
                f"(from {ratios[0]:.2f}x to {ratios[-1]:.2f}x)",
                flush=True,
            )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
