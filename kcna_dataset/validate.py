"""Validate stage: parsed records -> accepted Articles, or rejections with located findings.

Two layers: record rules (sources, dates, non-empty text) with the file's line numbers, then the
declared articles Table Schema checked over the accepted rows (Arrow compute kernels; the
release itself is checked again by pandera before it is published).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path

import numpy as np

from kcna_dataset.article_table import RECORD_COLUMNS, ArticleTable, regrouped
from kcna_dataset.dedup.sketch import Sketches
from kcna_dataset.findings import Finding, Severity, finding
from kcna_dataset.parse import ParsedRecord
from kcna_dataset.parse.scraper import FieldMap
from kcna_dataset.read import InputFile, discover, ignored_reason
from kcna_dataset.record_rules import pyongyang_today
from kcna_dataset.records import Article, StageStats, file_of
from kcna_dataset.report import FileReport, Rejection, ValidationReport
from kcna_dataset.schema import FailureCase, constraint_failures
from kcna_dataset.sources import SourceRegistry
from kcna_dataset.spool import Spool
from kcna_dataset.workers import FileOutcome, FileRunner, FileSettings

# progress(stage, done, total): called as work advances, so a front end can draw it.
Progress = Callable[[str, int, int], None]


def _path_key(raw_path: str, line: int | None) -> tuple[str, int]:
    """(file, line): where a record sits, for path order and messages."""
    return (file_of(raw_path), line or 0)


def _path_order(a: Article) -> tuple[str, int]:
    return _path_key(a.raw_path, a.line)


def number_twins(
    articles: ArticleTable, spool: Spool | None = None
) -> tuple[ArticleTable, list[Finding], np.ndarray]:
    """Records identical after cleaning (a page captured twice) share an id: number them -2, -3.

    Returns the articles in path order (file, then line) with the twins renumbered, a
    duplicate-record warning for each numbered twin naming the first record, and the row order
    (new row i = old row order[i]) for whatever else is aligned with the rows.
    """
    ids = articles.column("article_id")
    paths = articles.column("raw_path")
    lines = articles.column("line")
    keys = list(map(_path_key, paths, lines))
    warnings: list[Finding] = []
    if repeated := {x for x, n in Counter(ids).items() if n > 1}:
        rows_of: dict[str, list[int]] = defaultdict(list)
        for i, x in enumerate(ids):
            if x in repeated:
                rows_of[x].append(i)
        for x, rows in rows_of.items():
            rows.sort(key=keys.__getitem__)
            for n, r in enumerate(rows[1:], 2):
                ids[r] = f"{x}-{n}"
                warnings.append(
                    finding("duplicate-record", keys[r][0], lines[r], first=paths[rows[0]])
                )
        articles = articles.with_column("article_id", ids)
    order = np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)
    if (order != np.arange(len(order))).any():
        articles = articles.take(order, spool)
    return articles, warnings, order


# pandera's check names -> the Table Schema constraint they enforce, for messages
_CONSTRAINTS = (
    ("str_matches", "pattern"),
    ("str_length", "length"),
    ("greater_than_or_equal_to", "minimum"),
    ("less_than_or_equal_to", "maximum"),
    ("isin", "enum"),
    ("field_uniqueness", "unique"),
    ("not_nullable", "required"),
)


def constraint_name(check: str) -> str:
    return next((name for prefix, name in _CONSTRAINTS if check.startswith(prefix)), check)


def check_table(articles: Sequence[Article]) -> dict[int, list[Finding]]:
    """Check the declared articles constraints over the accepted rows: row index -> findings.

    Arrow kernels rather than pandera: the same cells (tests/test_schema.py), without copying
    the table to pandas or importing pandas for `validate`."""
    articles = ArticleTable.of(articles)
    columns = list(RECORD_COLUMNS)
    out: dict[int, list[Finding]] = defaultdict(list)
    cases = constraint_failures("articles", articles.table.select(columns), columns)
    for case in sorted(cases, key=lambda c: c.row):  # stable: a row's findings in field order
        out[case.row].append(_schema_finding(articles[case.row], case))
    return dict(out)


def _schema_finding(a: Article, case: FailureCase) -> Finding:
    return finding(
        "schema-violation",
        _path_order(a)[0],
        a.line,
        field=case.column,
        check=constraint_name(case.check),
        value=case.value,
    )


def validate_paths(
    paths: Sequence[Path],
    registry: SourceRegistry | None = None,
    today: date | None = None,
    progress: Progress | None = None,
    runner: FileRunner | None = None,
    spool: Spool | None = None,
    field_map: FieldMap = (),
    inputs: Sequence[InputFile] | None = None,
) -> ValidationReport:
    """Read, parse and validate every file under `paths`; the report says what became of each.

    `runner` does the per-file work (its settings, pool and cache; `build` passes one that also
    sketches for dedup); by default it runs here, without cache or sketches. `spool` holds the
    accepted articles (default: memory).
    """
    if runner is None:
        runner = FileRunner(
            FileSettings(
                registry or SourceRegistry.load(),
                today or pyongyang_today(),
                None,
                field_map=field_map,
            )
        )
    read_stats, parse_stats, valid_stats = (
        StageStats("read"),
        StageStats("parse"),
        StageStats("validate"),
    )
    files: dict[str, FileReport] = {}
    sketches: list[Sketches] = []
    rejected: dict[str, list[tuple[ParsedRecord, list[Finding]]]] = defaultdict(list)

    inputs = discover(paths) if inputs is None else inputs  # found under `paths` already
    to_read: list[InputFile] = []
    for f in inputs:
        report = files[f.name] = FileReport(f.name, location=f.location)
        read_stats.total += 1
        if reason := ignored_reason(f):
            report.status, report.reason = "ignored", reason
            read_stats.drop(f"ignored ({reason})")
        else:
            to_read.append(f)
    if progress:
        progress("validate", 0, len(to_read))

    def accepted_tables() -> Iterator[ArticleTable]:
        """Each batch's accepted articles, as the runner hands them over; each file's outcome
        goes into its file report and the stage counts on the way."""
        done = 0
        for batch in runner.run(to_read):
            for outcome in batch.outcomes:
                count(outcome)
            done += len(batch.outcomes)
            if progress:
                progress("validate", done, len(to_read))
            if batch.sketches is not None:
                sketches.append(batch.sketches)
            yield batch.accepted

    def count(outcome: FileOutcome) -> None:
        report = files[outcome.name]
        report.records += outcome.records
        if outcome.read_failure is not None:
            raw = outcome.read_failure
            read_stats.drop(raw.code)
            rejected[outcome.name].append(
                (ParsedRecord(outcome.name, None, "", None, (raw,)), [raw])
            )
            return
        read_stats.kept += 1
        parse_stats.total += outcome.records
        parse_stats.kept += outcome.parsed
        parse_stats.dropped.update(outcome.parse_dropped)
        valid_stats.total += outcome.parsed
        valid_stats.dropped.update(outcome.validate_dropped)
        report.findings.extend(outcome.warnings)
        if outcome.rejected:
            rejected[outcome.name].extend((rec, list(found)) for rec, found in outcome.rejected)

    # one file's articles in memory at a time: the others are in the spool
    accepted = ArticleTable.concat(regrouped(accepted_tables()), spool)
    config = runner.settings.config
    sketched = Sketches.concat(sketches, config.bands) if config is not None else None

    # after the files: the steps over the whole table are their own steps on the progress
    # display (the file bar stood at 100% for 10-16 s at a million articles)
    if progress:
        progress("identical records", 0, 1)
    accepted, twin_warnings, order = number_twins(accepted, spool)
    for w in twin_warnings:
        files[w.path].findings.append(w)
    if progress:
        progress("identical records", 1, 1)
        progress("table check", 0, 1)
    table_problems = check_table(accepted)
    if progress:
        progress("table check", 1, 1)
    kept = accepted
    if table_problems:
        for i in sorted(table_problems):
            valid_stats.drop("schema-violation")
            a = accepted[i]
            rec = ParsedRecord(
                a.raw_path, a.line, a.raw_sha256, None, tuple(table_problems[i]), a.title, a.url
            )
            rejected[_path_order(a)[0]].append((rec, table_problems[i]))
        kept = accepted.filter([i not in table_problems for i in range(len(accepted))], spool)
        order = np.delete(order, sorted(table_problems))
    del accepted
    valid_stats.kept = len(kept)
    if sketched is not None:  # row i = kept[i], through the reordering above
        sketched = sketched.take(order)

    rejections: list[Rejection] = []
    for name, recs in rejected.items():
        report = files[name]
        report.status = "invalid"
        report.rejected += len(recs)
        for rec, found in recs:
            errors = [x for x in found if x.severity is Severity.ERROR]
            report.findings.extend(errors)
            rejections.extend(
                Rejection(
                    rec.raw_path,
                    x.line,
                    x.code,
                    x.message,
                    rec.raw_sha256 or None,
                    rec.title,
                    rec.url,
                )
                for x in errors
            )
    for report in files.values():
        report.accepted = report.records - report.rejected
        report.findings.sort(key=lambda x: (x.line or 0, x.column or 0, x.code))
    rejections.sort(key=lambda r: (file_of(r.raw_path), r.line or 0, r.code))
    return ValidationReport(
        list(files.values()), kept, rejections, [read_stats, parse_stats, valid_stats], sketched
    )


__all__ = ["check_table", "number_twins", "validate_paths"]
