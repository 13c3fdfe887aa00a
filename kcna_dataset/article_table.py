"""Accepted articles as one Arrow table: what flows from validate to dedup and publish.

An `Article` object costs ~4.8 kB for a 2 kB body (CPython stores a text with one curly quote at
2 bytes per character, plus the object's fields); the same row in Arrow costs its UTF-8 bytes.
Workers send each file's accepted articles as a table (an Arrow IPC stream to pickle, not one
object per field), the main process concatenates them (small ones gathered first: `regrouped`),
and the later stages read columns. An
`ArticleTable` is still a `Sequence[Article]`: indexing or iterating makes `Article` objects a
slice at a time, for code that wants records and not columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import Any, overload

import numpy as np
import pyarrow as arrow
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from kcna_dataset.records import Article
from kcna_dataset.runtime.arrow_tables import gather, take_rows
from kcna_dataset.runtime.spool import Spool
from kcna_dataset.schema import SLICE_ROWS, arrow_schema, to_arrow

# The columns the validate stage fills (the declared articles columns before dedup's
# statement_id, match and similarity), in the declared order.
RECORD_COLUMNS = (
    "article_id",
    "source",
    "source_label",
    "title",
    "published_date",
    "listed_date",
    "dateline",
    "body",
    "end_mark",
    "stamp",
    "topic",
    "url",
    "raw_path",
    "raw_sha256",
)
# where each record starts in its file: kept for messages, never published
LINE = "line"


@cache
def _empty() -> arrow.Table:
    # immutable: one for every empty ArticleTable (built from arrays: Schema.empty_table
    # imports pandas, see schema.to_arrow)
    schema = record_schema()
    return arrow.Table.from_arrays([to_arrow([], f.type) for f in schema], schema=schema)


def _from_batches(messages: list[bytes]) -> ArticleTable:
    schema = record_schema()
    batches = [ipc.read_record_batch(arrow.py_buffer(m), schema) for m in messages]
    return ArticleTable(arrow.Table.from_batches(batches, schema) if batches else None)


def _from_ipc(data: bytes) -> ArticleTable:
    return ArticleTable(ipc.open_stream(data).read_all())


def regrouped(
    parts: Iterable[ArticleTable], small: int = 256, rows: int = SLICE_ROWS
) -> Iterator[ArticleTable]:
    """`parts` in order, those under `small` rows (a page's one row) gathered into tables of
    about `rows` rows with one chunk per column: a million one-row tables concatenated would be
    a table of a million chunks (and a spool file of a million record batches). Larger parts
    (a record file's) pass as they are."""
    held: list[arrow.Table] = []
    count = 0

    def gathered() -> ArticleTable:
        return ArticleTable(arrow.concat_tables(held).combine_chunks())

    for part in parts:
        if len(part) >= small:
            if held:
                yield gathered()
                held, count = [], 0
            yield part
            continue
        held.append(part.table)
        count += len(part)
        if count >= rows:
            yield gathered()
            held, count = [], 0
    if held:
        yield gathered()


@cache
def record_schema() -> arrow.Schema:
    declared = arrow_schema("articles")
    return arrow.schema([declared.field(c) for c in RECORD_COLUMNS]).append(
        arrow.field(LINE, arrow.int64())
    )


class ArticleTable(Sequence[Article]):
    """Articles, row i = the i-th article, as an Arrow table with the record columns + line."""

    __slots__ = ("table",)

    def __init__(self, table: arrow.Table | None = None) -> None:
        self.table: arrow.Table = table if table is not None else _empty()

    @classmethod
    def from_articles(cls, articles: Iterable[Article]) -> ArticleTable:
        articles = list(articles)
        schema = record_schema()
        chunks = []
        for start in range(0, len(articles), SLICE_ROWS):
            part = articles[start : start + SLICE_ROWS]
            chunks.append(
                arrow.Table.from_arrays(
                    [to_arrow([getattr(a, f.name) for a in part], f.type) for f in schema],
                    schema=schema,
                )
            )
        return cls(arrow.concat_tables(chunks) if chunks else None)

    @classmethod
    def of(cls, articles: Sequence[Article]) -> ArticleTable:
        return articles if isinstance(articles, ArticleTable) else cls.from_articles(articles)

    @staticmethod
    def concat(parts: Iterable[ArticleTable], spool: Spool | None = None) -> ArticleTable:
        return ArticleTable(
            (spool or Spool()).table("articles", record_schema(), (p.table for p in parts))
        )

    def __len__(self) -> int:
        return self.table.num_rows

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled (from a worker, into the record cache) as Arrow IPC: a slice takes only its
        # own rows (pyarrow's pickling takes its parent's whole buffers), and a one-row table
        # costs ~30 us each way instead of 190 + 86 (measured on pages). The record columns'
        # schema is known: their batches go without it (a page's cache entry was ~4.5 kB, most
        # of it the schema, at a million pages 4.5 GB)
        if self.table.schema.equals(record_schema()):
            batches = [b.serialize().to_pybytes() for b in self.table.to_batches()]
            return (_from_batches, (batches,))
        sink = arrow.BufferOutputStream()
        with ipc.new_stream(sink, self.table.schema) as writer:
            writer.write_table(self.table)
        return (_from_ipc, (sink.getvalue().to_pybytes(),))

    @overload
    def __getitem__(self, index: int) -> Article: ...

    @overload
    def __getitem__(self, index: slice) -> ArticleTable: ...

    def __getitem__(self, index: int | slice) -> Article | ArticleTable:
        if isinstance(index, slice):
            rows = range(len(self))[index]
            if rows.step == 1:
                return ArticleTable(self.table.slice(rows.start, len(rows)))
            return self.take(rows)
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"article {index} of {n}")
        return _articles(self.table.slice(index % n, 1))[0]

    def __iter__(self) -> Iterator[Article]:
        for start in range(0, len(self), SLICE_ROWS):
            yield from _articles(self.table.slice(start, SLICE_ROWS))

    def __repr__(self) -> str:
        return f"ArticleTable({len(self)} articles)"

    def column(self, name: str) -> list[Any]:
        """One column as Python values (row i = article i)."""
        return self.table.column(name).to_pylist()

    def column_at(self, name: str, rows: Sequence[int]) -> arrow.ChunkedArray:
        """One column's values at `rows`, in Arrow (through take_rows: a chunked column's own
        take would first copy the whole column, ~2 GB of bodies at a million articles)."""
        return take_rows(self.table.select([name]), rows).column(name)

    def values(self, name: str, rows: Sequence[int]) -> list[Any]:
        """One column's values at `rows` (e.g. the bodies of the texts dedup verifies)."""
        return self.column_at(name, rows).to_pylist()

    def take(
        self, rows: Sequence[int] | np.ndarray | arrow.Array, spool: Spool | None = None
    ) -> ArticleTable:
        """The rows at `rows`, in that order; into `spool` when given (see `gather`)."""
        return ArticleTable(gather(self.table, rows, spool, "articles"))

    def filter(self, mask: Sequence[bool], spool: Spool | None = None) -> ArticleTable:
        return self.take(np.flatnonzero(np.asarray(mask, dtype=bool)), spool)

    def with_column(self, name: str, values: Sequence[Any]) -> ArticleTable:
        i = self.table.schema.get_field_index(name)
        field = self.table.schema.field(i)
        return ArticleTable(self.table.set_column(i, field, to_arrow(values, field.type)))

    def release_order(self) -> arrow.Array:
        """Row indices by (published_date, article_id): the order of the published table."""
        return pc.sort_indices(
            self.table, sort_keys=[("published_date", "ascending"), ("article_id", "ascending")]
        )


def _articles(batch: arrow.Table) -> list[Article]:
    return [Article(**row) for row in batch.to_pylist()]


__all__ = [
    "LINE",
    "RECORD_COLUMNS",
    "ArticleTable",
    "record_schema",
]
