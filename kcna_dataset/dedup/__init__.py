"""Dedup stage: Articles -> Statements, each article with a Membership (how it joined).

1. Copies whose comparison texts are equal (`match_key`) form units (exact / normalized), split
   where their dates lie further apart than the window.
2. Candidate unit pairs come from MinHash LSH over the whole text and over its opening (so a
   truncated reprint is found); no pair is merged without verification on the real token sets
   (`verify`): similarity, the date window, and the numbers/names that template messages and
   daily series differ in.
3. Star clustering guards against chaining: units are visited in canonical rank order (source
   priority, earliest, longest, smallest id); each joins the best verified *center* among its
   candidates, or becomes a center. A~B and B~C never merge A and C unless C matches A itself.
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
from kcna_dataset.dedup.minhash import (
    candidate_codes,
    neighbours,
    pairs_of_codes,
    sorted_unique,
)
from kcna_dataset.dedup.normalize import comparison_text, match_key
from kcna_dataset.dedup.sketch import Sketches, sketch_bodies, unit_features
from kcna_dataset.dedup.verify import Features, PairScore, bridgeable, verify
from kcna_dataset.records import Article, Membership, StageStats, Statement
from kcna_dataset.schema import SLICE_ROWS
from kcna_dataset.sources import SourceRegistry
from kcna_dataset.spool import drop_pages

__all__ = [
    "DedupResult",
    "Evidence",
    "MapFunction",
    "PairScore",
    "Sketches",
    "comparison_text",
    "deduplicate",
    "match_key",
    "sketch_bodies",
    "verify",
]


@dataclass(frozen=True, slots=True)
class DedupResult:
    statements: list[Statement]
    membership: dict[str, Membership]  # article_id -> how it joined
    evidence: dict[str, Evidence]  # article_id -> how a near/contained copy was verified
    stats: StageStats
    candidates: int = 0  # candidate unit pairs from LSH
    verified: dict[str, int] = field(default_factory=dict)  # verdicts over candidate pairs


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a copy joined: the pair it verified as, against which article (the canonical copy,
    or a member it bridged through, in which case `to_canonical` shows it has no conflict)."""

    against: str  # article_id
    score: PairScore
    to_canonical: PairScore | None = None  # set when `against` is not the canonical copy


@dataclass(slots=True)
class _Unit:
    key: bytes  # match-key digest shared by the members
    # rows of the articles (and sketches) given to deduplicate, in rank order; members[0], the
    # head, represents the unit
    members: list[int]


def _split_by_window(
    copies: list[int], dates: Sequence[date], ids: Sequence[str], window_days: int
) -> list[list[int]]:
    copies = sorted(copies, key=lambda i: (dates[i], ids[i]))
    groups: list[list[int]] = [[copies[0]]]
    for i in copies[1:]:
        if (dates[i] - dates[groups[-1][0]]).days > window_days:
            groups.append([i])
        else:
            groups[-1].append(i)
    return groups


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
# blocks are in the pool ahead of the clustering (enough to keep two workers busy)
VERIFY_BLOCK = 4096
LOOKAHEAD = 4
# map(function, iterable) -> iterable of results, in order: builtin map, or a process pool's
MapFunction = Callable[..., Iterable[Any]]


class ScoreStore(Protocol):
    """Verdicts of earlier runs, by (article id, article id) of the two texts verified."""

    def get_many(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], PairScore]: ...

    def put_many(self, scores: Mapping[tuple[str, str], PairScore]) -> None: ...


