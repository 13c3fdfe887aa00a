"""The dedup run: Articles -> Statements, each article with a Membership (how it joined).

It reads as its stages, in order, each timed (DedupResult.seconds):
1. units (`units.py`): copies whose comparison texts are equal (exact / normalized);
2. candidates (`candidates.py`): MinHash LSH over the whole text and its opening, and one
   outlet's copies under one URL on one date; crowds split, so the pairs stay near linear;
3. verification (`verify.py`): every candidate pair judged on the real texts by the rules of
   docs/DEDUP.md (substitutions by alignment, revisions in place, short texts, every script);
4. clustering (`clustering.py`): star clustering in rank order, guarded against chaining;
5. statements (`_statements` below): one Statement per cluster, a Membership per article.
Verification runs interleaved with clustering, a block of units ahead (in the pool's workers).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache, partial
from typing import Any, Protocol

import numpy as np
import pyarrow as arrow
import pyarrow.compute as pc

from kcna_dataset.article_table import ArticleTable
from kcna_dataset.config import DedupConfig
from kcna_dataset.records import Article, Membership, StageStats, Statement
from kcna_dataset.runtime.memory import drop_pages
from kcna_dataset.schema import SLICE_ROWS
from kcna_dataset.sources import SourceRegistry
from kcna_dataset.stages.dedup.candidates import candidate_pairs, url_keys
from kcna_dataset.stages.dedup.clustering import Clusters, cluster
from kcna_dataset.stages.dedup.minhash import neighbours
from kcna_dataset.stages.dedup.normalize import comparison_text, match_key
from kcna_dataset.stages.dedup.sketch import Sketches, sketch_bodies, unit_features
from kcna_dataset.stages.dedup.units import Unit, make_units
from kcna_dataset.stages.dedup.verify import (
    Features,
    PairScore,
    title_substitutions,
    verify,
    versions_conflict,
)
from kcna_dataset.timing import timed

__all__ = [
    "DedupResult",
    "Evidence",
    "Found",
    "MapFunction",
    "PairScore",
    "Sketches",
    "comparison_text",
    "deduplicate",
    "find_candidates",
    "match_key",
    "settle",
    "sketch_bodies",
    "verify",
]


@dataclass(frozen=True, slots=True)
class DedupResult:
    statements: list[Statement]
    membership: dict[str, Membership]  # article_id -> how it joined
    evidence: dict[str, Evidence]  # article_id -> how a near/contained copy was verified
    stats: StageStats
    candidates: int = 0  # candidate unit pairs (LSH and URL identity)
    verified: dict[str, int] = field(default_factory=dict)  # verdicts over candidate pairs
    seconds: dict[str, float] = field(default_factory=dict)  # per stage


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a copy joined: the pair it verified as, against which article (the canonical copy,
    or a member it bridged through, in which case `to_canonical` shows it has no conflict)."""

    against: str  # article_id
    score: PairScore
    to_canonical: PairScore | None = None  # set when `against` is not the canonical copy


def _equal_bodies(table: ArticleTable, pairs: Sequence[tuple[int, int]]) -> dict[int, bool]:
    """{row a: body of a == body of b} for (a, b) pairs, compared in Arrow a slice at a time."""
    out: dict[int, bool] = {}
    for start in range(0, len(pairs), SLICE_ROWS):
        part = pairs[start : start + SLICE_ROWS]
        left = table.column_at("body", [a for a, _ in part])
        right = table.column_at("body", [b for _, b in part])
        same = pc.equal(left, right).to_pylist()
        out.update(zip((a for a, _ in part), same, strict=True))
    return out


