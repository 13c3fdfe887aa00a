"""The dataset card (README.md inside each release), with Hugging Face YAML metadata."""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Iterable
from typing import Any

import pyarrow as arrow

from kcna_dataset.declarations import TABLES, input_credits, table_schema
from kcna_dataset.records import file_of
from kcna_dataset.release.charts import CHARTS, FOLDER

_SIZES = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
)


def size_category(rows: int) -> str:
    return next((label for limit, label in _SIZES if rows < limit), "n>10M")


def _structure(table: str, rows: int) -> list[str]:
    schema = table_schema(table)
    lines = [
        f"### `{table}` ({rows:,} rows)",
        "",
        schema.get("description", ""),
        "",
        *(
            [
                "Empty in this release, so it has no `datasets` config (`load_dataset` cannot "
                "load a split without rows, huggingface/datasets#8401); "
                f'`datasets.Dataset(pyarrow.parquet.read_table("data/{table}.parquet"))` '
                "gives it as a `Dataset` with its columns and no rows, and pandas, polars, "
                "DuckDB and pyarrow read the file as an empty table.",
                "",
            ]
            if rows == 0
            else []
        ),
        "| field | type | required | description |",
        "| --- | --- | --- | --- |",
    ]
    for f in schema["fields"]:
        required = "yes" if f.get("constraints", {}).get("required") else ""
        description = f.get("description", "").replace("|", "\\|")
        lines.append(f"| `{f['name']}` | {f['type']} | {required} | {description} |")
    return [*lines, ""]


_LICENCE_HEAD = """# Data licence

The code of kcna-dataset is under the MIT licence (`LICENSE`). The releases it builds, and the
files under `raw/`, are data, licensed as follows.

- **The compilation** (the tables, their ids, the matching of copies into statements, the
  metadata) is dedicated to the public domain under **CC0 1.0 Universal**
  (https://creativecommons.org/publicdomain/zero/1.0/): to the extent possible under law, the
  kcna-dataset contributors waive all copyright and related rights in it.
- **The texts** are publications of DPRK state media (KCNA and the outlets that carry its
  statements). kcna-dataset makes no claim on them; their reuse is a matter for the reuser's
  jurisdiction.
"""
# the repository's own test data, credited in LICENSE-DATA.md (never in a release)
_FIXTURE_CREDIT = (
    "`tests/fixtures/`: `corpus/` is a frozen copy of `raw/` (credited above), and "
    "`archive-excerpt.json` three records of the daily archive snapshots of "
    "stiles/north-korea-news (CC0)."
)


def data_licence(raw_paths: Iterable[str] | None = None) -> str:
    """The licence a release carries as LICENSE.md: the compilation's and the texts' terms,
    and a credit (schemas/dataset.json `credits`) for each folder its articles were read
    from. Without `raw_paths`: the repository's LICENSE-DATA.md, every credit and the test
    data's (tests/test_docs.py keeps the file in step)."""
    credits = input_credits()
    if raw_paths is None:
        lines = [f"- `raw/{folder}`: {text}" for folder, text in credits]
        lines.append(f"- {_FIXTURE_CREDIT}")
        tail = (
            "\nEvery release carries the terms above as its `LICENSE.md`, with the credits of"
            " the\ninputs it was built from.\n"
        )
    else:
        folders = {folder for folder, _ in credits}
        present = {f for p in raw_paths for f in folders if p.startswith(f)}
        lines = [f"- `{folder}`: {text}" for folder, text in credits if folder in present]
        tail = ""
    fill = textwrap.TextWrapper(96, subsequent_indent="  ", break_on_hyphens=False).fill
    body = "\n".join(fill(line) for line in lines)
    return _LICENCE_HEAD + (body + "\n" if body else "") + tail


# what each kind of input file is, for the card (by the file's suffix)
INPUT_KINDS = {
    ".txt": "KCNA Watch article pages (one file per article: listing date, source label, "
    "`Date:` field, text)",
    ".jsonl": "scraper records, JSON Lines",
    ".json": "scraper archive snapshots, JSON arrays of records",
    ".csv": "scraper records, CSV",
}


def _inputs(articles: arrow.Table) -> list[str]:
    """What this release was built from: each kind of input file present, with its copies."""
    kinds: Counter[str] = Counter()
    for raw_path in articles.column("raw_path").to_pylist():
        name = file_of(raw_path)
        kinds[name[name.rfind(".") :].lower() if "." in name else ""] += 1
    lines = []
    for kind, n in sorted(kinds.items(), key=lambda x: -x[1]):
        what = INPUT_KINDS.get(kind, f"{kind or 'extensionless'} files")
        lines.append(f"- {n:,} copies from {what}.")
    return lines


def _outlets(sources: arrow.Table, copies: Counter[str]) -> list[str]:
    """The outlets present in this release, from the registry's rows."""
    rows = {r["source"]: r for r in sources.to_pylist()}
    lines = ["| outlet | site | language | copies |", "| --- | --- | --- | --- |"]
    for slug, n in sorted(copies.items(), key=lambda x: (-x[1], x[0])):
        r = rows.get(slug, {})
        label, site, language = r.get("label", slug), r.get("site", ""), r.get("language", "")
        lines.append(f"| {label} | {site} | {language} | {n:,} |")
    return lines


def _languages(sources: arrow.Table, copies: Counter[str]) -> list[str]:
    present = {r["language"] for r in sources.to_pylist() if r["source"] in copies}
    return sorted(present) or ["en"]


