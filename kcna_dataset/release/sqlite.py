"""A release as one SQLite database, searchable: `kcna-dataset sqlite RELEASE_DIR DB_FILE`.

The four tables with their declared columns (dates as ISO text, booleans as 0/1), primary and
foreign keys (articles -> statements and sources, statements -> sources), indexes on dates,
outlets and ids, and SQLite FTS5 full-text indexes over the titles and bodies of statements and
articles, made with sqlite-utils: `datasette DB_FILE` serves a searchable corpus, and
`sqlite-utils search DB_FILE statements "missile"` works. The rows are read from the release's
Parquet files a batch at a time (memory stays flat with the release's size), after the
release's checksums are checked. The database is written beside DB_FILE and renamed into
place, so an interrupted conversion leaves no half database.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as arrow
import pyarrow.parquet as parquet

from kcna_dataset.exceptions import BuildError, UsageError

BATCH_ROWS = 5_000
PRIMARY_KEYS = {
    "sources": "source",
    "statements": "statement_id",
    "articles": "article_id",
    "rejections": None,  # no natural key: SQLite's rowid
}
# (table, column) -> (other table, other column); the tables are written in this order, each
# after the tables it refers to
FOREIGN_KEYS = {
    "sources": [],
    "statements": [("canonical_source", "sources", "source")],
    "articles": [("statement_id", "statements", "statement_id"), ("source", "sources", "source")],
    "rejections": [],
}
INDEXES = {
    "statements": [["published_date"], ["canonical_source"]],
    "articles": [["statement_id"], ["source"], ["published_date"]],
    "rejections": [["code"]],
}
SEARCHED = {"statements": ["title", "body"], "articles": ["title", "body"]}


@dataclass(frozen=True, slots=True)
class SqliteSummary:
    database: Path
    release: Path
    rows: dict[str, int] = field(default_factory=dict)


def _column_type(kind: arrow.DataType) -> type:
    if arrow.types.is_integer(kind) or arrow.types.is_boolean(kind):
        return int
    if arrow.types.is_floating(kind):
        return float
    return str  # strings, and dates as ISO text (SQLite has no date type)


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    """The table's rows a batch at a time, dates as ISO text."""
    source = parquet.ParquetFile(path)
    for batch in source.iter_batches(batch_size=BATCH_ROWS):
        columns = {}
        for name, column in zip(batch.schema.names, batch.columns, strict=True):
            if arrow.types.is_date(column.type):
                column = column.cast(arrow.string())
            columns[name] = column.to_pylist()
        names = list(columns)
        for values in zip(*columns.values(), strict=True):
            yield dict(zip(names, values, strict=True))


def release_to_sqlite(
    release: Path,
    database: Path,
    *,
    replace: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> SqliteSummary:
    """Write the release at `release` (or the one `latest` names) to the SQLite file
    `database`."""
    import sqlite_utils  # only this command needs it

    from kcna_dataset.release.verify import checksum_problems, resolve_release

    release = resolve_release(release)
    if database.is_dir():
        raise UsageError(f"{database} is a folder", "Pass a file name for DB_FILE, e.g. kcna.db.")
    if database.resolve().is_relative_to(release.resolve()):
        raise UsageError(
            f"{database} is inside the release {release}",
            "Write the database outside the release: its files are checksummed.",
        )
    if database.exists() and not replace:
        raise UsageError(
            f"{database} already exists", "Pass another DB_FILE, or --replace to overwrite it."
        )
    if problems := checksum_problems(release):
        first = problems[0]
        raise BuildError(
            f"the release {release} is damaged ({first.file}: {first.message}); no database "
            "was written",
            "Download or build the release again (`kcna-dataset verify` lists the damage).",
        )
    folder = database.resolve().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{database.name}.", suffix=".partial", dir=folder)
        os.close(handle)
    except OSError as e:
        raise UsageError(
            f"cannot write {database}: {e.strerror or e}", "Pass a DB_FILE in a writable folder."
        ) from None
    partial = Path(name)
    rows: dict[str, int] = {}
    try:
        db = sqlite_utils.Database(partial, recreate=True)
        db.execute("PRAGMA journal_mode=OFF")  # a new file, renamed into place when complete
        db.execute("PRAGMA synchronous=OFF")
        for table, keys in FOREIGN_KEYS.items():
            path = release / "data" / f"{table}.parquet"
            schema = parquet.read_schema(path)
            not_null = [f.name for f in schema if not f.nullable]
            db[table].create(  # type: ignore[union-attr]
                {f.name: _column_type(f.type) for f in schema},
                pk=PRIMARY_KEYS[table],
                not_null=not_null,
                foreign_keys=[
                    (column, other, other_column) for column, other, other_column in keys
                ],
            )
            total = parquet.ParquetFile(path).metadata.num_rows

            def counted(table: str = table, total: int = total) -> Iterator[dict[str, Any]]:
                for n, row in enumerate(_rows(release / "data" / f"{table}.parquet"), 1):
                    if progress and n % BATCH_ROWS == 0:
                        progress(f"sqlite {table}", n, total)
                    yield row

            db[table].insert_all(counted(), batch_size=1_000)  # type: ignore[union-attr]
            rows[table] = total
            for columns in INDEXES.get(table, []):
                db[table].create_index(columns)  # type: ignore[union-attr]
            if table in SEARCHED:
                if progress:
                    progress(f"sqlite {table} search index", 0, 1)
                db[table].enable_fts(SEARCHED[table], fts_version="FTS5")  # type: ignore[union-attr]
        db["release"].insert_all(  # type: ignore[union-attr]
            [{"key": k, "value": v} for k, v in _release_facts(release).items()], pk="key"
        )
        db.conn.commit()
        db.close()
        os.replace(partial, database)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return SqliteSummary(database, release, rows)


def _release_facts(release: Path) -> dict[str, str]:
    import json

    package = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    licences = ", ".join(x.get("name", "") for x in package.get("licenses", []))
    return {
        "version": str(package.get("version", release.name)),
        "created": str(package.get("created", "")),
        "license": licences,
        "title": str(package.get("title", "")),
        "release_folder": release.name,
    }
