"""Dedup stage: Articles -> Statements, each article keeping a Membership (how it joined).

Copies are grouped by `match_key` (the normalised body), then split where their published dates
are further apart than `DedupConfig.window_days`. Canonical copy, deterministically: lowest source
priority number, then earliest published, then longest body, then smallest article_id.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from kcna_dataset.config import DedupConfig
from kcna_dataset.records import Article, Membership, StageStats, Statement
from kcna_dataset.sources import SourceRegistry

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
    }
)
_WHITESPACE = re.compile(r"\s+")


def match_key(body: str) -> str:
    """The body as compared: NFKC, straight quotes, case-folded, without any whitespace."""
    folded = unicodedata.normalize("NFKC", body).translate(_QUOTES).casefold()
    return _WHITESPACE.sub("", folded)


@dataclass(frozen=True, slots=True)
class DedupResult:
    statements: list[Statement]
    membership: dict[str, Membership]  # article_id -> how it joined
    stats: StageStats


def _split_by_window(copies: list[Article], window_days: int) -> list[list[Article]]:
    copies = sorted(copies, key=lambda a: (a.published_date, a.article_id))
    groups: list[list[Article]] = [[copies[0]]]
    for a in copies[1:]:
        if (a.published_date - groups[-1][0].published_date).days > window_days:
            groups.append([a])
        else:
            groups[-1].append(a)
    return groups


def deduplicate(
    articles: Sequence[Article], registry: SourceRegistry, config: DedupConfig | None = None
) -> DedupResult:
    config = config or DedupConfig()
    stats = StageStats("dedup", total=len(articles))
    by_key: dict[str, list[Article]] = defaultdict(list)
    keys: dict[str, str] = {}
    for a in articles:
        keys[a.article_id] = key = match_key(a.body)
        by_key[key].append(a)

    def rank(a: Article) -> tuple[int, object, int, str]:
        return (registry.by_slug(a.source).priority, a.published_date, -len(a.body), a.article_id)

    statements: list[Statement] = []
    membership: dict[str, Membership] = {}
    for key, copies in by_key.items():
        for group in _split_by_window(copies, config.window_days):
            first = group[0].published_date
            digest = hashlib.sha256(f"{key}\x1f{first.isoformat()}".encode()).hexdigest()
            statement_id = f"s-{digest[:16]}"
            canonical = min(group, key=rank)
            slugs = sorted({a.source for a in group}, key=lambda s: registry.by_slug(s).priority)
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
                    article_count=len(group),
                )
            )
            for a in group:
                if a is canonical:
                    membership[a.article_id] = Membership(statement_id, None, None)
                else:
                    match = "exact" if a.body == canonical.body else "normalized"
                    membership[a.article_id] = Membership(statement_id, match, 1.0)
                    stats.drop(f"merged ({match})")
    stats.kept = len(statements)
    statements.sort(key=lambda s: (s.published_date, s.statement_id))
    return DedupResult(statements, membership, stats)