def rank_positions(table: ArticleTable, priorities: Sequence[int]) -> list[int]:
    """Each row's position when the rows are ordered by (source priority, published date,
    longest body first, article id): the order in which a copy becomes canonical. Arrow
    compares strings by their UTF-8 bytes, which orders them as Python does (by code point)."""
    data = table.table
    keys = arrow.table(
        {
            "priority": arrow.array(priorities, arrow.int64()),
            "published_date": data.column("published_date"),
            "length": pc.negate(pc.utf8_length(data.column("body"))),
            "article_id": data.column("article_id"),
        }
    )
    order = pc.sort_indices(keys, sort_keys=[(name, "ascending") for name in keys.column_names])
    positions = np.empty(len(order), dtype=np.int64)
    positions[order.to_numpy()] = np.arange(len(order), dtype=np.int64)
    return positions.tolist()


def statement_id_for(key: bytes, first: date) -> str:
    digest = hashlib.sha256(key.hex().encode() + f"\x1f{first.isoformat()}".encode()).hexdigest()
    return f"s-{digest[:16]}"


# units whose candidate pairs are verified together (one task in the pool), and how many such
# blocks are in the pool ahead of the clustering (enough to keep two workers busy). Copies rank
# after the canonical copies, so the pairs gather in the last blocks: blocks of 1,024 units
# share them between the workers (4,096 left one worker with nearly all of them; at 20,000
# records the verification went from 1.2-1.3 s to 0.87-0.91 s with two jobs)
VERIFY_BLOCK = 1024
LOOKAHEAD = 8
# the pairs of one block are split into tasks of at most this many: copies rank after the
# canonical copies, so a block near the end can hold most of the pairs (1,153 of 1,950 at
# 20,000 records), which as one task left the other worker idle
TASK_PAIRS = 128
# map(function, iterable) -> iterable of results, in order: builtin map, or a process pool's
MapFunction = Callable[..., Iterable[Any]]


class ScoreStore(Protocol):
    """Verdicts of earlier runs, by (article id, article id) of the two texts verified."""

    def get_many(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], PairScore]: ...

    def put_many(self, scores: Mapping[tuple[str, str], PairScore]) -> None: ...


def verify_block(
    pairs: Sequence[tuple[int, int, bool]],
    texts: Sequence[tuple[str, str, date, str]],
    config: DedupConfig,
) -> list[PairScore]:
    """The verdicts of `pairs` (positions in `texts`, and whether the two share a URL): one
    pool task, each text (body, title, date, source) read once."""
    features = [unit_features(*text, config.shingle_size) for text in texts]
    return [verify(features[a], features[b], config, same_url) for a, b, same_url in pairs]


def deduplicate(
    articles: Sequence[Article],
    registry: SourceRegistry,
    config: DedupConfig | None = None,
    sketches: Sketches | None = None,
    map_fn: MapFunction = map,
    progress: Callable[[str, int, int], None] | None = None,
    scores: ScoreStore | None = None,
) -> DedupResult:
    """Group copies of one statement. `sketches` (row i = articles[i]) are computed when not
    given; `map_fn` computes the crowds' keys and runs the verification blocks (a process
    pool's map uses both cores); `scores` holds pair verdicts of earlier runs (the same texts
    give the same verdict under the same settings), and receives the new ones."""
    found = find_candidates(articles, registry, config, sketches, map_fn)
    return settle(found, map_fn, progress, scores)


@dataclass(frozen=True, slots=True)
class Found:
    """Stages 1 and 2 done: what the later stages need. The sketches are not among it, so a
    caller that drops its own reference frees them (656 bytes an article: 0.66 GB at a
    million) before verification."""

    table: ArticleTable
    rows: Rows
    units: list[Unit]
    candidates: Candidates
    config: DedupConfig
    seconds: dict[str, float]


