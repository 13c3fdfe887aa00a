"""Per-file work (read -> parse -> record rules -> dedup sketch), in-process or in a process pool.

Everything a file becomes depends on that file alone, so files are processed independently:
in a pool of `jobs` processes when that pays, looked up in the record cache (`cache.py`) when
the same file was processed by the same rules before. Results come back in input order, so the
output does not depend on the number of jobs or on the cache.
"""

from __future__ import annotations

import ctypes
import gc
import os
import signal
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import date
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import numpy as np
import pyarrow as arrow

from kcna_dataset.article_table import ArticleTable
from kcna_dataset.config import DedupConfig
from kcna_dataset.exceptions import BuildError
from kcna_dataset.findings import Finding, Severity
from kcna_dataset.names import suffix_of
from kcna_dataset.records import Article, RawFile
from kcna_dataset.runtime.cache import (
    RecordCache,
    WorkerCache,
    entry_key,
    pack,
    unpack_or_none,
)
from kcna_dataset.runtime.preload import preload
from kcna_dataset.schema import SLICE_ROWS
from kcna_dataset.sources import SourceRegistry
from kcna_dataset.stages.parse import RECORD_PARSERS, ParsedRecord, parse_file
from kcna_dataset.stages.parse.scraper import FieldMap
from kcna_dataset.stages.read import InputFile, input_bytes, read_file
from kcna_dataset.stages.record_rules import check_record

# Below this much input a pool costs more (process start, pickling) than it saves.
POOL_MIN_BYTES = 8 << 20
# files per task: a page is one article, and what is paid per task (sending it, a table, a
# sketch call over its texts) is paid per batch; fewer when there are few files, so the pool
# stays busy. 256 pages a task against 64: 20,001 pages' build 0.92x the wall time (16 pairs
# in turns), most of it in the sketches (71-79 -> 59-60 us a page in one process: a call's
# distinct words are looked up once for more texts)
BATCH_FILES = 256
# a record file (JSONL, CSV, a JSON array: up to 256 MiB, thousands of articles) counts as
# this many files: a batch holds at most 64 of them, the batches every file had before
RECORD_FILE_WEIGHT = 4

if TYPE_CHECKING:  # the dedup modules load when a build sketches, not for `validate`
    from kcna_dataset.stages.dedup.sketch import Sketches

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FileSettings:
    """What per-file work needs besides the file: sent once to each worker."""

    registry: SourceRegistry
    today: date
    config: DedupConfig | None  # None: no dedup sketches (validate only)
    cache_path: Path | None = None
    fingerprint: str = ""
    field_map: FieldMap = ()  # the researcher's field names (--map)


# an outcome without its rows holds this one object: a batch's pickle holds it once, however many
# outcomes
_LIGHT = ArticleTable()


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """What one input file became. Picklable: it is what the pool returns (one per file)."""

    name: str
    records: int = 0
    read_failure: Finding | None = None
    # accepted articles as Arrow: pickling a table copies buffers, not one object per field
    accepted: ArticleTable = _LIGHT
    sketches: Sketches | None = None  # row i = accepted[i]
    # rejected records (raw_path, line, raw_sha256; no draft) with all their findings
    rejected: tuple[tuple[ParsedRecord, tuple[Finding, ...]], ...] = ()
    warnings: tuple[Finding, ...] = ()  # of accepted and rejected records
    parse_dropped: Counter[str] = field(default_factory=Counter)
    validate_dropped: Counter[str] = field(default_factory=Counter)

    @property
    def parsed(self) -> int:
        return self.records - sum(self.parse_dropped.values())

    @property
    def cacheable(self) -> bool:
        # a record dated after today is rejected today and may be accepted later: such an
        # outcome depends on the day, so it is not cached (whichever finding of a record it is:
        # one rejected for its source may also be dated in the future)
        today_said = (
            x.code == "date-out-of-range"
            for x in (*self.warnings, *(x for _, found in self.rejected for x in found))
        )
        return self.read_failure is None and not any(today_said)

    def __reduce__(self) -> tuple[Any, ...]:
        # its fields as a tuple, the counters as dicts (empty ones as None): a frozen slots
        # dataclass pickles through Python code (~5 us each way), once per file in the pool
        fields = (
            self.name,
            self.records,
            self.read_failure,
            None if self.accepted is _LIGHT else self.accepted,
            self.sketches,
            self.rejected,
            self.warnings,
            dict(self.parse_dropped) or None,
            dict(self.validate_dropped) or None,
        )
        return (_outcome, fields)


