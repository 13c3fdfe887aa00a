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
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any, Protocol

import numpy as np

from kcna_dataset.config import DedupConfig
from kcna_dataset.dedup.minhash import candidate_pair_array, neighbours
from kcna_dataset.dedup.normalize import comparison_text, match_key
from kcna_dataset.dedup.sketch import Sketches, sketch_bodies, unit_features
from kcna_dataset.dedup.verify import Features, PairScore, bridgeable, verify
from kcna_dataset.records import Article, Membership, StageStats, Statement
from kcna_dataset.sources import SourceRegistry

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
    members: list[Article]  # in rank order; members[0] represents the unit
    row: int  # the head's index in the articles (and sketches) given to deduplicate

    @property
    def head(self) -> Article:
        return self.members[0]


def _split_by_window(
    copies: list[int], articles: Sequence[Article], window_days: int
) -> list[list[int]]:
    copies = sorted(copies, key=lambda i: (articles[i].published_date, articles[i].article_id))
    groups: list[list[int]] = [[copies[0]]]
    for i in copies[1:]:
        if (articles[i].published_date - articles[groups[-1][0]].published_date).days > window_days:
            groups.append([i])
        else:
            groups[-1].append(i)
    return groups


def statement_id_for(key: bytes, first: date) -> str:
    digest = hashlib.sha256(key.hex().encode() + f"\x1f{first.isoformat()}".encode()).hexdigest()
    return f"s-{digest[:16]}"


# map(function, iterable) -> iterable of results, in order: builtin map, or a process pool's
MapFunction = Callable[..., Iterable[Any]]


class ScoreStore(Protocol):
    """Verdicts of earlier runs, by (article id, article id) of the two texts verified."""

    def get_many(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], PairScore]: ...

    def put_many(self, scores: Mapping[tuple[str, str], PairScore]) -> None: ...


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
    stats = StageStats("dedup", total=len(articles))
    if sketches is None:
        sketches = sketch_bodies([a.body for a in articles], config)
    if len(sketches) != len(articles):
        raise ValueError(f"{len(sketches)} sketches for {len(articles)} articles")

    def rank(i: int) -> tuple[int, date, int, str]:
        a = articles[i]
        return (registry.by_slug(a.source).priority, a.published_date, -len(a.body), a.article_id)

    # 1. exact / normalised units
    by_key: dict[bytes, list[int]] = defaultdict(list)
    for i, key in enumerate(sketches.keys.tolist()):
        by_key[key].append(i)
    units = []
    for key, copies in by_key.items():
        for group in _split_by_window(copies, articles, config.window_days):
            group.sort(key=rank)
            units.append(_Unit(key, [articles[i] for i in group], group[0]))
    del by_key
    units.sort(key=lambda u: rank(u.row))

    # 2. candidates between units, over the whole text and over its opening
    bands = sketches.bands[[u.row for u in units]]
    pairs = np.unique(
        np.concatenate(
            [
                candidate_pair_array(bands[:, : config.bands]),
                candidate_pair_array(bands[:, config.bands :]),
            ]
        ),
        axis=0,
    )
    del bands
    # pairs published further apart than the window are decided without the texts, here in
    # numpy: on a large corpus they are most of the pairs (same wording, other years)
    days = np.array([u.head.published_date.toordinal() for u in units], dtype=np.int64)
    inside = np.abs(days[pairs[:, 0]] - days[pairs[:, 1]]) <= config.window_days
    outside = int(len(pairs) - inside.sum())
    # (later, earlier) in rank order, as the clustering visits them
    in_window = list(zip(pairs[inside, 1].tolist(), pairs[inside, 0].tolist(), strict=True))
    near = neighbours(in_window, len(units))
    ids = [u.head.article_id for u in units]
    known: dict[tuple[str, str], PairScore] = {}
    if scores is not None:
        known = scores.get_many([(ids[i], ids[j]) for i, j in in_window])
    fresh: dict[tuple[str, str], PairScore] = {}
    # token sets only for the texts of pairs within the window not verified before: most
    # texts have none
    needed = sorted({k for i, j in in_window if (ids[i], ids[j]) not in known for k in (i, j)})
    features: dict[int, Features] = dict(
        zip(
            needed,
            map_fn(
                partial(unit_features, shingle_size=config.shingle_size),
                [units[k].head.body for k in needed],
                [units[k].head.published_date for k in needed],
            ),
            strict=True,
        )
    )

    # a text's token sets are dropped once the last unit that pairs with it is placed: they are
    # the largest objects of the stage (a bridge to a center dropped already computes it again)
    drop_after: dict[int, list[int]] = defaultdict(list)
    for k in needed:
        drop_after[max(k, *near[k])].append(k)

    dropped: set[int] = set()

    def features_of(k: int) -> Features:
        if k in features:
            return features[k]
        head = units[k].head
        found = unit_features(head.body, head.published_date, config.shingle_size)
        if k not in dropped:
            features[k] = found
        return found

    def score_of(i: int, j: int) -> PairScore:
        pair = (ids[i], ids[j])
        if (score := known.get(pair)) is None:
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
        if progress and i % 4096 == 0:
            progress("dedup", i, len(units))
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
        for k in drop_after.pop(i, ()):
            features.pop(k, None)
            dropped.add(k)
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

    statements: list[Statement] = []
    membership: dict[str, Membership] = {}
    evidence: dict[str, Evidence] = {}
    for c, members in clusters.items():
        canonical = units[c].head
        copies = [a for i in members for a in units[i].members]
        first = min(a.published_date for a in copies)
        statement_id = statement_id_for(units[c].key, first)
        slugs = sorted({a.source for a in copies}, key=lambda s: registry.by_slug(s).priority)
        statements.append(
            Statement(
                statement_id=statement_id,
                title=canonical.title,
                published_date=first,
                dateline=canonical.dateline,
                body=canonical.body,
                canonical_article_id=canonical.article_id,
                canonical_source=canonical.source,
                sources=tuple(slugs),
                article_count=len(copies),
            )
        )
        for i in members:
            for a in units[i].members:
                if a is canonical:
                    membership[a.article_id] = Membership(statement_id, None, None)
                    continue
                if i == c:
                    match = "exact" if a.body == canonical.body else "normalized"
                    membership[a.article_id] = Membership(statement_id, match, 1.0)
                else:
                    score = joined_by[i]
                    to_center = bridged.get(i)
                    against = units[via.get(i, c)].head.article_id
                    similarity = (to_center or score).similarity
                    membership[a.article_id] = Membership(
                        statement_id, score.match, round(similarity, 4)
                    )
                    evidence[a.article_id] = Evidence(against, score, to_center)
                stats.drop(f"merged ({membership[a.article_id].match})")
    stats.kept = len(statements)
    statements.sort(key=lambda s: (s.published_date, s.statement_id))
    return DedupResult(statements, membership, evidence, stats, len(pairs), dict(verdicts))