def find_candidates(
    articles: Sequence[Article],
    registry: SourceRegistry,
    config: DedupConfig | None = None,
    sketches: Sketches | None = None,
    map_fn: MapFunction = map,
) -> Found:
    """1. units and 2. candidates (see `deduplicate`)."""
    config = config or DedupConfig()
    # columns, not Article objects: at a million articles the objects alone take gigabytes
    table = ArticleTable.of(articles)
    del articles
    seconds: dict[str, float] = {}
    with timed("units", seconds):
        if sketches is None:
            sketches = sketch_table(table, config)
        if len(sketches) != len(table):
            raise ValueError(f"{len(sketches)} sketches for {len(table)} articles")
        rows = Rows.of(table, registry)
        units = exact_copies(table, sketches, rows, config)
    with timed("candidates", seconds):
        found = Candidates.of(table, sketches, units, rows, config, map_fn)
    return Found(table, rows, units, found, config, seconds)


def settle(
    found: Found,
    map_fn: MapFunction = map,
    progress: Callable[[str, int, int], None] | None = None,
    scores: ScoreStore | None = None,
) -> DedupResult:
    """3. verification, 4. clustering and 5. statements over what `find_candidates` found."""
    table, rows, units, candidates, config = (
        found.table,
        found.rows,
        found.units,
        found.candidates,
        found.config,
    )
    seconds = dict(found.seconds)
    stats = StageStats("dedup", total=len(table))
    with timed("verification+clustering", seconds):
        verification = Verification(table, units, candidates, rows, config, map_fn, scores)
        clusters = cluster(
            candidates.near,
            verification.score_of,
            config,
            verification.progress_to(progress),
            verification.conflict_of,
        )
        if progress:
            progress("dedup", len(units), len(units))
        verification.store()
        verdicts = dict(clusters.verdicts)
        if candidates.outside:
            verdicts["outside-window"] = verdicts.get("outside-window", 0) + candidates.outside
    with timed("statements", seconds):
        statements, membership, evidence = _statements(
            table, units, clusters, candidates.head_rows, candidates.heads, rows.priority, stats
        )
    return DedupResult(
        statements,
        membership,
        evidence,
        stats,
        candidates.pairs,
        verdicts,
        {stage: round(s, 3) for stage, s in seconds.items()},
    )


def sketch_table(table: ArticleTable, config: DedupConfig) -> Sketches:
    """The sketches of every body, a slice at a time (when the workers did not make them)."""
    body = table.table.column("body")
    return Sketches.concat(
        [
            sketch_bodies(body.slice(start, SLICE_ROWS).to_pylist(), config)
            for start in range(0, len(table), SLICE_ROWS)
        ],
        config.bands,
    )


@dataclass(frozen=True, slots=True)
class Rows:
    """The columns every stage looks up by row, and each row's place in canonical rank order
    (source priority, earliest, longest, smallest id)."""

    ids: list[str]
    sources: list[str]
    dates: list[date]
    priority: dict[str, int]
    rank_of: list[int]

    @classmethod
    def of(cls, table: ArticleTable, registry: SourceRegistry) -> Rows:
        sources: list[str] = table.column("source")
        priority = {s: registry.by_slug(s).priority for s in set(sources)}
        # sorted in Arrow: a Python key tuple per row cost ~0.4 s at 200,000 articles
        rank_of = rank_positions(table, [priority[s] for s in sources])
        drop_pages()  # every body was read: out of the process until verification needs a few
        return cls(
            table.column("article_id"), sources, table.column("published_date"), priority, rank_of
        )


def exact_copies(
    table: ArticleTable, sketches: Sketches, rows: Rows, config: DedupConfig
) -> list[Unit]:
    """1. units: the copies whose comparison texts are equal (exact and normalised copies)."""

    def letterless(members: list[int]) -> list[bool]:
        if not members:
            return []
        has = pc.match_substring_regex(table.column_at("body", members), r"\pL")
        return [not x for x in has.to_pylist()]

    return make_units(
        sketches.keys,
        rows.dates,
        rows.ids,
        rows.rank_of,
        config.window_days,
        letterless,
        partial(table.values, "title"),
        partial(_split_titles, table, config),
    )


