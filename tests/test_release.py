"""The published release: layout, data package, checksums, Parquet = CSV, reconciled counts."""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
import shutil
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as parquet
import pytest
from frictionless import Package
from helpers import RAW, TODAY, page, write

import kcna_dataset.release.publish as publish
from kcna_dataset import __version__
from kcna_dataset.build import BuildResult, build, check_release_tables
from kcna_dataset.config import DedupConfig
from kcna_dataset.declarations import TABLES
from kcna_dataset.exceptions import BuildError, InvalidInputError, UsageError
from kcna_dataset.release.verify import read_csv_table
from kcna_dataset.schema import arrow_schema

FILES = [
    "CHANGELOG.md",
    "LICENSE.md",
    "README.md",
    "SHA256SUMS",
    "changes.json",
    "charts/articles-per-month.svg",
    "charts/copies-per-statement.svg",
    "charts/match-kinds.svg",
    "data/articles.csv",
    "data/articles.parquet",
    "data/rejections.csv",
    "data/rejections.parquet",
    "data/sources.csv",
    "data/sources.parquet",
    "data/statements.csv",
    "data/statements.parquet",
    "datapackage.json",
    "stats.json",
]


def files_of(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_layout(shipped_release: BuildResult) -> None:
    assert shipped_release.published.name == "1.0.0"
    assert files_of(shipped_release.published) == FILES
    # the build lock's file stays (an flock, see publish.build_lock)
    assert sorted(p.name for p in shipped_release.published.parent.iterdir()) == [
        ".build.lock",
        "1.0.0",
        "latest",
    ]
    assert (shipped_release.published.parent / "latest").read_text() == "1.0.0\n"


def test_frictionless_accepts_the_release_as_it_is(shipped_release: BuildResult) -> None:
    package = Package(str(shipped_release.published / "datapackage.json"))
    report = package.validate()
    assert report.valid, report.flatten(["type", "note"])[:5]
    rows = {task.name: task.stats.get("rows") for task in report.tasks}
    assert rows == {
        "statements": 433,
        "statements-csv": 433,
        "articles": 688,
        "articles-csv": 688,
        "sources": 15,
        "sources-csv": 15,
        "rejections": None,
        "rejections-csv": None,
    }


@pytest.mark.parametrize("table", TABLES)
def test_parquet_and_csv_hold_the_same_rows(shipped_release: BuildResult, table: str) -> None:
    data = shipped_release.published / "data"
    from_parquet = parquet.read_table(data / f"{table}.parquet")
    from_csv = read_csv_table(data / f"{table}.csv", table)
    assert from_parquet.schema == arrow_schema(table)
    assert from_csv.cast(arrow_schema(table)).to_pylist() == from_parquet.to_pylist()


def test_csv_is_rfc4180_with_bodies_intact(shipped_release: BuildResult) -> None:
    raw = (shipped_release.published / "data" / "statements.csv").read_bytes()
    assert raw.startswith(b'"statement_id","title","published_date","dateline","body",')
    assert raw.endswith(b"\r\n")
    assert not raw.startswith(b"\xef\xbb\xbf")
    body = (
        parquet.read_table(
            shipped_release.published / "data" / "statements.parquet", columns=["body"]
        )
        .column("body")[0]
        .as_py()
    )
    assert "\n" in body
    assert body.replace('"', '""').encode() in raw


def test_counts_reconcile(shipped_release: BuildResult) -> None:
    s = shipped_release.summary
    assert (s["records"], s["articles"], s["rejected"], s["statements"]) == (688, 688, 0, 433)
    assert s["records"] == s["articles"] + s["rejected"]
    assert s["duplicates_merged"] == 255
    assert s["merged_by_match"] == {"exact": 251, "revised": 4}
    statements = parquet.read_table(shipped_release.published / "data" / "statements.parquet")
    assert sum(statements.column("article_count").to_pylist()) == s["articles"]
    assert s["by_source"] == {
        "kcna-kp": {"articles": 686, "canonical": 431},
        "mfa": {"articles": 2, "canonical": 2},
    }
    stats = json.loads((shipped_release.published / "stats.json").read_text())
    assert stats["ignored_files"] == [{"path": "README.md", "reason": "documentation"}]
    assert stats["stages"] == [
        {"stage": "read", "total": 6, "kept": 5, "dropped": {"ignored (documentation)": 1}},
        {"stage": "parse", "total": 688, "kept": 688, "dropped": {}},
        {"stage": "validate", "total": 688, "kept": 688, "dropped": {}},
        {
            "stage": "dedup",
            "total": 688,
            "kept": 433,
            "dropped": {"merged (exact)": 251, "merged (revised)": 4},
        },
    ]


def test_rows_sorted_by_date_then_id(shipped_release: BuildResult) -> None:
    for table, key in (("articles", "article_id"), ("statements", "statement_id")):
        rows = parquet.read_table(
            shipped_release.published / "data" / f"{table}.parquet", columns=["published_date", key]
        ).to_pylist()
        assert rows == sorted(rows, key=lambda r: (r["published_date"], r[key]))


def test_parquet_settings(shipped_release: BuildResult) -> None:
    meta = parquet.ParquetFile(shipped_release.published / "data" / "articles.parquet").metadata
    column = meta.row_group(0).column(0)
    assert column.compression == "ZSTD"
    assert column.statistics.has_min_max
    assert column.has_offset_index and column.has_column_index  # page index written
    assert meta.metadata is None  # no pandas/arrow blobs with versions inside


def test_sha256sums_cover_every_file(shipped_release: BuildResult) -> None:
    release = shipped_release.published
    lines = (release / "SHA256SUMS").read_text().splitlines()
    listed = {line.split("  ")[1]: line.split("  ")[0] for line in lines}
    assert sorted(listed) == [f for f in FILES if f != "SHA256SUMS"]
    for name, digest in listed.items():
        assert hashlib.sha256((release / name).read_bytes()).hexdigest() == digest


def test_datapackage_metadata(shipped_release: BuildResult) -> None:
    release = shipped_release.published
    dp = json.loads((release / "datapackage.json").read_text())
    assert dp["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert (dp["name"], dp["version"]) == ("kcna-dataset", "1.0.0")
    assert dp["created"] == "2026-01-25T00:00:00Z"  # the newest input date, not the clock
    assert dp["licenses"][0]["name"] == "CC0-1.0"
    assert dp["kcna:dedup"] == DedupConfig().to_dict()
    assert dp["kcna:dedup"]["window_days"] == 7
    names = [r["name"] for r in dp["resources"]]
    assert names == [
        "statements",
        "statements-csv",
        "articles",
        "articles-csv",
        "sources",
        "sources-csv",
        "rejections",
        "rejections-csv",
    ]
    for r in dp["resources"]:
        path = release / r["path"]
        assert r["hash"] == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        assert ("bytes" in r) == (r["format"] == "csv")
        if r["format"] == "csv":
            assert r["bytes"] == path.stat().st_size
    fks = {r["name"]: r["schema"].get("foreignKeys") for r in dp["resources"]}
    assert [fk["reference"]["resource"] for fk in fks["articles-csv"]] == [
        "statements-csv",
        "sources-csv",
    ]
    assert [fk["reference"]["resource"] for fk in fks["articles"]] == ["statements", "sources"]


def test_source_date_epoch_sets_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    result = build(RAW, tmp_path, today=TODAY)
    dp = json.loads((result.published / "datapackage.json").read_text())
    assert dp["created"] == "2023-11-14T22:13:20Z"


def test_same_input_same_bytes_whatever_the_paths(
    shipped_release: BuildResult, tmp_path: Path
) -> None:
    first = shipped_release.published
    moved = tmp_path / "moved"
    (moved / "z").mkdir(parents=True)
    for p in RAW.rglob("*.txt"):
        shutil.copy(p, moved / "z" / f"renamed-{p.name}")
    shutil.copy(next(RAW.rglob("*.jsonl")), moved / "a.jsonl")
    second = build(moved, tmp_path / "two", today=TODAY).published
    for table in ("statements", "articles"):
        cols = ["article_id", "statement_id"] if table == "articles" else None
        a = parquet.read_table(first / "data" / f"{table}.parquet", columns=cols)
        b = parquet.read_table(second / "data" / f"{table}.parquet", columns=cols)
        assert a.equals(b)
    again = build(RAW, tmp_path / "three", today=TODAY).published
    for name in FILES:
        assert (first / name).read_bytes() == (again / name).read_bytes(), name


def test_existing_release_is_not_overwritten(released: Path) -> None:
    tmp_path = released
    before = (tmp_path / "1.0.0" / "SHA256SUMS").read_bytes()
    with pytest.raises(BuildError, match=r"release 1\.0\.0 already exists"):
        build(RAW, tmp_path, "1.0.0", today=TODAY)
    assert (tmp_path / "1.0.0" / "SHA256SUMS").read_bytes() == before
    replaced = build(RAW, tmp_path, "1.0.0", today=TODAY, force=True)
    assert replaced.release is not None
    assert files_of(replaced.release) == FILES
    assert (tmp_path / "1.0.0" / "SHA256SUMS").read_bytes() == before  # same input, same bytes
    assert sorted(p.name for p in tmp_path.iterdir()) == [".build.lock", "1.0.0", "latest"]


def test_strict_build_publishes_nothing_on_invalid_input(raw_copy: Path, tmp_path: Path) -> None:
    (raw_copy / "kcnawatch" / "bad.txt").write_text(page(date_field="31/02/2024"))
    out = tmp_path / "dist"
    with pytest.raises(InvalidInputError) as e:
        build(raw_copy, out, today=TODAY)
    assert e.value.message == "1 of 689 input records are invalid; nothing was published"
    assert not out.exists() or list(out.iterdir()) == []


def test_skip_invalid_records_rejections_in_the_release(raw_copy: Path, tmp_path: Path) -> None:
    (raw_copy / "kcnawatch" / "bad.txt").write_text(page(date_field="31/02/2024"))
    (raw_copy / "kcna-kp" / "more.jsonl").write_text("{oops\n")
    result = build(raw_copy, tmp_path, today=TODAY, skip_invalid=True)
    s = result.summary
    assert (s["records"], s["articles"], s["rejected"]) == (690, 688, 2)
    rejections = parquet.read_table(result.published / "data" / "rejections.parquet").to_pylist()
    assert [(r["raw_path"], r["line"], r["code"]) for r in rejections] == [
        ("kcna-kp/more.jsonl#L1", 1, "jsonl-malformed"),
        ("kcnawatch/bad.txt", 6, "date-invalid"),
    ]
    assert rejections[1]["message"] == "'31/02/2024' is not a real date (DD/MM/YYYY)"
    assert (
        rejections[1]["raw_sha256"]
        == hashlib.sha256((raw_copy / "kcnawatch" / "bad.txt").read_bytes()).hexdigest()
    )
    assert Package(str(result.published / "datapackage.json")).validate().valid


def test_failed_write_leaves_no_partial_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    real = publish.write_csv

    def failing_write_csv(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:  # fail after the first table is on disk
            raise OSError(28, "No space left on device")
        real(*args, **kwargs)

    monkeypatch.setattr(publish, "write_csv", failing_write_csv)
    with pytest.raises(BuildError, match=r"cannot write release 1\.0\.0 to .*: No space left"):
        build(RAW, tmp_path, today=TODAY)
    assert [p.name for p in tmp_path.iterdir()] == [".build.lock"]


def test_charts_are_asked_for_once_the_tables_are_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The charts are drawn in a worker while this process writes the tables: asked for
    before, the build waited for the drawing and only then wrote (build.py, publish)."""
    real = publish.write_release
    seen: list[list[str]] = []

    def watched(*args: Any, extra_later: Any = None, **kwargs: Any) -> Path:
        def charts() -> dict[str, str]:
            staging = next(tmp_path.glob(".1.0.0.*.partial"))
            seen.append(sorted(p.name for p in (staging / "data").iterdir()))
            return dict(extra_later())

        return real(*args, extra_later=charts, **kwargs)

    monkeypatch.setattr("kcna_dataset.build.write_release", watched)
    result = build(RAW, tmp_path, today=TODAY)
    assert seen == [sorted(f"{t}.{fmt}" for t in TABLES for fmt in ("parquet", "csv"))]
    assert result.published is not None
    sums = (result.published / "SHA256SUMS").read_text(encoding="utf-8")
    charts = sorted(p.name for p in (result.published / "charts").iterdir())
    assert charts == ["articles-per-month.svg", "copies-per-statement.svg", "match-kinds.svg"]
    assert all(f"  charts/{name}\n" in sums for name in charts)


def test_charts_that_cannot_be_drawn_are_said_so_and_nothing_is_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # asked for while the release is written, an OSError of the drawing is not the folder's
    def unwritable(*args: Any) -> dict[str, str]:
        raise PermissionError(13, "Permission denied", "/home/x/.config/matplotlib")

    monkeypatch.setattr("kcna_dataset.build.timeline_chart", unwritable)
    with pytest.raises(BuildError) as raised:
        build(RAW, tmp_path, today=TODAY)
    assert raised.value.message == (
        "cannot draw the release's charts: Permission denied (/home/x/.config/matplotlib)"
    )
    assert [p.name for p in tmp_path.iterdir()] == [".build.lock"]


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "01.0.0", "1.0.0-rc1"])
def test_version_must_be_semver(tmp_path: Path, version: str) -> None:
    with pytest.raises(UsageError, match=r"is not X\.Y\.Z"):
        build(RAW, tmp_path, version, today=TODAY)


def test_progress_reports_each_stage(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    build(RAW, tmp_path, today=TODAY, progress=lambda *call: calls.append(call))
    # validate counts the files it reads (raw/README.md is ignored), dedup the texts it places
    # (688 articles in 437 units of identical text)
    assert calls == [
        *[("validate", n, 5) for n in range(6)],
        # the steps over the whole table after the files, each its own step
        ("identical records", 0, 1),
        ("identical records", 1, 1),
        ("table check", 0, 1),
        ("table check", 1, 1),
        ("release order", 0, 1),
        ("release order", 1, 1),
        ("dedup", 0, 437),
        ("dedup", 437, 437),
        ("publish", 0, 1),
        ("publish", 1, 1),
    ]


def test_dataset_card(shipped_release: BuildResult) -> None:
    card = (shipped_release.published / "README.md").read_text()
    front, _, body = card.removeprefix("---\n").partition("\n---\n")
    assert front.splitlines() == [
        'pretty_name: "KCNA statements (kcna-dataset)"',
        "license: cc0-1.0",
        "language:",
        "- en",
        "size_categories:",
        "- n<1K",
        "tags:",
        "- north-korea",
        "- dprk",
        "- kcna",
        "- state-media",
        "- news",
        "- deduplication",
        "configs:",
        "- config_name: statements",
        "  data_files: data/statements.parquet",
        "  default: true",
        "- config_name: articles",
        "  data_files: data/articles.parquet",
        "- config_name: sources",
        "  data_files: data/sources.parquet",
    ]
    headings = [line for line in body.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Description",
        "## Sources and collection",
        "## Overview",
        "## Structure",
        "## Deduplication",
        "## Known limitations",
        "## Citation",
        "## Licence",
    ]
    for field in ("`statement_id`", "`canonical_article_id`", "`raw_sha256`", "`similarity`"):
        assert field in body
    assert "| `window_days` | 7 |" in body


def test_release_tables_are_checked_before_anything_is_written(
    shipped_release: BuildResult,
) -> None:
    tables = dict(shipped_release.tables)
    check_release_tables(tables)  # as built: passes
    statements = tables["statements"]
    broken = statements.set_column(
        statements.schema.get_field_index("article_count"),
        "article_count",
        pa.array([0] * statements.num_rows, pa.int64()),
    )
    with pytest.raises(BuildError, match="table statements breaks its schema") as e:
        check_release_tables({**tables, "statements": broken})
    assert e.value.hint == "This is a bug in kcna-dataset; please report it with the input."
    articles = tables["articles"]
    index = articles.schema.get_field_index("match")
    bad_match = articles.set_column(
        index, "match", pa.array(["copied"] * articles.num_rows, articles.schema.field(index).type)
    )
    with pytest.raises(BuildError, match="table articles breaks its schema"):
        check_release_tables({**tables, "articles": bad_match})
    # a statement missing for an article's statement_id: the foreign key
    with pytest.raises(BuildError, match=r"articles\.statement_id values missing from statements"):
        check_release_tables({**tables, "statements": statements.slice(1)})


def test_spreadsheet_formulas_stay_exact_text_and_the_card_says_how_to_open_csv(
    tmp_path: Path,
) -> None:
    """A text that begins with `=`, `+`, `-` or `@` is the text as published: kept exactly
    (escaping it would change the data), and the card tells spreadsheet users what to do."""
    raw = tmp_path / "raw"
    title = '=HYPERLINK("http://example.org","Click")'
    body = ["-10 degrees were recorded, the report says.", "@KCNA +3 more lines. -0-"]
    write(raw, "formula.txt", page(title=title, body=body))
    out = tmp_path / "dist"
    build(raw, out, today=TODAY)
    with (out / "1.0.0" / "data" / "articles.csv").open(newline="", encoding="utf-8") as f:
        [row] = list(csv.DictReader(f))
    assert row["title"] == title
    assert row["body"] == "-10 degrees were recorded, the report says.\n@KCNA +3 more lines."
    card = (out / "1.0.0" / "README.md").read_text()
    assert (
        "a spreadsheet program that opens the file directly may run it as a formula. Open a CSV "
        "file through the spreadsheet's import"
    ) in " ".join(card.split())


def test_the_card_shows_its_charts_as_svg_drawn_from_the_tables(
    shipped_release: BuildResult,
) -> None:
    """Three SVG files the card embeds: well-formed SVG whose bars are the tables' counts
    (matplotlib writes one path per bar, labelled by the series), and bytes that do not
    depend on the run (a fixed id salt, no date)."""
    import xml.etree.ElementTree as ElementTree

    from kcna_dataset.release.charts import CHARTS, release_charts

    release = shipped_release.published
    assert release is not None
    card = (release / "README.md").read_text()
    for name, alt in CHARTS.items():
        assert f"![{alt}](charts/{name})" in card
        root = ElementTree.parse(release / "charts" / name).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert (root.get("width"), root.get("height")) == ("576pt", "259.2pt")
        assert "<dc:date>" not in (release / "charts" / name).read_text()
    again = release_charts(shipped_release.tables)
    for path, text in again.items():
        assert (release / path).read_text() == text
    # the copies chart labels each bar with its count: the statements by copies, as the table
    counts = shipped_release.tables["statements"].column("article_count").to_pylist()
    expected = [sum(1 for n in counts if min(n, 5) == k) for k in range(1, 6)]
    svg = (release / "charts" / "copies-per-statement.svg").read_text()
    comments = re.findall(r"<!-- (.*?) -->", svg)  # matplotlib names each text it draws
    after_axis_label = comments[comments.index("statements") + 1 :]
    assert [int(t) for t in after_axis_label if t.isdigit()] == expected


def test_the_timeline_is_drawn_from_the_articles_counted_by_month_and_outlet() -> None:
    from kcna_dataset.release import charts

    dates = [date(2024, 2, 29), date(2023, 12, 1), date(2024, 2, 1), date(2023, 12, 31)]
    articles = pa.table(
        {"published_date": dates, "source": ["kcna", "rodong", "kcna", "rodong"], "x": [1] * 4}
    )
    assert charts.timeline_columns(articles).to_pylist() == [
        {"year": 2023, "month": 12, "source": "rodong", "articles": 2},
        {"year": 2024, "month": 2, "source": "kcna", "articles": 2},
    ]
    # nine outlets: the eight with most articles have a colour each, the ninth is "other"
    many = pa.table(
        {
            "published_date": [date(2024, 1, 1)] * 45,
            "source": [f"s{n}" for n in range(1, 10) for _ in range(n)],
        }
    )
    svg = charts.articles_per_month(charts.timeline_columns(many))
    legend = re.findall(r"<!-- (s\d|other) -->", svg)
    assert legend == ["s9", "s8", "s7", "s6", "s5", "s4", "s3", "s2", "other"]
    # the bars counted article by article (the definition): every month, each series' heights
    rng = random.Random(5)
    dates = [date(2023, 1, 1) + timedelta(rng.randrange(800)) for _ in range(300)]
    sources = [rng.choice([*"abcdefgh", "ß", "Z", "z", ""]) for _ in range(300)]
    mixed = pa.table({"published_date": dates, "source": sources})
    months = [d.strftime("%Y-%m") for d in dates]
    ranked = sorted(Counter(sources).items(), key=lambda x: (-x[1], x[0]))
    shown = [s for s, _ in ranked[:8]]
    counts = Counter(
        (m, s if s in shown else "other") for m, s in zip(months, sources, strict=True)
    )
    axis, series = charts.timeline_bars(charts.timeline_columns(mixed))
    assert axis[0] == "2023-01" and axis[-1] == max(months) and len(axis) == len(set(axis))
    assert list(series) == [*shown, "other"]
    assert series == {s: [counts[m, s] for m in axis] for s in [*shown, "other"]}
    assert sum(map(sum, series.values())) == 300


def test_package_names_the_outlets_present_and_the_homepage_given(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write(raw, "a.txt", page(label="Rodong Sinmun (En)", line_label="Rodong Sinmun (En)"))
    write(raw, "b.txt", page(title="Another Statement Entirely", date_field="14/09/2024"))
    homepage = "https://huggingface.co/datasets/example/kcna"
    result = build(raw, tmp_path / "dist", today=TODAY, homepage=homepage)
    dp = json.loads((result.published / "datapackage.json").read_text())
    # the outlets in this release, in the registry's order: not a fixed list of collections
    assert dp["sources"] == [
        {"title": "KCNA.kp (En)", "path": "https://www.kcna.kp"},
        {"title": "Rodong Sinmun (En)", "path": "https://www.rodong.rep.kp"},
    ]
    assert dp["homepage"] == homepage
    assert [k for k in dp if k in ("title", "description", "homepage", "created")] == [
        "title",
        "description",
        "homepage",
        "created",
    ]
    card = (result.published / "README.md").read_text()
    citation = card.split("```bibtex\n")[1].split("```")[0]
    assert citation.splitlines() == [
        "@dataset{kcna_dataset,",
        "  title = {KCNA statements: North Korean state media, deduplicated across outlets},",
        "  version = {1.0.0},",
        "  year = {2025},",  # the newest input date (the listing date)
        f"  url = {{{homepage}}},",
        f"  note = {{Built with kcna-dataset {__version__}; outlets: kcna-kp, rodong}}",
        "}",
    ]


def test_a_homepage_that_is_no_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as raised:
        build(RAW, tmp_path, today=TODAY, homepage="kcna.example.org")
    assert str(raised.value) == "--homepage 'kcna.example.org' is not an http(s) URL"
    assert not tmp_path.joinpath("1.0.0").exists()


def test_a_release_credits_only_the_inputs_it_was_built_from(
    shipped_release: BuildResult, tmp_path: Path
) -> None:
    """LICENSE.md credited stiles/north-korea-news and named tests/fixtures whatever a release
    was built from: a credit (schemas/dataset.json) is given where articles came from its
    folder."""
    from kcna_dataset.release.card import data_licence

    shipped = (shipped_release.published / "LICENSE.md").read_text()
    assert shipped == data_licence(["kcna-kp/any.jsonl#L1"])
    assert shipped.endswith(
        "- `kcna-kp/`: kcna.kp English articles collected by the public project "
        "stiles/north-korea-news\n  (https://github.com/stiles/north-korea-news), which releases "
        "its collection under CC0.\n"
    )
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text(page(), encoding="utf-8")
    pages_only = build(raw, tmp_path / "dist", today=TODAY).published
    licence = (pages_only / "LICENSE.md").read_text()
    assert licence == data_licence([])
    assert licence.endswith("their reuse is a matter for the reuser's\n  jurisdiction.\n")
    assert "stiles" not in licence and "tests/" not in licence