def _outcome(
    name: str,
    records: int,
    read_failure: Finding | None,
    accepted: ArticleTable | None,
    sketches: Sketches | None,
    rejected: tuple[tuple[ParsedRecord, tuple[Finding, ...]], ...],
    warnings: tuple[Finding, ...],
    parse_dropped: dict[str, int] | None,
    validate_dropped: dict[str, int] | None,
) -> FileOutcome:
    return FileOutcome(
        name,
        records,
        read_failure,
        _LIGHT if accepted is None else accepted,
        sketches,
        rejected,
        warnings,
        Counter(parse_dropped) if parse_dropped else Counter(),
        Counter(validate_dropped) if validate_dropped else Counter(),
    )


def process_files(files: Sequence[InputFile], settings: FileSettings) -> list[FileOutcome]:
    """Files read and processed here, in this process, without the cache or the pool: each
    file's outcome with its accepted rows and sketches."""
    done = _process_raws([(f.name, read_file(f)) for f in files], settings)
    return [done.whole(i) for i in range(len(done.outcomes))]


@dataclass(frozen=True, slots=True)
class Processed:
    """Files processed together: each file's outcome without its rows (`light`), and the
    accepted rows of all of them, file after file, as one table with their sketches."""

    outcomes: list[FileOutcome]
    articles: list[list[Article]]  # each outcome's accepted articles, when few (else [])
    accepted: ArticleTable
    sketches: Sketches | None
    starts: list[int]  # outcome i's rows are accepted[starts[i] : starts[i + 1]]

    def rows_of(self, i: int) -> tuple[ArticleTable, Sketches | None]:
        """Outcome i's accepted rows and their sketches (slices)."""
        rows = slice(self.starts[i], self.starts[i + 1])
        return self.accepted[rows], None if self.sketches is None else self.sketches[rows]

    def whole(self, i: int) -> FileOutcome:
        """Outcome i with its rows and sketches."""
        accepted, sketches = self.rows_of(i)
        return replace(self.outcomes[i], accepted=accepted, sketches=sketches)

    def entry(self, i: int) -> CacheEntry:
        return CacheEntry.of(self.outcomes[i], self.articles[i], *self.rows_of(i))


_article_values = attrgetter(*(f.name for f in fields(Article)))