@dataclass(frozen=True, slots=True)
class Candidates:
    """2. candidates: unit pairs that LSH (over the whole text and its opening) or URL identity
    found, those within the date window as each unit's neighbours."""

    head_rows: list[int]  # each unit's head row, in rank order
    heads: list[str]  # each unit's head article id
    urls_of: dict[int, frozenset[str]]  # unit -> the URL keys it shares with another unit
    in_window: list[tuple[int, int]]  # (later, earlier) in rank order, as clustering visits them
    near: list[Sequence[int]]  # each unit's neighbours within the window
    pairs: int  # candidate pairs found
    outside: int  # of them, published further apart than the window (decided without texts)

    @classmethod
    def of(
        cls,
        table: ArticleTable,
        sketches: Sketches,
        units: Sequence[Unit],
        rows: Rows,
        config: DedupConfig,
        map_fn: MapFunction = map,
    ) -> Candidates:
        head_rows = [u.members[0] for u in units]
        urls_of = _unit_urls(table, units)
        pairs = candidate_pairs(
            sketches.bands,
            head_rows,
            _groups(urls_of),
            config,
            partial(table.values, "body"),
            map_fn,
        )
        # pairs published further apart than the window are decided without the texts, here
        # in numpy: on a large corpus they are most of the pairs (same wording, other years)
        days = np.array([rows.dates[r].toordinal() for r in head_rows], dtype=np.int64)
        inside = np.abs(days[pairs[:, 0]] - days[pairs[:, 1]]) <= config.window_days
        in_window = list(zip(pairs[inside, 1].tolist(), pairs[inside, 0].tolist(), strict=True))
        return cls(
            head_rows,
            [rows.ids[r] for r in head_rows],
            urls_of,
            in_window,
            neighbours(in_window, len(units)),
            len(pairs),
            int(len(pairs) - inside.sum()),
        )


