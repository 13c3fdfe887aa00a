"""Accepted articles as Arrow (ArticleTable), and Parquet bytes that depend on rows alone."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pyarrow as arrow
import pyarrow.parquet as parquet
import pytest

from kcna_dataset import article_table
from kcna_dataset.article_table import ArticleTable
from kcna_dataset.records import Article
from kcna_dataset.release.publish import PARQUET_OPTIONS, write_parquet
from kcna_dataset.runtime import arrow_tables
from kcna_dataset.runtime.arrow_tables import take_rows


def article(n: int, **changes: object) -> Article:
    fields: dict[str, object] = {
        "article_id": f"a-{n:016x}",
        "source": "kcna-kp",
        "source_label": "KCNA",
        "title": f"Title {n}",
        "published_date": date(2024, 1, n),
        "listed_date": None,
        "dateline": "Pyongyang, January 1 (KCNA)",
        "body": f"“Curly” text {n}. -0-",
        "end_mark": True,
        "stamp": None,
        "topic": None,
        "url": None,
        "raw_path": f"r.jsonl#L{n}",
        "raw_sha256": "0" * 64,
        "line": n,
    }
    fields.update(changes)
    return Article(**fields)  # type: ignore[arg-type]


ARTICLES = [
    article(1),
    article(2, listed_date=date(2024, 1, 3), dateline=None, line=None, end_mark=False),
    article(3, url="http://www.kcna.kp/en/article/q/1.kcmsd", topic="Politics", stamp="Juche113"),
]


def test_articles_come_back_as_they_went_in() -> None:
    table = ArticleTable.from_articles(ARTICLES)
    assert len(table) == 3
    assert list(table) == ARTICLES
    assert table[1] == ARTICLES[1]
    assert table[-1] == ARTICLES[2]
    assert list(table[1:]) == ARTICLES[1:]
    assert list(table.take([2, 0])) == [ARTICLES[2], ARTICLES[0]]
    assert list(table.filter([False, True, False])) == [ARTICLES[1]]
    assert table.values("title", [2, 0]) == ["Title 3", "Title 1"]
    assert table.column("line") == [1, None, 3]
    with pytest.raises(IndexError, match="article 3 of 3"):
        table[3]


def test_release_order_is_date_then_id() -> None:
    shuffled = [
        article(2),
        article(1, article_id="a-ffffffffffffffff", published_date=date(2024, 1, 2)),
        article(3, published_date=date(2024, 1, 1)),
    ]
    table = ArticleTable.from_articles(shuffled)
    assert table.release_order().to_pylist() == [2, 0, 1]


def test_an_empty_table_has_the_record_columns() -> None:
    empty = ArticleTable()
    assert len(empty) == 0
    assert list(empty) == []
    assert empty.table.column_names[-2:] == ["raw_sha256", "line"]
    assert len(ArticleTable.concat([empty, ArticleTable.from_articles(ARTICLES[:1])])) == 1


def test_values_are_taken_across_chunks() -> None:
    table = ArticleTable.concat(ArticleTable.from_articles([a]) for a in ARTICLES)
    assert table.table.column("title").num_chunks == 3
    assert table.values("title", [2, 0, 1]) == ["Title 3", "Title 1", "Title 2"]
    assert table.values("title", []) == []


def test_parquet_bytes_do_not_depend_on_how_the_table_is_chunked(tmp_path: Path) -> None:
    rng = random.Random(0)
    words = ["".join(rng.choice("abcdefghij") for _ in range(6)) for _ in range(5000)]
    bodies = [" ".join(rng.choice(words) for _ in range(300)) for _ in range(1000)]  # 2 MB
    one_chunk = arrow.table({"body": bodies})
    many_chunks = arrow.concat_tables([one_chunk.slice(i, 7) for i in range(0, 1000, 7)])
    assert many_chunks.column("body").num_chunks == 143
    # pyarrow alone writes other pages (so other bytes) for other chunks of the same rows
    parquet.write_table(one_chunk, tmp_path / "plain-one.parquet", **PARQUET_OPTIONS)
    parquet.write_table(many_chunks, tmp_path / "plain-many.parquet", **PARQUET_OPTIONS)
    plain = {p.name: p.read_bytes() for p in tmp_path.glob("plain-*")}
    assert plain["plain-one.parquet"] != plain["plain-many.parquet"]
    write_parquet(one_chunk, tmp_path / "one.parquet")
    write_parquet(many_chunks, tmp_path / "many.parquet")
    assert (tmp_path / "one.parquet").read_bytes() == (tmp_path / "many.parquet").read_bytes()
    assert parquet.read_table(tmp_path / "many.parquet").column("body").to_pylist() == bodies


def test_take_rows_gathers_across_chunks_and_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arrow_tables, "TAKE_ROWS", 3)  # several slices of the row order
    data = arrow.concat_tables(
        [
            arrow.table({"n": list(range(s, s + 4)), "s": [f"r{i}" for i in range(s, s + 4)]})
            for s in (0, 4, 8)
        ]
    )
    assert data.column("n").num_chunks == 3
    rows = [11, 0, 5, 4, 9, 1, 10, 2]
    taken = take_rows(data, rows)
    assert taken.column("n").to_pylist() == rows
    assert taken.column("s").to_pylist() == [f"r{i}" for i in rows]
    assert take_rows(data, []).num_rows == 0


def test_a_slice_pickles_its_own_rows_only() -> None:
    """pyarrow pickles a slice with its parent's whole buffers: a page's row of a batch of
    64 would have carried the 64 bodies into its cache entry."""
    import pickle

    table = ArticleTable.from_articles([article(n % 28 + 1, body="x" * 5_000) for n in range(64)])
    one = table[10:11]
    blob = pickle.dumps(one)
    assert len(blob) < 9_000 < len(pickle.dumps(one.table))
    back = pickle.loads(blob)
    assert list(back) == [article(11, body="x" * 5_000)]
    assert pickle.loads(pickle.dumps(ArticleTable())).table.equals(ArticleTable().table)


def test_small_tables_are_gathered_into_one_chunk() -> None:
    pages = [ArticleTable.from_articles([article(n)]) for n in range(1, 8)]
    big = ArticleTable.from_articles([article(n) for n in range(20, 23)])
    out = list(article_table.regrouped([*pages[:4], big, *pages[4:]], small=3, rows=2))
    assert [len(t) for t in out] == [2, 2, 3, 2, 1]
    assert out[2] is big
    assert [t.table.column("title").num_chunks for t in out] == [1, 1, 1, 1, 1]
    assert [a.title for t in out for a in t] == [
        a.title for t in [*pages[:4], big, *pages[4:]] for a in t
    ]