class CacheEntry(NamedTuple):
    """What the record cache holds of a file: its outcome's fields, its accepted articles and
    the sketches' bytes. A page's one article is kept as its values: plain values pickle in a
    few microseconds where a one-row Arrow table took ~80 (an IPC message per file, ~1.6 kB of
    framing) and a frozen dataclass goes through Python code; a record file's many articles
    stay an Arrow table (its IPC message costs less than as many tuples, each way)."""

    name: str
    records: int
    rejected: tuple[tuple[ParsedRecord, tuple[Finding, ...]], ...]
    warnings: tuple[Finding, ...]
    parse_dropped: dict[str, int]
    validate_dropped: dict[str, int]
    rows: list[tuple[Any, ...]] | ArticleTable  # the accepted articles' values, or table
    keys: bytes | None  # the sketches' match-key digests and band keys, row after row
    bands: bytes | None

    @classmethod
    def of(
        cls,
        outcome: FileOutcome,
        articles: list[Article],
        table: ArticleTable,
        sketches: Sketches | None,
    ) -> CacheEntry:
        """The rows of `table` as the values of `articles` (the same rows, as objects) when they
        are few (a page), else as `table` (`articles` may then be left empty)."""
        rows: list[tuple[Any, ...]] | ArticleTable = table
        if len(table) <= ROWS_AS_VALUES:
            assert len(articles) == len(table)
            rows = list(map(_article_values, articles))
        return cls(
            outcome.name,
            outcome.records,
            outcome.rejected,
            outcome.warnings,
            dict(outcome.parse_dropped),
            dict(outcome.validate_dropped),
            rows,
            None if sketches is None else sketches.keys.tobytes(),
            None if sketches is None else sketches.bands.tobytes(),
        )

    def outcome(self) -> FileOutcome:
        return _outcome(
            self.name,
            self.records,
            None,
            None,
            None,
            self.rejected,
            self.warnings,
            self.parse_dropped,
            self.validate_dropped,
        )

    def accepted(self) -> list[Article] | ArticleTable:
        """The accepted articles: as objects (a few), or as the table stored."""
        if isinstance(self.rows, ArticleTable):
            return self.rows
        return [Article(*values) for values in self.rows]

    def sketches(self, config: DedupConfig | None) -> Sketches | None:
        if config is None or self.keys is None or self.bands is None:
            return None
        from kcna_dataset.stages.dedup.sketch import KEY_BYTES, Sketches

        keys = np.frombuffer(self.keys, f"S{KEY_BYTES}").copy()
        bands = np.frombuffer(self.bands, np.uint64).reshape(len(keys), 2 * config.bands)
        return Sketches(keys, bands.copy())


# a file with up to this many accepted articles is cached as their values, more as a table
ROWS_AS_VALUES = 8


class _Rows:
    """A batch's accepted articles gathered in order from files' parts (articles as objects,
    or tables), as one table."""

    def __init__(self) -> None:
        self._tables: list[arrow.Table] = []
        self._loose: list[Article] = []

    def add(self, part: list[Article] | ArticleTable) -> None:
        if isinstance(part, list):
            self._loose.extend(part)
            return
        if len(part):
            self._settle()
            self._tables.append(part.table)

    def _settle(self) -> None:
        if self._loose:
            self._tables.append(ArticleTable.from_articles(self._loose).table)
            self._loose = []

    def table(self) -> ArticleTable:
        self._settle()
        if not self._tables:
            return ArticleTable()
        return ArticleTable(arrow.concat_tables(self._tables).combine_chunks())


def _process_raws(
    raws: Sequence[tuple[str, RawFile | Finding]], settings: FileSettings
) -> Processed:
    """Files read (or their read failure), in order -> what they became. The accepted articles
    of up to SLICE_ROWS at a time become one Arrow table and are sketched in one call: a page
    is one article, and a table and a sketch call per file cost ~0.2 ms each (more than
    parsing it)."""
    outcomes: list[FileOutcome] = []
    articles: list[list[Article]] = []
    starts = [0]
    tables: list[ArticleTable] = []
    sketched: list[Sketches] = []
    pending: list[Article] = []

    def flush() -> None:
        tables.append(ArticleTable.from_articles(pending))
        if settings.config is not None:
            from kcna_dataset.stages.dedup.sketch import sketch_bodies

            sketched.append(sketch_bodies([a.body for a in pending], settings.config))
        pending.clear()

    for name, raw in raws:
        if isinstance(raw, Finding):
            outcomes.append(FileOutcome(name, records=1, read_failure=raw))
            articles.append([])
            starts.append(starts[-1])
            continue
        outcome, rows = _check_raw(name, raw, settings)
        outcomes.append(outcome)
        # kept for the cache entry of a file of few articles (a page); a record file's entry
        # takes its rows from the table (its objects would be ~3 kB an article until the end)
        articles.append(rows if len(rows) <= ROWS_AS_VALUES else [])
        starts.append(starts[-1] + len(rows))
        pending.extend(rows)
        if len(pending) >= SLICE_ROWS:
            flush()
    if pending or not tables:
        flush()
    accepted = tables[0]
    if len(tables) > 1:
        accepted = ArticleTable(arrow.concat_tables([t.table for t in tables]))
    sketches = None
    if settings.config is not None:
        from kcna_dataset.stages.dedup.sketch import Sketches

        sketches = (
            sketched[0] if len(sketched) == 1 else Sketches.concat(sketched, settings.config.bands)
        )
    return Processed(outcomes, articles, accepted, sketches, starts)


