"""The record cache: what each input file became (records, findings, dedup sketches), by content.

A rebuild after a small contribution re-parses only the files that changed, and verifies only
the dedup candidate pairs it has not verified before (`PairScoreCache`). An entry's key is the
file's name (`pair` for a verdict) and a hash of what it was made from (the file's name and
bytes; a pair's two article ids) and the *rules fingerprint*: the source code of every module
that turns bytes into records, sketches and verdicts, the source registry and the dedup
settings. Any change to those gives new keys, so an entry can never be stale; entries of older
fingerprints are deleted when the cache is opened. The folder is safe to delete at any time.

One SQLite file (stdlib, one file however many inputs, safe with concurrent readers): workers
look entries up and store the outcomes of the files they processed (`WorkerCache`), the main
process opens, repairs and prunes it and stores pair verdicts (`RecordCache`). Values are
pickles written by this module: do not point the cache at a folder others can write to. A
file's entry (`workers.CacheEntry`: its outcome, its articles, their sketches) is stored
zstd-compressed (`pack`): 2.6x smaller (1.2 GB for a million articles instead of ~2.4 GB,
which matters for CI caches).
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
import shutil
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as arrow

from kcna_dataset.config import DedupConfig
from kcna_dataset.declarations import read_declaration
from kcna_dataset.sources import SourceRegistry
from kcna_dataset.version import __version__

if TYPE_CHECKING:
    from kcna_dataset.stages.dedup.verify import PairScore

PACKAGE = Path(__file__).resolve().parent.parent
# Everything the per-file work runs (the stages, the runtime, and the modules they import): a
# change to any of these changes every key. Left out: the release, the orchestration (build,
# validate, duplicates, cli) and the leaves no worker runs (timing, exceptions, version, whose
# number is hashed on its own).
RULE_SOURCES = (
    "stages",
    "runtime",
    "article_table.py",
    "config.py",
    "declarations.py",
    "findings.py",
    "language.py",
    "limits.py",
    "names.py",
    "records.py",
    "report.py",
    "schema.py",
    "sources.py",
)
CACHE_FILE = "records.sqlite"


def rules_fingerprint(
    registry: SourceRegistry, config: DedupConfig | None, field_map: tuple[Any, ...] = ()
) -> str:
    """Hash of the code and settings that decide what a file's cache entry holds (the field
    names a --map gives among them)."""
    digest = hashlib.sha256(f"kcna-dataset {__version__}\n".encode())
    if field_map:
        digest.update(repr(field_map).encode())
    for name in RULE_SOURCES:
        target = PACKAGE / name
        files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
        for f in files:
            digest.update(f.relative_to(PACKAGE).as_posix().encode() + b"\0")
            digest.update(f.read_bytes())
    # cached articles are Arrow tables of the declared article types
    digest.update(read_declaration("articles.schema.json").encode())
    digest.update(repr(registry.sources).encode())
    if config is not None:  # sketches and pair verdicts depend on the dedup settings
        digest.update(repr(sorted(config.to_dict().items())).encode())
    return digest.hexdigest()


# zstd level 1: measured on outcomes of 1,000 generated articles (3.1 MB pickled), ratio 2.73,
# 286 MB/s to compress (in the workers), 910 MB/s to decompress; lz4 compressed 1.98x
_CODEC = arrow.Codec("zstd", 1)
_SIZE_BYTES = 8  # the pickle's length, before the compressed bytes: zstd needs it to decompress
# a digest of the rest, first: a value altered on disk can still decompress and unpickle into a
# plausible outcome (a flipped bit in a title), which would be published as if parsed
_DIGEST_BYTES = 16


def _digest(data: bytes | memoryview) -> bytes:
    return hashlib.blake2b(data, digest_size=_DIGEST_BYTES).digest()


def pack(value: Any) -> bytes:
    """A picklable value as it is stored: pickled, compressed, behind a digest of the rest."""
    blob = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    rest = len(blob).to_bytes(_SIZE_BYTES, "little") + _CODEC.compress(blob, asbytes=True)
    return _digest(rest) + rest


def unpack(packed: bytes) -> Any:
    """The value `pack` stored; ValueError when its bytes are not the ones stored."""
    rest = memoryview(packed)[_DIGEST_BYTES:]
    if len(packed) < _DIGEST_BYTES + _SIZE_BYTES or _digest(rest) != packed[:_DIGEST_BYTES]:
        raise ValueError("a cache value altered on disk")
    size = int.from_bytes(rest[:_SIZE_BYTES], "little")
    return pickle.loads(_CODEC.decompress(rest[_SIZE_BYTES:], decompressed_size=size, asbytes=True))


def entry_key(fingerprint: str, name: str, sha256: str) -> str:
    """An entry's key: the file's name, a unit separator (not NUL, which SQLite's own tools
    cut TEXT at), then 32 hex digits of a digest of what the entry was made from (a fixed
    length: the name is what precedes them). The name comes first because files are processed
    in name order, so a build's inserts land next to each other in the key's index; digests
    alone put each insert on a page of its own (512,000 entries of 2.2 kB in batches of 64:
    69 us an entry at first, 91 at the end, against 31 throughout; 10.1 against 4.6 GB written
    to disk)."""
    digest = hashlib.sha256(f"{fingerprint}\0{name}\0{sha256}".encode()).hexdigest()
    return f"{name}\x1f{digest[:32]}"


class RecordCache:
    """Read-write handle, for the main process.

    The cache only saves time, so its damage never fails a build: a file that is not a
    database (or whose pages are malformed) is discarded and made anew, a write that fails
    (a full disk) stops the writes, and an entry that cannot be unpacked is computed again;
    each is said in `notes`, which the build prints as warnings."""

    def __init__(self, folder: Path, fingerprint: str) -> None:
        self.path = folder / CACHE_FILE
        self.fingerprint = fingerprint
        self.notes: list[str] = []
        self._usable = True
        self._db: sqlite3.Connection | None = None
        self._pending: list[tuple[str, str, bytes]] = []
        self._pending_bytes = 0
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._db = self._open()
            return
        except (sqlite3.Error, OSError) as e:
            first = e
        # not a database, malformed, a folder or a dangling link in its place, a read-only
        # file: a damaged cache, made anew; if even that fails (a full or read-only disk), the
        # run goes on without a cache
        try:
            self._discard(f"it could not be used ({_reason(first)})")
            self._db = self._open()
        except (sqlite3.Error, OSError) as e:
            self._fail(e)

    @property
    def usable(self) -> bool:
        """Whether workers may read it (a cache that could not be opened is not there)."""
        return self._db is not None and self._usable

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            # a cache need not survive a power cut, only stay consistent: in WAL mode NORMAL
            # syncs at checkpoints, not at every commit (~0.1 s a commit on this project's VMs)
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, rules TEXT, value BLOB)"
            )
            # entries made by other code or settings can never be hit again
            db.execute("DELETE FROM entries WHERE rules != ?", (self.fingerprint,))
        except BaseException:
            db.close()
            raise
        return db

    def _discard(self, why: str) -> None:
        for suffix in ("", "-wal", "-shm"):
            target = Path(f"{self.path}{suffix}")
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)
        self.notes.append(f"record cache {self.path}: {why}; it was deleted and made anew")

    def _fail(self, e: Exception | str) -> None:
        """Stop using the cache for this run (a full disk, pages found malformed); `e` may be
        what a worker's write failed with (`WorkerCache.failure`)."""
        if self._usable:
            self._usable = False
            reason = e if isinstance(e, str) else _reason(e)
            self.notes.append(
                f"record cache {self.path}: {reason}; this run went on without it (free "
                "space, or delete the folder: it only saves time)"
            )

    def failed_in_worker(self, reason: str) -> None:
        self._fail(reason)

    def put(self, key: str, value: bytes) -> None:
        if not self._usable:
            return
        self._pending.append((key, self.fingerprint, value))
        self._pending_bytes += len(value)
        # a transaction per batch, and never much held back: records of 1,000-record files
        # are megabytes each, a pair verdict ~100 bytes
        if self._pending_bytes >= 32 << 20:
            self.flush()

    def flush(self) -> None:
        if self._pending and self._usable and self._db is not None:
            try:
                insert_all(self._db, self._pending)
            except (sqlite3.Error, OSError) as e:
                self._fail(e)
        self._pending.clear()
        self._pending_bytes = 0

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        self.flush()
        found: dict[str, bytes] = {}
        if not self._usable or self._db is None:
            return found
        try:
            for start in range(0, len(keys), 500):  # SQLite's bound on query parameters
                part = keys[start : start + 500]
                marks = ",".join("?" * len(part))
                query = f"SELECT key, value FROM entries WHERE key IN ({marks})"
                # a value that is not a blob (altered on disk) is a miss
                rows = self._db.execute(query, part)
                found.update((k, bytes(v)) for k, v in rows if isinstance(v, bytes))
        except sqlite3.Error as e:
            self._fail(e)
            return {}
        return found

    def close(self) -> None:
        self.flush()
        if self._db is not None:
            self._db.close()