class Verification:
    """3. verification: the verdict of every candidate pair the clustering (4.) asks for.

    The pairs within the window not verified before (most units have none) are verified in
    the pool, a block of units per task, LOOKAHEAD blocks ahead of the clustering: a task
    carries its texts, reads each once and returns the verdicts, so the main process holds no
    token sets (a text paired across blocks is read once per block). Verdicts of earlier runs
    come from `scores`, and the new ones go back to it (`store`)."""

    def __init__(
        self,
        table: ArticleTable,
        units: Sequence[Unit],
        found: Candidates,
        rows: Rows,
        config: DedupConfig,
        map_fn: MapFunction,
        scores: ScoreStore | None,
    ) -> None:
        self.table, self.found, self.rows, self.config = table, found, rows, config
        self.map_fn, self.scores, self.units = map_fn, scores, len(units)
        self.known: dict[tuple[str, str], PairScore] = {}
        if scores is not None:
            self.known = scores.get_many([self.key_of(i, j) for i, j in found.in_window])
        self.fresh: dict[tuple[str, str], PairScore] = {}
        self._blocks = iter(range(0, self.units, VERIFY_BLOCK))
        # per block: its tasks, each (pairs, the task's verdicts)
        self._ahead: deque[list[tuple[list[tuple[int, int]], Iterator[list[PairScore]]]]] = deque()
        # a pair the blocks did not carry (a bridge from a copy to its center) reads its texts
        # here, each once while it is in use
        self.features_of = lru_cache(maxsize=VERIFY_BLOCK)(self._features)

    def same_url(self, i: int, j: int) -> bool:
        urls_of = self.found.urls_of
        return i in urls_of and j in urls_of and not urls_of[i].isdisjoint(urls_of[j])

    def key_of(self, i: int, j: int) -> tuple[str, str]:
        # a verdict depends on the two texts, and on whether they share a URL
        heads = self.found.heads
        return (heads[i], heads[j] + ("#url" if self.same_url(i, j) else ""))

    def texts_of(self, units: Sequence[int]) -> list[tuple[str, str, date, str]]:
        rows = [self.found.head_rows[k] for k in units]
        return list(
            zip(
                self.table.values("body", rows),
                self.table.values("title", rows),
                [self.rows.dates[r] for r in rows],
                [self.rows.sources[r] for r in rows],
                strict=True,
            )
        )

    def _features(self, k: int) -> Features:
        return unit_features(*self.texts_of([k])[0], self.config.shingle_size)

    def submit(self) -> None:
        """Send blocks to the pool until LOOKAHEAD are ahead of the clustering."""
        near = self.found.near
        while len(self._ahead) < LOOKAHEAD and (start := next(self._blocks, None)) is not None:
            todo = [
                (i, j)
                for i in range(start, min(start + VERIFY_BLOCK, self.units))
                for j in near[i]
                if j < i and self.key_of(i, j) not in self.known
            ]
            tasks = []
            for first in range(0, len(todo), TASK_PAIRS):
                part = todo[first : first + TASK_PAIRS]
                texts = sorted({k for pair in part for k in pair})
                local = {k: n for n, k in enumerate(texts)}
                positions = [(local[i], local[j], self.same_url(i, j)) for i, j in part]
                verdicts_of = self.map_fn(
                    partial(verify_block, config=self.config), [positions], [self.texts_of(texts)]
                )
                tasks.append((part, iter(verdicts_of)))
            self._ahead.append(tasks)

    def receive(self) -> None:
        """The verdicts of the oldest block sent."""
        for part, results in self._ahead.popleft():
            self.fresh.update(
                (self.key_of(i, j), score)
                for (i, j), score in zip(part, next(results), strict=True)
            )

    def progress_to(
        self, progress: Callable[[str, int, int], None] | None
    ) -> Callable[[int], None]:
        """What the clustering calls at each unit: at each block's first, the pool is topped
        up, the block's verdicts taken in, and progress said."""

        def on_unit(i: int) -> None:
            if i % VERIFY_BLOCK == 0:
                self.submit()
                self.receive()
                if progress:
                    progress("dedup", i, self.units)

        return on_unit

    def score_of(self, i: int, j: int) -> PairScore:
        key = self.key_of(i, j)
        if (score := self.known.get(key) or self.fresh.get(key)) is None:
            score = self.fresh[key] = verify(
                self.features_of(i), self.features_of(j), self.config, self.same_url(i, j)
            )
        return score

    def conflict_of(self, i: int, j: int) -> str | None:
        return versions_conflict(self.features_of(i), self.features_of(j), self.config)

    def store(self) -> None:
        if self.scores is not None and self.fresh:
            self.scores.put_many(self.fresh)


def _split_titles(
    table: ArticleTable, config: DedupConfig, rows: list[int], titles: list[str]
) -> list[list[int]]:
    """Copies of one text (rows in rank order, with their titles) parted where their titles
    substitute a name or number: each joins the first part whose title it does not conflict
    with."""
    if len({t.casefold() for t in titles}) == 1:  # one title, written another way
        return [rows]
    body = table.values("body", rows[:1])[0]
    dates = table.values("published_date", rows)
    sources = table.values("source", rows)
    parts: list[tuple[Features, list[int]]] = []
    for row, title, day, source in zip(rows, titles, dates, sources, strict=True):
        mine = unit_features(body, title, day, source, config.shingle_size)
        for theirs, part in parts:
            if not title_substitutions(theirs, mine, set(mine.words.names)):
                part.append(row)
                break
        else:
            parts.append((mine, [row]))
    return [part for _, part in parts]