def _check_raw(
    name: str, raw: RawFile, settings: FileSettings
) -> tuple[FileOutcome, list[Article]]:
    """One file parsed and checked record by record: its outcome (without its accepted rows)
    and the accepted articles."""
    accepted: list[Article] = []
    rejected: list[tuple[ParsedRecord, tuple[Finding, ...]]] = []
    warnings: list[Finding] = []
    parse_dropped: Counter[str] = Counter()
    validate_dropped: Counter[str] = Counter()
    records = 0
    for rec in parse_file(raw, settings.field_map):
        records += 1
        if rec.draft is None:
            parse_dropped[rec.findings[0].code] += 1
        article, found = check_record(rec, settings.registry, settings.today)
        warnings.extend(x for x in found if x.severity is Severity.WARNING)
        if article is None:
            if rec.draft is not None:
                validate_dropped[next(x.code for x in found if x.severity is Severity.ERROR)] += 1
            # the draft is dropped (memory), what the record says it is stays
            title = rec.draft.title if rec.draft is not None else rec.title
            url = rec.draft.url if rec.draft is not None else rec.url
            light = ParsedRecord(
                rec.raw_path, rec.line, rec.raw_sha256, None, rec.findings, title, url
            )
            rejected.append((light, tuple(found)))
        else:
            accepted.append(article)
    outcome = FileOutcome(
        name,
        records,
        None,
        rejected=tuple(rejected),
        warnings=tuple(warnings),
        parse_dropped=parse_dropped,
        validate_dropped=validate_dropped,
    )
    return outcome, accepted


# --- in a worker process -------------------------------------------------------------------

_settings: FileSettings | None = None
_cache: WorkerCache | None = None


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when the process that made it dies, however it dies
    (kill -9 included): workers left behind held the terminal's output (`build | cat` hung)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown is what there is
        pass


def _init_worker(settings: FileSettings, in_pool: bool = True) -> None:
    global _settings, _cache
    if in_pool:
        _die_with_parent()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _settings = settings
    _cache = None
    if settings.cache_path is not None:
        _cache = WorkerCache(settings.cache_path, settings.fingerprint)


@dataclass(frozen=True, slots=True)
class Batch:
    """What a batch of files became: each file's outcome, in order (their accepted rows and
    sketches taken out), and the batch's accepted articles and sketches, file after file.
    One pickle per batch from a worker: the table once, not a table per page."""

    outcomes: tuple[FileOutcome, ...]
    accepted: ArticleTable
    sketches: Sketches | None
    cache_hits: int = 0
    cache_damaged: int = 0  # entries altered on disk: parsed again and replaced
    cache_failure: str | None = None  # why the worker's cache writes stopped (a full disk)


