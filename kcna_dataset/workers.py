"""Per-file work (read -> parse -> record rules -> dedup sketch), in-process or in a process pool.

Everything a file becomes depends on that file alone, so files are processed independently:
in a pool of `jobs` processes when that pays, looked up in the record cache (`cache.py`) when
the same file was processed by the same rules before. Results come back in input order, so the
output does not depend on the number of jobs or on the cache.
"""

from __future__ import annotations

import ctypes
import os
import signal
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from kcna_dataset.article_table import ArticleTable
from kcna_dataset.cache import (
    CacheReader,
    RecordCache,
    entry_key,
    pack,
    unpack,
    unpack_or_none,
)
from kcna_dataset.config import DedupConfig
from kcna_dataset.dedup.sketch import Sketches, sketch_bodies
from kcna_dataset.findings import Finding, Severity
from kcna_dataset.parse import ParsedRecord, parse_file
from kcna_dataset.parse.scraper import FieldMap
from kcna_dataset.read import InputFile, input_bytes, read_file
from kcna_dataset.record_rules import check_record
from kcna_dataset.records import Article, RawFile
from kcna_dataset.schema import SLICE_ROWS
from kcna_dataset.sources import SourceRegistry

# Below this much input a pool costs more (process start, pickling) than it saves.
POOL_MIN_BYTES = 8 << 20
# files per task: a page is one article, and what is paid per task (sending it, a table, a
# sketch call) is paid per batch; fewer when there are few files, so the pool stays busy
BATCH_FILES = 64


@dataclass(frozen=True, slots=True)
class FileSettings:
    """What per-file work needs besides the file: sent once to each worker."""

    registry: SourceRegistry
    today: date
    config: DedupConfig | None  # None: no dedup sketches (validate only)
    cache_path: Path | None = None
    fingerprint: str = ""
    field_map: FieldMap = ()  # the researcher's field names (--map)


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """What one input file became. Picklable: it is what the pool returns and the cache holds."""

    name: str
    records: int = 0
    read_failure: Finding | None = None
    # accepted articles as Arrow: pickling a table copies buffers, not one object per field
    accepted: ArticleTable = field(default_factory=ArticleTable)
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
        # outcome depends on the day, so it is not cached
        return (
            not any(code == "date-out-of-range" for code in self.validate_dropped)
            and self.read_failure is None
        )


def process_file(f: InputFile, settings: FileSettings) -> FileOutcome:
    return process_files([f], settings)[0]


def process_files(files: Sequence[InputFile], settings: FileSettings) -> list[FileOutcome]:
    return _process_raws([(f.name, read_file(f)) for f in files], settings)


def _process_raws(
    raws: Sequence[tuple[str, RawFile | Finding]], settings: FileSettings
) -> list[FileOutcome]:
    """Files read (or their read failure), in order -> their outcomes. The accepted articles
    of up to SLICE_ROWS at a time become one Arrow table and are sketched in one call, and each
    file's outcome takes its rows as a slice: a page is one article, and a table and a sketch
    call per file cost ~0.2 ms each (more than parsing it)."""
    outcomes: list[FileOutcome] = []
    pending: list[tuple[int, list[Article]]] = []  # (outcome index, its accepted articles)
    count = 0

    def flush() -> None:
        articles = [a for _, accepted in pending for a in accepted]
        table = ArticleTable.from_articles(articles)
        sketches = None
        if settings.config is not None:
            sketches = sketch_bodies([a.body for a in articles], settings.config)
        at = 0
        for i, accepted in pending:
            rows = slice(at, at + len(accepted))
            outcomes[i] = replace(
                outcomes[i],
                accepted=table[rows],
                sketches=None if sketches is None else sketches[rows],
            )
            at += len(accepted)
        pending.clear()

    for name, raw in raws:
        if isinstance(raw, Finding):
            outcomes.append(FileOutcome(name, records=1, read_failure=raw))
            continue
        outcome, accepted = _check_raw(name, raw, settings)
        outcomes.append(outcome)
        pending.append((len(outcomes) - 1, accepted))
        count += len(accepted)
        if count >= SLICE_ROWS:
            flush()
            count = 0
    if pending:
        flush()
    return outcomes


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
_reader: CacheReader | None = None


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when the process that made it dies, however it dies
    (kill -9 included): workers left behind held the terminal's output (`build | cat` hung)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown is what there is
        pass


