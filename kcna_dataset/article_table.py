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
from itertools import pairwise
from typing import Any, overload

import numpy as np
import pyarrow as arrow
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from kcna_dataset.records import Article
from kcna_dataset.schema import SLICE_ROWS, arrow_schema, to_arrow
from kcna_dataset.spool import Spool, drop_pages

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
TAKE_ROWS = 16_384  # rows gathered at a time by take_rows


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


# a table in memory up to this size is gathered a whole column at a time (`take_columns`): a
# string column's chunks are joined first, and its 32-bit offsets must stay under 2 GiB
COMBINE_BYTES = 1 << 30


def gather(
    data: arrow.Table,
    rows: Sequence[int] | np.ndarray | arrow.Array,
    spool: Spool | None = None,
    name: str = "table",
    buckets: bool = True,
) -> arrow.Table:
    """`data.take(rows)`, the fastest way that keeps to the spool's memory bound.

    In memory (no spool folder) and up to COMBINE_BYTES, a column at a time (`take_columns`);
    into a spool folder, a slice of `rows` at a time, so a sort of the whole table never holds
    a second copy in memory, and with `buckets` a large take reads `data` front to back
    (`take_in_buckets`) instead of in the order of `rows`.
    """
    spool = spool or Spool()
    index = np.asarray(
        rows.to_numpy() if isinstance(rows, arrow.Array | arrow.ChunkedArray) else rows,
        dtype=np.int64,
    )
    if spool.folder is None and data.nbytes <= COMBINE_BYTES:
        return take_columns(data, index)
    if spool.folder is not None and buckets and len(index) > BUCKET_ROWS:
        parts = take_in_buckets(data, index, spool)
    else:
        parts = take_slices(data, index)
    return spool.table(name, data.schema, parts)


def take_columns(data: arrow.Table, rows: np.ndarray) -> arrow.Table:
    """`data.take(rows)` a column at a time, the column's chunks joined first: ~10x faster than
    `take_slices` on a table of many chunks (a file's articles each; 200,000 articles in 202
    chunks: 0.14 s against 1.8 s), for one joined column more at the peak."""
    index = arrow.array(rows, arrow.int64())
    columns = []
    for column in data.columns:
        joined = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
        columns.append(joined.take(index))
        del joined
    return arrow.Table.from_arrays(columns, schema=data.schema)


def take_rows(data: arrow.Table, rows: Sequence[int] | np.ndarray | arrow.Array) -> arrow.Table:
    """`data.take(rows)`, a slice of `rows` at a time, each gathered chunk by chunk.

    pyarrow's own take concatenates every chunk of a column into one array first: three times
    the column at the peak (the chunks, their concatenation, the result). Here the peak is the
    data plus the result plus one slice.
    """
    parts = list(take_slices(data, rows))
    return arrow.concat_tables(parts) if parts else data.schema.empty_table()


def take_slices(
    data: arrow.Table, rows: Sequence[int] | np.ndarray | arrow.Array
) -> Iterator[arrow.Table]:
    """`take_rows` a slice of `rows` at a time: the gathered parts in order, for a consumer that
    writes them out (`Spool.table`) rather than holding them all."""
    if isinstance(rows, arrow.Array | arrow.ChunkedArray):
        rows = rows.to_numpy()
    index = np.asarray(rows, dtype=np.int64)
    if len(index) == 0:
        return
    batches = [b for b in data.to_batches() if b.num_rows]
    starts = np.cumsum([0] + [b.num_rows for b in batches])
    for begin in range(0, len(index), TAKE_ROWS):
        part = index[begin : begin + TAKE_ROWS]
        if len(batches) == 1:
            yield arrow.Table.from_batches([batches[0].take(arrow.array(part, arrow.int64()))])
            continue
        chunk = np.searchsorted(starts, part, side="right") - 1
        by_chunk = np.argsort(chunk, kind="stable")
        ordered_chunks = chunk[by_chunk]
        bounds = np.flatnonzero(np.diff(ordered_chunks)) + 1
        pieces = [
            batches[int(ordered_chunks[lo])].take(
                arrow.array(part[by_chunk[lo:hi]] - starts[ordered_chunks[lo]], arrow.int64())
            )
            for lo, hi in zip([0, *bounds.tolist()], [*bounds.tolist(), len(part)], strict=True)
        ]
        gathered = arrow.Table.from_batches(pieces, data.schema).combine_chunks()
        back = np.empty_like(by_chunk)
        back[by_chunk] = np.arange(len(by_chunk))  # gathered row back[p] is part[p]
        yield gathered.take(arrow.array(back, arrow.int64()))


# rows per bucket of take_in_buckets: ~160 MB of articles, which the page cache holds even in a
# small memory cgroup
BUCKET_ROWS = 1 << 16


def take_in_buckets(data: arrow.Table, rows: np.ndarray, spool: Spool) -> Iterator[arrow.Table]:
    """take_slices' parts (the rows at `rows`, in that order; distinct rows), reading `data`
    front to back once.

    Gathering a mapped table in another order (the sort into release order) faults its pages
    in that order, and the kernel reads ahead ~128 kB around each fault: when the page cache
    cannot hold the table (a 4 GB memory cgroup at a million articles), the sort read the
    table about twelve times over. Here every row goes, in one sequential pass, to the bucket
    of BUCKET_ROWS result positions it belongs to (a file each, in the spool); then each bucket,
    small enough to stay cached, is put in order and handed on.
    """
    if (np.diff(np.sort(rows)) == 0).any():  # a row taken twice: not a permutation of a subset
        yield from take_slices(data, rows)
        return
    bucket_of = np.full(data.num_rows, -1, np.int64)  # rows left out of `rows`: -1
    bucket_of[rows] = np.arange(len(rows)) // BUCKET_ROWS
    n_buckets = -(-len(rows) // BUCKET_ROWS)

    def scatter() -> Iterator[tuple[int, arrow.Table]]:
        # each batch's rows to their buckets, in the table's order within a bucket
        start = 0
        for batch in data.to_batches():
            stop = start + batch.num_rows
            batch_buckets = bucket_of[start:stop]
            wanted = np.flatnonzero(batch_buckets >= 0)
            wanted = wanted[np.argsort(batch_buckets[wanted], kind="stable")]
            if len(wanted):
                ordered = batch_buckets[wanted]
                bounds = [0, *(np.flatnonzero(np.diff(ordered)) + 1).tolist(), len(wanted)]
                for lo, hi in pairwise(bounds):
                    part = batch.take(arrow.array(wanted[lo:hi], arrow.int64()))
                    yield int(ordered[lo]), arrow.Table.from_batches([part])
            start = stop

    buckets = spool.scattered("bucket", data.schema, scatter(), n_buckets)
    drop_pages()
    for k in range(n_buckets):
        bucket, buckets[k] = buckets[k], data.schema.empty_table()  # freed when handed on
        # bucket k holds the rows of this slice of `rows` in the table's order: a row's place
        # in the bucket is its rank among them
        wanted = rows[k * BUCKET_ROWS : (k + 1) * BUCKET_ROWS]
        yield from take_slices(bucket, np.searchsorted(np.sort(wanted), wanted))
        del bucket
        drop_pages()


def _articles(batch: arrow.Table) -> list[Article]:
    return [Article(**row) for row in batch.to_pylist()]


__all__ = [
    "LINE",
    "RECORD_COLUMNS",
    "ArticleTable",
    "gather",
    "record_schema",
    "take_columns",
    "take_in_buckets",
    "take_rows",
    "take_slices",
]