def _work_batch(files: Sequence[InputFile]) -> Batch:
    """A batch of files -> its Batch. Files found in the cache are unpacked here (in the
    worker); the others are read and processed together (`_process_raws`), and their outcomes
    stored in the cache."""
    assert _settings is not None
    settings = _settings
    hits: dict[int, CacheEntry] = {}  # position in the batch -> its entry from the cache
    misses: list[tuple[str, RawFile | Finding]] = []
    keys: list[str | None] = []  # of the misses: their cache key, when there is a cache
    damaged = 0
    for f in files:
        raw = read_file(f)
        key = None
        if _cache is not None and not isinstance(raw, Finding):
            key = entry_key(settings.fingerprint, f.name, raw.sha256)
            if (blob := _cache.get(key)) is not None:
                if isinstance(entry := unpack_or_none(blob), CacheEntry):
                    hits[len(hits) + len(misses)] = entry
                    continue
                damaged += 1  # parsed again below, and its entry replaced
        misses.append((f.name, raw))
        keys.append(key)
    done = _process_raws(misses, settings)
    failure = None
    if _cache is not None:
        _cache.put_many(
            [
                (key, pack(done.entry(i)))
                for i, key in enumerate(keys)
                if key is not None and done.outcomes[i].cacheable
            ]
        )
        failure = _cache.failure
    if not hits:  # the usual case: the batch's rows are the processed table, as it is
        accepted = ArticleTable(done.accepted.table.combine_chunks())
        return Batch(tuple(done.outcomes), accepted, done.sketches, 0, damaged, failure)
    # files from the cache and files processed, back in the batch's order: one table of all
    outcomes: list[FileOutcome] = []
    articles = _Rows()
    sketched: list[Sketches] = []
    processed = iter(range(len(misses)))
    for position in range(len(files)):
        if position in hits:
            entry = hits[position]
            outcomes.append(entry.outcome())
            articles.add(entry.accepted())
            sketches = entry.sketches(settings.config)
        else:
            i = next(processed)
            outcomes.append(done.outcomes[i])
            rows, sketches = done.rows_of(i)
            articles.add(rows)
        if sketches is not None:
            sketched.append(sketches)
    batch_sketches = None
    if settings.config is not None:
        from kcna_dataset.stages.dedup.sketch import Sketches

        batch_sketches = Sketches.concat(sketched, settings.config.bands)
    return Batch(tuple(outcomes), articles.table(), batch_sketches, len(hits), damaged, failure)