def _configs(tables: dict[str, arrow.Table]) -> list[str]:
    """The card's `configs` (Hugging Face `datasets` loads a release by them): every table with
    rows. `datasets` cannot load a split with no rows (huggingface/datasets#8401, open): an
    empty table is left out and the card says how to read it instead."""
    lines = []
    for table in TABLES:
        if tables[table].num_rows:
            lines += [f"- config_name: {table}", f"  data_files: data/{table}.parquet"]
            if table == "statements":
                lines.append("  default: true")
    return lines


def dataset_card(
    version: str, tables: dict[str, arrow.Table], metadata: dict[str, Any], stats: dict[str, Any]
) -> str:
    statements, articles = tables["statements"], tables["articles"]
    dates = statements.column("published_date").to_pylist()
    by_source = Counter(articles.column("source").to_pylist())
    dedup = metadata["kcna:dedup"]
    front = [
        "---",
        'pretty_name: "KCNA statements (kcna-dataset)"',
        "license: cc0-1.0",
        "language:",
        *[f"- {x}" for x in _languages(tables["sources"], by_source)],
        "size_categories:",
        f"- {size_category(statements.num_rows)}",
        "tags:",
        *[
            f"- {t}"
            for t in ("north-korea", "dprk", "kcna", "state-media", "news", "deduplication")
        ],
        "configs:",
        *_configs(tables),
        "---",
    ]
    body = [
        f"# KCNA statements {version}",
        "",
        "## Description",
        "",
        "Statements of North Korean state media as the outlets that carry them published them: "
        f"{statements.num_rows:,} statements ({min(dates)} to {max(dates)}) from "
        f"{articles.num_rows:,} copies. `statements` has each statement once, with the text of "
        "its canonical copy; `articles` has every copy, each with the statement it carries and "
        "how it was matched; `sources` is the outlet registry; `rejections` lists input records "
        "kept out. Built by kcna-dataset " + metadata["kcna:build"]["tool_version"] + " with "
        f"pyarrow {metadata['kcna:build']['pyarrow_version']}.",
        "",
        "## Sources and collection",
        "",
        *_inputs(articles),
        "",
        *_outlets(tables["sources"], by_source),
        "",
        "Parsing moved kcna.kp conventions into their own fields (dateline, ` -0-` end mark, "
        "`www.kcna.kp (Juche…)` stamp), dropped page navigation, and cleaned titles.",
        "",
        "## Overview",
        "",
        *[x for name, alt in CHARTS.items() for x in (f"![{alt}]({FOLDER}/{name})", "")],
        "## Structure",
        "",
        "Parquet (zstd, sorted by `published_date` then id) and CSV (UTF-8, RFC 4180) hold the "
        "same rows; `datapackage.json` declares every table (Frictionless Data Package v2) and "
        "`SHA256SUMS` covers every file.",
        "",
        "The CSV files keep every text exactly as published, so a title or body that begins "
        "with `=`, `+`, `-` or `@` is written as it is, and a spreadsheet program that opens "
        "the file directly may run it as a formula. Open a CSV file through the spreadsheet's "
        "import (Excel: Data > From Text/CSV; LibreOffice and Google Sheets: File > Import) "
        "with every column as text, or read the Parquet files.",
        "",
    ]
    for table in TABLES:
        body += _structure(table, tables[table].num_rows)
    body += [
        "## Deduplication",
        "",
        "Copies equal after folding case, quotes, spacing and Unicode forms are grouped; "
        "near-duplicates and truncated reprints are found with MinHash LSH and every candidate "
        "pair is verified on the texts (similarity, a date window, and the numbers, dates and "
        "names that template messages differ in); clustering does not chain. Statement ids are "
        "kept across releases. Settings used for this release:",
        "",
        "| setting | value |",
        "| --- | --- |",
        *[f"| `{k}` | {v} |" for k, v in dedup.items()],
        "",
        f"Candidate pairs verified: {stats['dedup']['candidate_pairs']:,}; outcomes: "
        + ", ".join(f"{k} {v:,}" for k, v in stats["dedup"]["verdicts"].items())
        + ".",
        "",
        "## Known limitations",
        "",
        "- The outlets edit and delete their archives (kcna.kp deleted about 35,000 older "
        "articles in December 2013 and altered others); a release records what was collected, "
        "not a final text.",
        "- Leader names glued to neighbouring words by kcna.kp's markup are repaired in the "
        "body (`ComradeKim Jong Unreceived` -> `Comrade Kim Jong Un received`); other markup "
        "losses are not.",
        f"- Coverage is that of the collected raw files ({min(dates)} to {max(dates)}, outlets "
        "listed above), not of everything published.",
        "- Deduplication cannot separate two very short items that differ in one word and no "
        "number or name; see the deduplication notes of kcna-dataset.",
        "",
        "## Citation",
        "",
        "```bibtex",
        "@dataset{kcna_dataset,",
        f"  title = {{{metadata['title']}}},",
        f"  version = {{{version}}},",
        f"  year = {{{metadata['created'][:4]}}},",
        *([f"  url = {{{metadata['homepage']}}},"] if "homepage" in metadata else []),
        f"  note = {{Built with kcna-dataset {metadata['kcna:build']['tool_version']}; "
        f"outlets: {', '.join(sorted(by_source))}}}",
        "}",
        "```",
        "",
        "## Licence",
        "",
        "The compilation (tables, ids, matching) is released under CC0 1.0. The texts are "
        "publications of DPRK state media.",
        "",
    ]
    return "\n".join(front + body)
