"""The release verifies, and loads with the same row counts in every tool consumers use."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as arrow
import pyarrow.parquet as parquet
import pytest
from helpers import TODAY

import kcna_dataset
from kcna_dataset.build import BuildResult, build
from kcna_dataset.exceptions import KcnaDatasetError
from kcna_dataset.release.publish import write_sha256sums
from kcna_dataset.release.verify import verify_release
from kcna_dataset.schema import arrow_schema

ROWS = {"statements": 433, "articles": 688, "sources": 15}


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from helpers import RAW

    result: BuildResult = build(RAW, tmp_path_factory.mktemp("dist"), today=TODAY)
    assert result.release is not None
    return result.release


@pytest.mark.parametrize("table", sorted(ROWS))
def test_pandas_and_arrow(release: Path, table: str) -> None:
    frame = kcna_dataset.load(release, table)
    assert isinstance(frame, pd.DataFrame) and len(frame) == ROWS[table]
    assert kcna_dataset.load(release.parent, table, as_arrow=True).num_rows == ROWS[table]


def test_load_dtypes(release: Path) -> None:
    frame = kcna_dataset.load(release, "articles")
    assert str(frame["published_date"].dtype) == "datetime64[ms]"
    assert isinstance(frame["title"].dtype, pd.StringDtype)
    assert str(frame["end_mark"].dtype) == "boolean"
    assert str(frame["similarity"].dtype) == "Float64"


def test_polars(release: Path) -> None:
    polars = pytest.importorskip("polars")
    for table, rows in ROWS.items():
        assert polars.read_parquet(release / "data" / f"{table}.parquet").height == rows
    assert polars.read_csv(release / "data" / "statements.csv").height == ROWS["statements"]


def test_duckdb_reads_only_needed_row_groups(
    release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    duckdb = pytest.importorskip("duckdb")
    monkeypatch.chdir(release)
    [(n,)] = duckdb.sql("SELECT count(*) FROM 'data/statements.parquet'").fetchall()
    [(in_range,)] = duckdb.sql(
        "SELECT count(*) FROM 'data/statements.parquet' "
        "WHERE published_date BETWEEN DATE '2024-08-01' AND DATE '2024-08-31'"
    ).fetchall()
    assert n == ROWS["statements"]
    dates = parquet.read_table(release / "data" / "statements.parquet").column("published_date")
    assert in_range == sum(1 for d in dates.to_pylist() if d.year == 2024 and d.month == 8)


def test_frictionless(release: Path) -> None:
    from frictionless import Package

    package = Package(str(release / "datapackage.json"))
    # get_resource is typed as returning Resource; a table's is a TableResource, with read_rows
    statements = package.get_resource("statements-csv")
    articles = package.get_resource("articles")
    assert len(statements.read_rows()) == ROWS["statements"]  # type: ignore[attr-defined]
    assert len(articles.read_rows()) == ROWS["articles"]  # type: ignore[attr-defined]


def test_huggingface_datasets_offline(release: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(release.parent / ".hf"))
    datasets = pytest.importorskip("datasets")
    for table, rows in ROWS.items():
        loaded = datasets.load_dataset(
            "parquet",
            data_files={table: str(release / "data" / f"{table}.parquet")},
            split=table,
            cache_dir=str(release.parent / ".hf-cache"),
        )
        assert loaded.num_rows == rows


def _copy(release: Path, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / release.name
    shutil.copytree(release, target)
    return target


def test_verify_names_a_flipped_byte(release: Path, tmp_path: Path) -> None:
    damaged = _copy(release, tmp_path)
    path = damaged / "data" / "statements.csv"
    data = bytearray(path.read_bytes())
    data[1000] ^= 0x01
    path.write_bytes(bytes(data))
    report = verify_release(damaged)
    assert not report.valid
    assert [(p.check, p.file) for p in report.problems][:2] == [
        ("checksum", "data/statements.csv"),
        ("datapackage", "data/statements.csv"),
    ]
    with pytest.raises(KcnaDatasetError, match=r"statements\.csv: SHA-256 differs"):
        kcna_dataset.load(damaged, "sources")
    assert len(kcna_dataset.load(damaged, "sources", verify=False)) == ROWS["sources"]


def test_verify_finds_a_broken_foreign_key(release: Path, tmp_path: Path) -> None:
    damaged = _copy(release, tmp_path)
    statements = parquet.read_table(damaged / "data" / "statements.parquet")
    parquet.write_table(statements.slice(1), damaged / "data" / "statements.parquet")
    # keep the checksums consistent, so that only the foreign key is wrong
    write_sha256sums(damaged)
    package = (damaged / "datapackage.json").read_text()
    import hashlib
    import json

    dp = json.loads(package)
    for r in dp["resources"]:
        r["hash"] = "sha256:" + hashlib.sha256((damaged / r["path"]).read_bytes()).hexdigest()
    (damaged / "datapackage.json").write_text(json.dumps(dp))
    write_sha256sums(damaged)
    report = verify_release(damaged)
    # the CSV still holds the row the Parquet file lost: both formats are checked
    assert [(p.check, p.file) for p in report.problems] == [
        ("csv", "data/statements.csv"),
        ("foreign-key", "data/articles.parquet"),
    ]
    assert report.problems[1].message.startswith(
        "articles.statement_id has 1 values missing from statements.statement_id"
    )
    assert isinstance(statements, arrow.Table)


def test_csv_floats_keep_their_type_in_polars(release: Path) -> None:
    """Exact matches were written `1`: polars took the column for integers from the first
    rows and failed on `0.5051`."""
    polars = pytest.importorskip("polars")
    articles = polars.read_csv(release / "data" / "articles.csv")
    assert articles.schema["similarity"] == polars.Float64
    assert articles.height == ROWS["articles"]


def test_every_table_with_rows_loads_through_the_cards_configs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --skip-invalid and a bad record, `rejections` has rows and a config of its own;
    an empty table has none (datasets cannot load a split without rows) and the card says
    how to read it."""
    from helpers import jsonl_line, page, write

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / ".hf"))
    datasets = pytest.importorskip("datasets")
    raw = tmp_path / "raw"
    write(raw, "a.txt", page())
    write(raw, "r.jsonl", jsonl_line() + "\n" + jsonl_line(story_text="", headline="Empty") + "\n")
    out = tmp_path / "dist"
    build(raw, out, today=TODAY, skip_invalid=True)
    release = out / "1.0.0"
    rows = {}
    for table in ("statements", "articles", "sources", "rejections"):
        loaded = datasets.load_dataset(str(release), table, cache_dir=str(tmp_path / "c"))
        rows[table] = loaded["train"].num_rows
    assert rows == {"statements": 2, "articles": 2, "sources": 15, "rejections": 1}
    clean = tmp_path / "clean"
    write(raw, "r.jsonl", jsonl_line() + "\n")
    build(raw, clean, today=TODAY)
    card = (clean / "1.0.0" / "README.md").read_text()
    assert "config_name: rejections" not in card
    assert "### `rejections` (0 rows)\n\n" in card
    assert "Empty in this release, so it has no `datasets` config" in card
    # the card's way into `datasets` for an empty table, as written there
    snippet = 'datasets.Dataset(pyarrow.parquet.read_table("data/rejections.parquet"))'
    assert f"`{snippet}`" in card
    empty = datasets.Dataset(parquet.read_table(clean / "1.0.0" / "data" / "rejections.parquet"))
    assert (empty.num_rows, empty.column_names) == (0, list(arrow_schema("rejections").names))


def test_load_and_verify_name_the_choices_and_follow_latest(release: Path) -> None:
    with pytest.raises(KcnaDatasetError) as raised:
        kcna_dataset.load(release, "statement")
    assert str(raised.value) == (
        "no table 'statement': the tables are statements, articles, sources, rejections"
    )
    with pytest.raises(KcnaDatasetError) as raised:
        kcna_dataset.load(release.parent / "missing")
    assert str(raised.value) == f"{release.parent / 'missing'} does not exist"
    assert verify_release(release.parent).valid  # dist/: the release `latest` names
    with pytest.raises(KcnaDatasetError) as raised:
        verify_release(release.parent / "missing")
    assert str(raised.value) == f"{release.parent / 'missing'} does not exist"
