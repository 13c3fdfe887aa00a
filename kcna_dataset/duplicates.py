"""Inspect deduplication without publishing: the groups, and why one article joined its group."""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kcna_dataset.build import deduplicate_with_stable_ids
from kcna_dataset.config import DedupConfig
from kcna_dataset.dedup import DedupResult
from kcna_dataset.dedup.normalize import comparison_text
from kcna_dataset.exceptions import UsageError
from kcna_dataset.publish import newest_release
from kcna_dataset.records import Article
from kcna_dataset.report import ValidationReport
from kcna_dataset.sources import SourceRegistry
from kcna_dataset.validate import validate_paths

MAX_DIFFERENCES = 20


@dataclass(frozen=True, slots=True)
class DuplicatesReport:
    report: ValidationReport
    dedup: DedupResult
    config: DedupConfig

    @property
    def articles(self) -> dict[str, Article]:
        return {a.article_id: a for a in self.report.articles}

    def groups(self) -> list[dict[str, Any]]:
        """Statements with more than one copy, largest first, each copy with how it joined."""
        members: dict[str, list[Article]] = defaultdict(list)
        for a in self.report.articles:
            members[self.dedup.membership[a.article_id].statement_id].append(a)
        out = []
        for s in self.dedup.statements:
            if s.article_count < 2:
                continue
            copies = sorted(
                members[s.statement_id],
                key=lambda a: (
                    a.article_id != s.canonical_article_id,
                    a.published_date,
                    a.article_id,
                ),
            )
            out.append(
                {
                    "statement_id": s.statement_id,
                    "title": s.title,
                    "published_date": s.published_date.isoformat(),
                    "copies": len(copies),
                    "sources": list(s.sources),
                    "articles": [self._copy(a) for a in copies],
                }
            )
        out.sort(key=lambda g: (-g["copies"], g["published_date"], g["statement_id"]))
        return out

    def _copy(self, a: Article) -> dict[str, Any]:
        m = self.dedup.membership[a.article_id]
        return {
            "article_id": a.article_id,
            "source": a.source,
            "published_date": a.published_date.isoformat(),
            "match": m.match,
            "similarity": m.similarity,
            "raw_path": a.raw_path,
            "title": a.title,
        }

    def explain(self, article_id: str) -> dict[str, Any]:
        articles = self.articles
        if article_id not in articles:
            raise UsageError(
                f"no article {article_id!r} among the valid input records",
                "Take an article_id from `kcna-dataset duplicates` or a release.",
            )
        a = articles[article_id]
        m = self.dedup.membership[article_id]
        statement = next(s for s in self.dedup.statements if s.statement_id == m.statement_id)
        canonical = articles[statement.canonical_article_id]
        out: dict[str, Any] = {
            **self._copy(a),
            "statement_id": statement.statement_id,
            "statement_title": statement.title,
            "statement_copies": statement.article_count,
            "canonical_article_id": canonical.article_id,
            "date_gap_days": abs((a.published_date - canonical.published_date).days),
        }
        evidence = self.dedup.evidence.get(article_id)
        if m.match is None:
            out["explanation"] = (
                "the canonical copy: lowest source priority, then earliest, then longest body, "
                "then smallest article_id"
                + ("" if statement.article_count > 1 else "; no other copy was found")
            )
        elif m.match == "exact":
            out["explanation"] = "its body is identical to the canonical copy's"
        elif m.match == "normalized":
            out["explanation"] = (
                "its body equals the canonical copy's after folding Unicode "
                "forms, quotes, case, spacing, DPRK spelling, byline and "
                "lead-in"
            )
        elif evidence is not None:
            via = evidence.against != canonical.article_id
            out["explanation"] = f"verified as {m.match} against {evidence.against}" + (
                " (a copy of this statement), with no conflict with the canonical copy"
                if via
                else " (the canonical copy)"
            )
            out["evidence"] = {"against": evidence.against, **evidence.score.to_dict()}
            if evidence.to_canonical is not None:
                out["evidence"]["to_canonical"] = evidence.to_canonical.to_dict()
            other = articles[evidence.against]
            out["differences"], out["changes"] = word_differences(other.body, a.body)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config.to_dict(),
            "articles": len(self.report.articles),
            "statements": len(self.dedup.statements),
            "candidate_pairs": self.dedup.candidates,
            "verdicts": dict(sorted(self.dedup.verified.items())),
            "groups": self.groups(),
        }


def word_differences(old: str, new: str) -> tuple[list[dict[str, str]], int]:
    """The word-level changes from `old` to `new` (first MAX_DIFFERENCES), and how many."""
    a, b = comparison_text(old).split(), comparison_text(new).split()
    ops = [
        op
        for op in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
        if op[0] != "equal"
    ]
    return (
        [
            {"op": tag, "removed": " ".join(a[i1:i2]), "added": " ".join(b[j1:j2])}
            for tag, i1, i2, j1, j2 in ops[:MAX_DIFFERENCES]
        ],
        len(ops),
    )


def find_duplicates(
    raw: Path = Path("raw"), out: Path = Path("dist"), config: DedupConfig | None = None
) -> DuplicatesReport:
    """Validate and deduplicate `raw` (ids as the newest release in `out` has them)."""
    config = config or DedupConfig()
    if not raw.is_dir():
        raise UsageError(
            f"raw folder {raw} does not exist",
            "Pass --raw DIR with the raw article files (default: raw/).",
        )
    registry = SourceRegistry.load()
    report = validate_paths([raw], registry)
    dedup, _ = deduplicate_with_stable_ids(report.articles, registry, config, newest_release(out))
    return DuplicatesReport(report, dedup, config)