def _init_worker(settings: FileSettings, in_pool: bool = True) -> None:
    global _settings, _reader
    if in_pool:
        _die_with_parent()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _settings = settings
    _reader = CacheReader(settings.cache_path) if settings.cache_path else None


def _cached_batch(files: Sequence[InputFile]) -> list[tuple[bytes, str | None, bool]]:
    """Per file: (packed outcome, the cache key to store it under or None, found in the
    cache). The files not in the cache are processed together (`_process_raws`). Returning the
    packed bytes lets the main process store them as they are."""
    assert _settings is not None
    settings = _settings
    out: list[tuple[bytes, str | None, bool] | None] = []
    misses: list[tuple[int, str, RawFile | Finding, str | None]] = []
    for f in files:
        raw = read_file(f)
        key = None
        if _reader is not None and not isinstance(raw, Finding):
            key = entry_key(settings.fingerprint, f.name, raw.sha256)
            if (hit := _reader.get(key)) is not None:
                out.append((hit, key, True))
                continue
        misses.append((len(out), f.name, raw, key))
        out.append(None)
    outcomes = _process_raws([(name, raw) for _, name, raw, _ in misses], settings)
    for (i, _, _, key), outcome in zip(misses, outcomes, strict=True):
        out[i] = (pack(outcome), key if outcome.cacheable else None, False)
    return [x for x in out if x is not None]


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

    def start(self, files: Sequence[InputFile]) -> None:
        total = input_bytes(files)  # never raises: a name that cannot be looked at counts 0
        if self.jobs > 1 and len(files) > 1 and total >= POOL_MIN_BYTES:
            self._pool = ProcessPoolExecutor(
                self.jobs, initializer=_init_worker, initargs=(self.settings,)
            )
            self.jobs_used = self.jobs
        else:
            _init_worker(self.settings, in_pool=False)  # the same functions, in this process

    def run(self, files: Sequence[InputFile]) -> Iterator[FileOutcome]:
        """Outcomes in the order of `files`, worked on in batches of files (one task each)."""
        self.start(files)
        size = max(1, min(BATCH_FILES, len(files) // (self.jobs * 16)))
        batches = [files[i : i + size] for i in range(0, len(files), size)]
        if self._pool is None and self.cache is None:
            for batch in batches:
                self.stats["processed"] += len(batch)
                yield from process_files(batch, self.settings)
            return
        if self._pool is not None:
            done: Iterable[list[tuple[bytes, str | None, bool]]] = self._pool.map(
                _cached_batch, batches
            )
        else:
            done = map(_cached_batch, batches)
        results = (result for batch in done for result in batch)
        for f, (blob, key, hit) in zip(files, results, strict=True):
            self.stats["processed"] += 1
            if not hit:
                if self.cache is not None and key is not None:
                    self.cache.put(key, blob)
                yield unpack(blob)
                continue
            outcome = unpack_or_none(blob)
            if not isinstance(outcome, FileOutcome):
                # an entry altered on disk: the file is parsed again and its entry replaced
                outcome = process_file(f, self.settings)
                if self.cache is not None and key is not None and outcome.cacheable:
                    self.cache.put(key, pack(outcome))
                self.stats["cache_damaged"] = self.stats.get("cache_damaged", 0) + 1
                yield outcome
                continue
            self.stats["cache_hits"] += 1
            yield outcome
        if self.cache is not None:
            self.cache.flush()

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any]) -> Iterable[Any]:
        """map(fn, ...) over the pool when there is one (for the dedup stage's token sets)."""
        if self._pool is None:
            return map(fn, *iterables)
        return self._pool.map(fn, *iterables, chunksize=256)

    def close(self, cancel: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=not cancel, cancel_futures=cancel)
            self._pool = None
        if self.cache is not None:
            self.cache.close()


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