class PairScoreCache:
    """Verification verdicts of candidate pairs, keyed by the two head articles' ids (content
    hashes) under the same rules fingerprint: a rebuild verifies only pairs it has not seen."""

    def __init__(self, cache: RecordCache) -> None:
        self._cache = cache

    def _key(self, pair: tuple[str, str]) -> str:
        return entry_key(self._cache.fingerprint, "pair", "\0".join(pair))

    def get_many(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], PairScore]:
        # the verdict type, imported here (a build's dedup stage), not when `validate` loads
        from kcna_dataset.stages.dedup.verify import PairScore

        keys = {self._key(p): p for p in pairs}
        found = {}
        for k, v in self._cache.get_many(list(keys)).items():
            score = unpack_or_none(v)
            if isinstance(score, PairScore):  # a damaged entry is verified again
                found[keys[k]] = score
        return found

    def put_many(self, scores: Mapping[tuple[str, str], PairScore]) -> None:
        for pair, score in scores.items():
            self._cache.put(self._key(pair), pack(score))
        self._cache.flush()


class WorkerCache:
    """A worker's handle: looks entries up, and stores the entries of the files it processed,
    one transaction per batch (WAL: one writer at a time, readers never blocked). The workers
    write, not the main process: at a million pages the writes were the main process's largest
    cost, and it gathers what every worker returns. A lookup that fails (a malformed page) is a
    miss: the file is parsed again; a write that fails (a full disk) stops this handle's writes
    and is said in `failure`, which the main process turns into its note."""

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.fingerprint = fingerprint
        self.failure: str | None = None
        try:
            self._db: sqlite3.Connection | None = self._connect(path)
        except sqlite3.Error as e:
            self._db = None
            self.failure = _reason(e)

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        # mode=rw: the main process made the file; a worker never creates one
        db = sqlite3.connect(
            f"file:{path}?mode=rw",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            timeout=60,  # another worker's transaction (a checkpoint at worst) is waited for
        )
        db.execute("PRAGMA synchronous=NORMAL")  # a connection's own setting (see RecordCache)
        return db

    def get(self, key: str) -> bytes | None:
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT value FROM entries WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        # a value that is not a blob (TEXT or NULL, altered on disk) is a miss
        return None if row is None or not isinstance(row[0], bytes) else bytes(row[0])

    def put_many(self, entries: Sequence[tuple[str, bytes]]) -> None:
        if self._db is None or self.failure is not None or not entries:
            return
        rows = [(key, self.fingerprint, value) for key, value in entries]
        try:
            insert_all(self._db, rows)
        except (sqlite3.Error, OSError) as e:
            self.failure = _reason(e)


def insert_all(db: sqlite3.Connection, rows: Sequence[tuple[str, str, bytes]]) -> None:
    """`rows` stored in one transaction, or none of them. The connections are in autocommit
    mode (isolation_level=None), where `with db:` opens no transaction: each INSERT committed on
    its own, twice the time (100 against 51 us a 2.2 kB page entry) and a write lock handed
    over between the workers at every row."""
    db.execute("BEGIN IMMEDIATE")
    try:
        db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", rows)
    except BaseException:
        # suppressed: the transaction may be gone already (SQLite rolled it back)
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _reason(e: BaseException) -> str:
    return (e.strerror if isinstance(e, OSError) else None) or str(e) or type(e).__name__


def unpack_or_none(packed: bytes) -> Any:
    """unpack, or None when the bytes are damaged (a cache entry altered on disk)."""
    try:
        return unpack(packed)
    except Exception:  # zstd, or any way unpickling can fail
        return None
