"""`kcna-dataset sqlite`: a release as one SQLite database, searchable in Datasette (issue 19).

Opened with sqlite-utils and queried through Datasette's own test client."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from helpers import TODAY, jsonl_line, page, write
from typer.testing import CliRunner

from kcna_dataset.build import build
from kcna_dataset.cli import app

sqlite_utils = pytest.importorskip("sqlite_utils")


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("raw")
    write(raw, "a.txt", page(title="Missile Launch Reported", body=["The missile flew far. -0-"]))
    write(raw, "b.txt", page(title="Harvest Done", body=["Farmers gathered rice in the fields."]))
    lines = [
        jsonl_line(headline="Delegation Leaves", story_text="A delegation left for Moscow."),
        jsonl_line(headline="Broken", story_text=""),
    ]
    write(raw, "r.jsonl", "\n".join(lines) + "\n")
    out = tmp_path_factory.mktemp("dist")
    build(raw, out, today=TODAY, skip_invalid=True)
    return out


def test_the_database_holds_the_release_with_keys_indexes_and_search(
    release: Path, tmp_path: Path
) -> None:
    db_file = tmp_path / "kcna.db"
    result = CliRunner().invoke(app, ["sqlite", str(release), str(db_file), "--quiet"])
    assert (result.exit_code, result.output) == (0, f"{db_file}\n")
    db = sqlite_utils.Database(db_file)
    for table in ("statements", "articles", "sources", "rejections"):
        parquet_rows = pq.read_table(release / "1.0.0" / "data" / f"{table}.parquet").num_rows
        assert db[table].count == parquet_rows, table
    assert db["articles"].count == 3 and db["rejections"].count == 1
    assert sorted((fk.column, fk.other_table) for fk in db["articles"].foreign_keys) == [
        ("source", "sources"),
        ("statement_id", "statements"),
    ]
    assert {tuple(i.columns) for i in db["articles"].indexes} >= {
        ("statement_id",),
        ("source",),
        ("published_date",),
    }
    assert db["statements"].detect_fts() == "statements_fts"
    assert [r["title"] for r in db["statements"].search("missile")] == ["Missile Launch Reported"]
    [row] = db.query("select value from release where key = 'version'")
    assert row["value"] == "1.0.0"
    # the dates are ISO text, the booleans 0/1
    [a] = db.query("select published_date, end_mark from articles where title like 'Missile%'")
    assert (a["published_date"], a["end_mark"]) == ("2024-09-13", 1)


def test_datasette_serves_the_search(release: Path, tmp_path: Path) -> None:
    datasette_app = pytest.importorskip("datasette.app")
    db_file = tmp_path / "kcna.db"
    assert CliRunner().invoke(app, ["sqlite", str(release), str(db_file)]).exit_code == 0

    async def search() -> list[str]:
        ds = datasette_app.Datasette([str(db_file)])
        response = await ds.client.get("/kcna/statements.json?_search=rice&_shape=array")
        assert response.status_code == 200
        return [row["title"] for row in response.json()]

    assert asyncio.run(search()) == ["Harvest Done"]


def test_an_existing_file_or_a_damaged_release_writes_nothing(
    release: Path, tmp_path: Path
) -> None:
    db_file = tmp_path / "kcna.db"
    db_file.write_text("mine")
    result = CliRunner().invoke(app, ["sqlite", str(release), str(db_file)])
    assert result.exit_code == 2
    assert " ".join(result.output.split()) == (
        f"Error: {db_file} already exists Hint: Pass another DB_FILE, or --replace to overwrite it."
    )
    assert db_file.read_text() == "mine"
    damaged = tmp_path / "damaged"
    shutil.copytree(release / "1.0.0", damaged)
    csv = damaged / "data" / "statements.csv"
    csv.write_bytes(csv.read_bytes().replace(b"Harvest", b"Harvset"))
    result = CliRunner().invoke(app, ["sqlite", str(damaged), str(tmp_path / "new.db")])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: the release {damaged} is damaged (data/statements.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged", "kcna.db"]


def test_a_database_where_it_cannot_go_is_refused_before_any_work(
    release: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    inside = release / "1.0.0" / "README.md"
    missing = tmp_path / "dist"
    (missing / "1.0.0").mkdir(parents=True)
    (missing / "latest").write_text("9.9.9\n")
    for args, message in (
        ([str(release), str(folder), "--replace"], f"Error: {folder} is a folder"),
        ([str(release), str(inside), "--replace"], f"Error: {inside} is inside the release"),
        ([str(missing), str(tmp_path / "x.db")], f"Error: {missing / 'latest'} names 9.9.9"),
    ):
        result = CliRunner().invoke(app, ["sqlite", *args])
        assert result.exit_code == 2 and result.output.startswith(message), result.output
    assert (release / "1.0.0" / "README.md").read_text().startswith("---")