def _unit_urls(table: ArticleTable, units: Sequence[Unit]) -> dict[int, frozenset[str]]:
    """unit -> the url_keys of its copies, for the units that share a url_key with another.
    The keys are made in Arrow and only repeated ones are looked at."""
    data = table.table
    keys = url_keys(data.column("source"), data.column("published_date"), data.column("url"))
    counts = pc.value_counts(keys)
    repeated = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
    rows = np.flatnonzero(pc.is_in(keys, value_set=repeated).to_numpy(zero_copy_only=False))
    if len(rows) == 0:
        return {}
    unit_of = {}
    for i, u in enumerate(units):
        for r in u.members:
            unit_of[r] = i
    by_key: dict[str, set[int]] = defaultdict(set)
    for r, key in zip(rows.tolist(), pc.take(keys, arrow.array(rows)).to_pylist(), strict=True):
        if key is not None:
            by_key[key].add(unit_of[r])
    out: dict[int, set[str]] = defaultdict(set)
    for key, group in by_key.items():
        if len(group) > 1:
            for i in group:
                out[i].add(key)
    return {i: frozenset(keys) for i, keys in out.items()}


def _groups(urls_of: Mapping[int, frozenset[str]]) -> list[list[int]]:
    by_key: dict[str, list[int]] = defaultdict(list)
    for i, keys in urls_of.items():
        for key in keys:
            by_key[key].append(i)
    return list(by_key.values())


def _statements(
    table: ArticleTable,
    units: Sequence[Unit],
    clusters: Clusters,
    head_rows: Sequence[int],
    heads: Sequence[str],
    priority: Mapping[str, int],
    stats: StageStats,
) -> tuple[list[Statement], dict[str, Membership], dict[str, Evidence]]:
    ids: list[str] = table.column("article_id")
    sources: list[str] = table.column("source")
    dates: list[date] = table.column("published_date")
    groups = clusters.members()
    # exact or normalised: does a copy in the center's own unit have the canonical body?
    same_unit = [(r, head_rows[c]) for c in groups for r in units[c].members[1:]]
    exact = _equal_bodies(table, same_unit)
    centers = list(groups)
    canonical_rows = [head_rows[c] for c in centers]
    columns = {
        name: table.values(name, canonical_rows) for name in ("title", "dateline", "url", "topic")
    }
    statements: list[Statement] = []
    membership: dict[str, Membership] = {}
    evidence: dict[str, Evidence] = {}
    for n, c in enumerate(centers):
        members = groups[c]
        canonical = head_rows[c]
        if len(members) == 1 and len(units[c].members) == 1:  # most statements: one copy
            copies = units[c].members
            first = dates[canonical]
            slugs = [sources[canonical]]
        else:
            copies = [r for i in members for r in units[i].members]
            first = min(dates[r] for r in copies)
            slugs = sorted({sources[r] for r in copies}, key=priority.__getitem__)
        statement_id = statement_id_for(units[c].key, first)
        revisions = 0
        for i in members:
            for r in units[i].members:
                if r == canonical:
                    membership[ids[r]] = Membership(statement_id, None, None)
                    continue
                if i == c:
                    match = "exact" if exact[r] else "normalized"
                    membership[ids[r]] = Membership(statement_id, match, 1.0)
                else:
                    score = clusters.joined_by[i]
                    to_center = clusters.bridged.get(i)
                    against = heads[clusters.via.get(i, c)]
                    similarity = (to_center or score).similarity
                    membership[ids[r]] = Membership(statement_id, score.match, round(similarity, 4))
                    evidence[ids[r]] = Evidence(against, score, to_center)
                    revisions += score.match == "revised"
                stats.drop(f"merged ({membership[ids[r]].match})")
        statements.append(
            Statement(
                statement_id=statement_id,
                title=columns["title"][n],
                published_date=first,
                dateline=columns["dateline"][n],
                canonical_article_id=ids[canonical],
                canonical_source=sources[canonical],
                sources=tuple(slugs),
                article_count=len(copies),
                url=columns["url"][n],
                topic=columns["topic"][n],
                revision_count=revisions,
            )
        )
    stats.kept = len(statements)
    statements.sort(key=lambda s: (s.published_date, s.statement_id))
    return statements, membership, evidence
