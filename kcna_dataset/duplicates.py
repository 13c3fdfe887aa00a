"""Inspect deduplication without publishing: the groups, and why one article joined its group."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kcna_dataset.build import deduplicate_with_stable_ids, pipeline_runtime, trusted_previous
from kcna_dataset.config import DedupConfig
from kcna_dataset.exceptions import UsageError
from kcna_dataset.records import Article
from kcna_dataset.report import ValidationReport
from kcna_dataset.runtime.cache import PairScoreCache
from kcna_dataset.stages.dedup.align import opcodes
from kcna_dataset.stages.dedup.candidates import url_key
from kcna_dataset.stages.dedup.normalize import comparison_text
from kcna_dataset.stages.dedup.pipeline import DedupResult, find_candidates
from kcna_dataset.stages.dedup.sketch import unit_features
from kcna_dataset.stages.dedup.verify import coverage, substitutions, verify
from kcna_dataset.validate import Progress, validate_inputs

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
        out: list[dict[str, Any]] = []
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

    def _article(self, article_id: str) -> Article:
        found = self.articles.get(article_id)
        if found is None:
            raise UsageError(
                f"no article {article_id!r} among the valid input records",
                "Take an article_id from `kcna-dataset duplicates` or a release.",
            )
        return found

    def explain_pair(self, article_id: str, other_id: str) -> dict[str, Any]:
        """Why two articles did or did not merge: each rule's verdict with its evidence."""
        a, b = self._article(article_id), self._article(other_id)
        k = self.config.shingle_size
        fa = unit_features(a.body, a.title, a.published_date, a.source, k)
        fb = unit_features(b.body, b.title, b.published_date, b.source, k)
        ua = url_key(a.source, a.published_date, a.url)
        same_url = ua is not None and ua == url_key(b.source, b.published_date, b.url)
        score = verify(fa, fb, self.config, same_url)
        subs = substitutions(fa, fb)
        c = self.config
        short = min(fa.n_words, fb.n_words) < c.short_text_words
        cover = coverage(fa.words, fb.words)
        same_statement = (
            self.dedup.membership[a.article_id].statement_id
            == self.dedup.membership[b.article_id].statement_id
        )
        letters = fa.letters and fb.letters
        rules = {
            "similarity": (
                f"jaccard {score.jaccard:.4f} (near at {c.near_threshold}), containment in the "
                f"opening {score.containment:.4f} (contained at {c.containment_threshold}, length "
                f"ratio {score.length_ratio:.2f} between {c.min_truncated_fraction} and 0.9)"
            ),
            "window": f"{score.date_gap_days} days apart (window {c.window_days})",
            "1-2 substitutions": ("; ".join(f"{x!r} / {y!r}" for x, y in subs) if subs else "none"),
            "3 revision in place": (
                "one outlet, one URL, one date"
                if same_url
                else f"same outlet and date, title similarity {score.title_similarity:.2f}"
                if a.source == b.source and a.published_date == b.published_date
                else "no: other outlet or date"
            ),
            "4 short text": (
                f"{min(fa.n_words, fb.n_words)} words: coverage {cover:.2f} (needs "
                f"{c.short_text_coverage}) or title similarity {score.title_similarity:.2f} "
                f"(needs {c.title_near})"
                if short
                else f"not short (at least {c.short_text_words} words)"
            ),
            "5 letters": "both texts have letters" if letters else "a text without letters",
        }
        differences, changes = word_differences(b.body, a.body)
        return {
            "article_id": a.article_id,
            "against": b.article_id,
            "same_statement": same_statement,
            "verdict": score.verdict,
            "reason": score.reason,
            "rules": rules,
            "evidence": {**score.to_dict(), "substitutions": [list(x) for x in subs]},
            "coverage": round(cover, 4),
            "differences": differences,
            "changes": changes,
        }

    def explain(self, article_id: str) -> dict[str, Any]:
        articles = self.articles
        a = self._article(article_id)
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
    """The word-level changes from `old` to `new` (first MAX_DIFFERENCES), and how many.
    Aligned as verification aligns texts: bounded on any input (difflib is quadratic)."""
    a, b = comparison_text(old).split(), comparison_text(new).split()
    ops = [op for op in opcodes(a, b) if op[0] != "equal"]
    return (
        [
            {"op": tag, "removed": " ".join(a[i1:i2]), "added": " ".join(b[j1:j2])}
            for tag, i1, i2, j1, j2 in ops[:MAX_DIFFERENCES]
        ],
        len(ops),
    )


def find_duplicates(
    raw: Path = Path("raw"),
    out: Path = Path("dist"),
    config: DedupConfig | None = None,
    *,
    progress: Progress | None = None,
    jobs: int | None = None,
    cache_dir: Path | None = None,
    field_map: tuple[tuple[str, str], ...] = (),
) -> DuplicatesReport:
    """Validate and deduplicate `raw` (ids as the newest release in `out` has them), with the
    record cache and pair verdicts of `cache_dir` as a build uses them."""
    config = config or DedupConfig()
    with pipeline_runtime(raw, config, jobs=jobs, cache_dir=cache_dir, field_map=field_map) as (
        runner,
        spool,
        inputs,
    ):
        registry = runner.settings.registry
        validated = validate_inputs(inputs, runner, spool, progress)
        found = find_candidates(
            validated.report.articles, registry, config, validated.sketches, runner.map
        )
        dedup, _ = deduplicate_with_stable_ids(
            found,
            trusted_previous(out, None, "its statement ids cannot be reused"),
            runner.map,
            progress,
            PairScoreCache(runner.cache) if runner.cache else None,
        )
    return DuplicatesReport(validated.report, dedup, config)