def verify_block(
    pairs: Sequence[tuple[int, int]],
    bodies: Sequence[str],
    published: Sequence[date],
    config: DedupConfig,
) -> list[PairScore]:
    """The verdicts of `pairs` (positions in `bodies`): one pool task, each text tokenised once."""
    features = [
        unit_features(body, day, config.shingle_size)
        for body, day in zip(bodies, published, strict=True)
    ]
    return [verify(features[a], features[b], config) for a, b in pairs]


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
    given; `map_fn` computes the candidate texts' token sets (a process pool's map uses both
    cores); `scores` holds pair verdicts of earlier runs (the same texts give the same verdict
    under the same settings), and receives the new ones."""
    config = config or DedupConfig()
    # columns, not Article objects: at a million articles the objects alone take gigabytes
    table = ArticleTable.of(articles)
    del articles
    stats = StageStats("dedup", total=len(table))
    if sketches is None:
        body = table.table.column("body")
        sketches = Sketches.concat(
            [
                sketch_bodies(body.slice(start, SLICE_ROWS).to_pylist(), config)
                for start in range(0, len(table), SLICE_ROWS)
            ],
            config.bands,
        )
    if len(sketches) != len(table):
        raise ValueError(f"{len(sketches)} sketches for {len(table)} articles")
    ids: list[str] = table.column("article_id")
    sources: list[str] = table.column("source")
    dates: list[date] = table.column("published_date")
    priority = {s: registry.by_slug(s).priority for s in set(sources)}
    # every row's place in canonical rank order (source priority, earliest, longest, smallest
    # id), sorted in Arrow: a Python key tuple per row cost ~0.4 s at 200,000 articles
    rank_of = rank_positions(table, [priority[s] for s in sources])
    drop_pages()  # every body was read: out of the process until verification needs a few

    def body_of(row: int) -> str:
        return str(table.values("body", [row])[0])

    # 1. exact / normalised units
    by_key: dict[bytes, list[int]] = defaultdict(list)
    for i, key in enumerate(sketches.keys.tolist()):
        by_key[key].append(i)
    units = []
    for key, copies in by_key.items():
        if len(copies) == 1:  # most texts: nothing to split or order
            units.append(_Unit(key, copies))
            continue
        for group in _split_by_window(copies, dates, ids, config.window_days):
            group.sort(key=rank_of.__getitem__)
            units.append(_Unit(key, group))
    del by_key
    units.sort(key=lambda u: rank_of[u.members[0]])

    # 2. candidates between units, over the whole text and over its opening
    head_rows = [u.members[0] for u in units]  # each unit's head row, in rank order
    unit_rows = np.array(head_rows, dtype=np.int64)
    codes = sorted_unique(
        np.concatenate(
            [
                candidate_codes(sketches.bands[:, : config.bands], unit_rows),
                candidate_codes(sketches.bands[:, config.bands :], unit_rows),
            ]
        )
    )
    pairs = pairs_of_codes(codes, len(units))
    del codes, unit_rows
    # pairs published further apart than the window are decided without the texts, here in
    # numpy: on a large corpus they are most of the pairs (same wording, other years)
    days = np.array([dates[r].toordinal() for r in head_rows], dtype=np.int64)
    inside = np.abs(days[pairs[:, 0]] - days[pairs[:, 1]]) <= config.window_days
    outside = int(len(pairs) - inside.sum())
    # (later, earlier) in rank order, as the clustering visits them
    in_window = list(zip(pairs[inside, 1].tolist(), pairs[inside, 0].tolist(), strict=True))
    near = neighbours(in_window, len(units))
    heads = [ids[r] for r in head_rows]
    known: dict[tuple[str, str], PairScore] = {}
    if scores is not None:
        known = scores.get_many([(heads[i], heads[j]) for i, j in in_window])
    fresh: dict[tuple[str, str], PairScore] = {}

    # the pairs within the window not verified before (most units have none) are verified in
    # the pool, a block of units per task, LOOKAHEAD blocks ahead of the clustering: a task
    # carries its texts' bodies, builds each text's token sets once and returns the verdicts,
    # so the main process holds no token sets (a text paired across blocks is tokenised once
    # per block)
    def block_task(start: int) -> tuple[list[tuple[int, int]], list[int], list[str], list[date]]:
        pairs = [
            (i, j)
            for i in range(start, min(start + VERIFY_BLOCK, len(units)))
            for j in near[i]
            if j < i and (heads[i], heads[j]) not in known
        ]
        texts = sorted({k for pair in pairs for k in pair})
        rows = [head_rows[k] for k in texts]
        return pairs, texts, table.values("body", rows), [dates[r] for r in rows]

    blocks = iter(range(0, len(units), VERIFY_BLOCK))
    ahead: deque[tuple[list[tuple[int, int]], Iterator[list[PairScore]]]] = deque()

    def submit() -> None:
        while len(ahead) < LOOKAHEAD and (start := next(blocks, None)) is not None:
            pairs, texts, bodies, published = block_task(start)
            local = {k: n for n, k in enumerate(texts)}
            positions = [(local[i], local[j]) for i, j in pairs]
            verdicts_of = map_fn(
                partial(verify_block, config=config), [positions], [bodies], [published]
            )
            ahead.append((pairs, iter(verdicts_of)))

    def receive() -> None:
        pairs, results = ahead.popleft()
        fresh.update(
            ((heads[i], heads[j]), score)
            for (i, j), score in zip(pairs, next(results), strict=True)
        )

    @lru_cache(maxsize=VERIFY_BLOCK)
    def features_of(k: int) -> Features:
        # a pair the blocks did not carry: a bridge from a copy to its center
        row = head_rows[k]
        return unit_features(body_of(row), dates[row], config.shingle_size)

    def score_of(i: int, j: int) -> PairScore:
        pair = (heads[i], heads[j])
        if (score := known.get(pair) or fresh.get(pair)) is None:
            score = fresh[pair] = verify(features_of(i), features_of(j), config)
        return score

    # 3. star clustering in rank order, joining through a member only by `bridgeable`
    center_of: list[int] = []
    joined_by: dict[int, PairScore] = {}
    via: dict[int, int] = {}
    bridged: dict[int, PairScore] = {}  # unit -> its score against the center it bridged to
    verdicts: dict[str, int] = defaultdict(int)
    if outside:
        verdicts["outside-window"] = outside
    for i in range(len(units)):
        if i % VERIFY_BLOCK == 0:
            submit()
            receive()
            if progress:
                progress("dedup", i, len(units))
        if not near[i]:  # most units: no candidate, a center of its own
            center_of.append(i)
            continue
        best: tuple[tuple[float, int, float, int], int, int, PairScore] | None = None
        tried: dict[int, PairScore] = {}
        for j in near[i]:
            if j >= i:
                continue  # units are visited in rank order: only earlier ones are placed
            score = tried.get(j) or score_of(i, j)
            tried[j] = score
            verdicts[score.verdict] += 1
            if not score.match:
                continue
            c = center_of[j]
            if c != j:
                to_center = tried.get(c) or score_of(i, c)
                tried[c] = to_center
                if not bridgeable(to_center, config):
                    verdicts["bridge-refused"] += 1
                    continue
            # best evidence wins; a tie (a short opening of two texts) goes to the nearer date,
            # then to the text it is closest to as a whole
            key = (score.similarity, -score.date_gap_days, score.jaccard, -c)
            if best is None or key > best[0]:
                best = (key, c, j, score)
        if best is None:
            center_of.append(i)
        else:
            center_of.append(best[1])
            joined_by[i] = best[3]
            if best[2] != best[1]:
                via[i] = best[2]
                bridged[i] = tried[best[1]]

    if progress:
        progress("dedup", len(units), len(units))
    if scores is not None and fresh:
        scores.put_many(fresh)
    clusters: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(center_of):
        clusters[c].append(i)

    # exact or normalised: does a copy in the center's own unit have the canonical body?
    same_unit = [(r, head_rows[c]) for c in clusters for r in units[c].members[1:]]
    exact = _equal_bodies(table, same_unit)
    centers = list(clusters)
    titles = table.values("title", [head_rows[c] for c in centers])
    datelines = table.values("dateline", [head_rows[c] for c in centers])
    statements: list[Statement] = []
    membership: dict[str, Membership] = {}
    evidence: dict[str, Evidence] = {}
    for c, title, dateline in zip(centers, titles, datelines, strict=True):
        members = clusters[c]
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
        statements.append(
            Statement(
                statement_id=statement_id,
                title=title,
                published_date=first,
                dateline=dateline,
                canonical_article_id=ids[canonical],
                canonical_source=sources[canonical],
                sources=tuple(slugs),
                article_count=len(copies),
            )
        )
        for i in members:
            for r in units[i].members:
                if r == canonical:
                    membership[ids[r]] = Membership(statement_id, None, None)
                    continue
                if i == c:
                    match = "exact" if exact[r] else "normalized"
                    membership[ids[r]] = Membership(statement_id, match, 1.0)
                else:
                    score = joined_by[i]
                    to_center = bridged.get(i)
                    against = heads[via.get(i, c)]
                    similarity = (to_center or score).similarity
                    membership[ids[r]] = Membership(statement_id, score.match, round(similarity, 4))
                    evidence[ids[r]] = Evidence(against, score, to_center)
                stats.drop(f"merged ({membership[ids[r]].match})")
    stats.kept = len(statements)
    statements.sort(key=lambda s: (s.published_date, s.statement_id))
    return DedupResult(statements, membership, evidence, stats, len(pairs), dict(verdicts))