def batched(files: Sequence[InputFile], size: int) -> list[Sequence[InputFile]]:
    """`files` in order, in batches of `size` (at most BATCH_FILES), where a record file counts
    RECORD_FILE_WEIGHT files against BATCH_FILES."""
    batches: list[Sequence[InputFile]] = []
    start, weight = 0, 0
    for i, f in enumerate(files):
        weight += RECORD_FILE_WEIGHT if suffix_of(f.name) in RECORD_PARSERS else 1
        if i + 1 - start >= size or weight >= BATCH_FILES:
            batches.append(files[start : i + 1])
            start, weight = i + 1, 0
    if start < len(files):
        batches.append(files[start:])
    return batches


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(slots=True)
class FileRunner:
    """Runs per-file work over many files; also lends its pool to later stages (`map`)."""

    settings: FileSettings
    jobs: int = 1
    cache: RecordCache | None = None
    _pool: Executor | None = None
    jobs_used: int = 1
    stats: dict[str, int] = field(default_factory=lambda: {"cache_hits": 0, "processed": 0})
    # the input's size where the caller has measured it (at least: counting may stop once past
    # the thresholds it is compared with, `input_bytes(enough=...)`)
    known_bytes: int | None = None
    # modules this process will need later, imported in a thread once the workers are started
    # (`preload.py`): with a pool only, where this process mostly waits meanwhile
    preload: tuple[str, ...] = ()

    def start(self, files: Sequence[InputFile]) -> None:
        # never raises: a name that cannot be looked at counts 0
        total = self.known_bytes if self.known_bytes is not None else input_bytes(files)
        if self.jobs > 1 and len(files) > 1 and total >= POOL_MIN_BYTES:
            try:
                self._pool = ProcessPoolExecutor(
                    self.jobs, initializer=_init_worker, initargs=(self.settings,)
                )
            except OSError as e:
                raise _no_pool(e) from None
            _widen_result_pipe(self._pool)
            self.jobs_used = self.jobs
        else:
            _init_worker(self.settings, in_pool=False)  # the same functions, in this process

    def run(self, files: Sequence[InputFile]) -> Iterator[Batch]:
        """Batches of `files`, in order (a batch is one task of the pool). A pool is at work
        when this returns, before the first batch is asked for: the caller's own bookkeeping
        (a report per input: ~4 s at a million pages) overlaps the workers'."""
        self.start(files)
        size = max(1, min(BATCH_FILES, len(files) // (self.jobs * 16)))
        batches = batched(files, size)
        done: Iterable[Batch]
        if self._pool is not None:
            # the workers are forked at the first task, inheriting this process's heap (a
            # million InputFiles): frozen, the workers' garbage collector never writes to those
            # objects, so their pages stay shared instead of being copied into each worker
            # (unless the calling program froze objects of its own: its state is left alone)
            ours = gc.get_freeze_count() == 0
            if ours:
                gc.freeze()
            try:
                done = self._pool.map(_work_batch, batches)  # forks the workers
            except OSError as e:  # no process to be had (a process or memory limit)
                raise _no_pool(e) from None
            finally:
                if ours:
                    gc.unfreeze()
            preload(*self.preload)
        else:
            done = map(_work_batch, batches)
        return self._received(done)

    def _received(self, done: Iterable[Batch]) -> Iterator[Batch]:
        for batch in done:
            self.stats["processed"] += len(batch.outcomes)
            self.stats["cache_hits"] += batch.cache_hits
            if batch.cache_damaged:
                self.stats["cache_damaged"] = (
                    self.stats.get("cache_damaged", 0) + batch.cache_damaged
                )
            if self.cache is not None and batch.cache_failure is not None:
                self.cache.failed_in_worker(batch.cache_failure)
            yield batch

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any]) -> Iterable[Any]:
        """map(fn, ...) over the pool when there is one (for the dedup stage's token sets)."""
        if self._pool is None:
            return map(fn, *iterables)
        return self._pool.map(fn, *iterables, chunksize=256)

    def later(self, fn: Callable[..., T], *args: Any) -> Callable[[], T]:
        """fn(*args) in a worker while this process goes on, when there is a pool (call what
        this returns for the result); in this process, when asked, when there is none."""
        if self._pool is None:
            return lambda: fn(*args)
        return self._pool.submit(fn, *args).result

    def close(self, cancel: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=not cancel, cancel_futures=cancel)
            self._pool = None
        if self.cache is not None:
            self.cache.close()


def _no_pool(e: OSError) -> BuildError:
    return BuildError(
        f"cannot start the worker processes: {e.strerror or type(e).__name__}",
        "Pass --jobs 1 to work in this process alone, or raise the process limit (ulimit -u).",
    )


# a batch's result is a few hundred kB (64 pages: ~200 kB); Linux's default pipe holds 64 kB,
# so a worker's send waited, chunk by chunk, for the main process to read (~1 ms a batch: 7%
# of a worker's time on 20,000 pages). 1 MiB is the size an unprivileged process may ask for.
RESULT_PIPE_BYTES = 1 << 20


def _widen_result_pipe(pool: ProcessPoolExecutor) -> None:
    """Ask for a larger pipe under the pool's results (Linux; elsewhere, or when the pool is
    not made as on CPython 3.11-3.13, the pipe stays as it is: only slower)."""
    try:
        import fcntl

        writer = pool._result_queue._writer  # type: ignore[attr-defined]
        fcntl.fcntl(writer.fileno(), fcntl.F_SETPIPE_SZ, RESULT_PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass


@contextmanager
def file_runner(
    settings: FileSettings, jobs: int, cache: RecordCache | None
) -> Iterator[FileRunner]:
    runner = FileRunner(settings, jobs, cache)
    try:
        yield runner
    except BaseException:
        runner.close(cancel=True)
        raise
    runner.close()
