"""Two builds of kcna-dataset on one corpus, interleaved: which commit is faster on this VM.

    python -m bench.ab_bench --size 200000 --rounds 2 A=/path/to/venv-a/bin/kcna-dataset \\
        B=.venv/bin/kcna-dataset

This VM's speed moves by 20-30% over minutes, so two commits measured minutes apart rank only
roughly; run alternately on the same input, they meet the same weather. The corpus is generated
once (bench.scale_bench.generate) into a temporary folder and hard-linked into a second folder
with one more generated file of --added articles. Per round and executable: a cold build (empty
record cache), then the rebuild on the second folder with the cache; wall and CPU seconds (the
build's process tree: user + system), the build's own stage seconds, and whether the releases of
the executables are byte-identical. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

from bench.scale_bench import generate


def timed_build(exe: str, raw: Path, work: Path) -> tuple[float, float, dict[str, Any]]:
    """(wall s, CPU s of the build's processes, its --json summary)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    command = [exe, "build", "--raw", str(raw), "--out", str(work / "dist")]
    done = subprocess.run(
        [*command, "--cache", str(work / "cache"), "--json"], capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{exe} failed: {done.stderr[-2000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, json.loads(done.stdout)


def same_tree(a: Path, b: Path) -> bool:
    """The same files with the same bytes, the build lock left out (it holds a process id)."""

    def files(root: Path) -> list[Path]:
        found = (p.relative_to(root) for p in root.rglob("*") if p.is_file())
        return sorted(p for p in found if p.parts[0] != ".build.lock")

    files_a, files_b = files(a), files(b)
    return files_a == files_b and all(filecmp.cmp(a / f, b / f, shallow=False) for f in files_a)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("builds", nargs=2, help="NAME=path of a kcna-dataset executable")
    parser.add_argument("--size", type=int, default=200_000, help="articles generated")
    parser.add_argument("--added", type=int, default=1_000, help="articles added for the rebuild")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    builds = dict(b.split("=", 1) for b in args.builds)
    work = Path(tempfile.mkdtemp(prefix="kcna-ab-"))
    try:
        raw, plus = work / "raw", work / "raw-plus"
        raw.mkdir()
        generate(args.size, raw)
        shutil.copytree(raw, plus, copy_function=os.link)
        generate(args.added, plus, seed=args.size + 1, prefix="added")
        print(
            "| round | build | full s | CPU s | stages | incremental s | CPU s | stages | "
            "incremental / full |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
            flush=True,
        )
        seconds: dict[str, list[dict[str, float]]] = {}
        stage_names = ("dedup", "read+parse+validate", "compare+publish", "total")
        for n in range(args.rounds):
            for name, exe in builds.items():
                folder = work / name
                shutil.rmtree(folder, ignore_errors=True)
                full_s, full_cpu, full = timed_build(exe, raw, folder)
                seconds.setdefault(name, []).append(full["seconds"])
                inc_s, inc_cpu, inc = timed_build(exe, plus, folder)

                def stages(summary: dict[str, Any]) -> str:
                    seconds = summary["seconds"].items()
                    return ", ".join(f"{k} {v:.1f}" for k, v in seconds if k != "total")

                print(
                    f"| {n} | {name} | {full_s:.1f} | {full_cpu:.1f} | {stages(full)} | "
                    f"{inc_s:.1f} | {inc_cpu:.1f} | {stages(inc)} | {inc_s / full_s:.1%} |",
                    flush=True,
                )
        first, *others = builds
        for other in others:
            # each stage's seconds, the other build over the first, round by round: the VM's
            # speed drifts between rounds, less within one
            for stage in stage_names:
                ratios = sorted(
                    seconds[other][n][stage] / seconds[first][n][stage]
                    for n in range(args.rounds)
                    if seconds[first][n].get(stage) and stage in seconds[other][n]
                )
                if ratios:
                    shown = ", ".join(f"{r:.2f}" for r in ratios)
                    print(
                        f"{stage} (full build) {other} / {first}: {shown} "
                        f"(median {median(ratios):.2f})"
                    )
            same = same_tree(work / first / "dist", work / other / "dist")
            print(f"releases of {first} and {other} byte-identical: {same}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
