"""How fast the CLI starts: `--help`, and `validate` of one KCNA Watch page (a pre-commit hook).

    python -m bench.startup_bench --runs 11

Each command runs --runs times, alternating with its peer so both meet the same machine; the
median wall seconds are printed with the ratio to the peer: `python -c pass` (the floor any
Python CLI pays), and frictionless's own CLI (`frictionless --help`, `frictionless validate` of
the same article as a one-row CSV against its declared Table Schema). Uses the executables next
to the running interpreter. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PAGE = REPO / "raw" / "kcnawatch" / "001_44d148d78e3fb80b.txt"


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{command} failed: {done.stderr.decode()[-2000:]}")
    return seconds


def one_row_csv(folder: Path) -> tuple[Path, Path]:
    """The page's article as a one-row CSV with a Table Schema of its columns (frictionless)."""
    import json

    from kcna_dataset.records import RawFile
    from kcna_dataset.stages.parse import parse_file
    from kcna_dataset.stages.read import discover, read_file

    raw = read_file(discover([PAGE])[0])
    assert isinstance(raw, RawFile)
    draft = parse_file(raw)[0].draft
    assert draft is not None
    row = {"title": draft.title, "published_date": str(draft.published_date), "body": draft.body}
    data = folder / "article.csv"
    with data.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    schema = folder / "article.schema.json"
    fields = [
        {"name": "title", "type": "string", "constraints": {"required": True}},
        {"name": "published_date", "type": "date", "constraints": {"minimum": "1946-12-05"}},
        {"name": "body", "type": "string", "constraints": {"required": True, "minLength": 1}},
    ]
    schema.write_text(json.dumps({"fields": fields}), encoding="utf-8")
    return data, schema


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args(argv)
    ours = str(BIN / "kcna-dataset")
    peer = str(BIN / "frictionless")
    with tempfile.TemporaryDirectory() as tmp:
        data, schema = one_row_csv(Path(tmp))
        pairs = {
            "--help": ([ours, "--help"], [peer, "--help"]),
            "validate one page": (
                [ours, "validate", str(PAGE)],
                [peer, "validate", str(data), "--schema", str(schema)],
            ),
            "python -c pass": ([sys.executable, "-c", "pass"], [sys.executable, "-c", "pass"]),
        }
        print(f"median wall seconds of {args.runs} runs (kcna-dataset vs frictionless)")
        for name, (a, b) in pairs.items():
            times_a, times_b = [], []
            for _ in range(args.runs):
                times_a.append(wall(a))
                times_b.append(wall(b))
            ma, mb = median(times_a), median(times_b)
            print(
                f"{name:<20} kcna-dataset {ma:6.3f} s   frictionless {mb:6.3f} s   {ma / mb:5.2f}x"
            )


if __name__ == "__main__":
    main()
