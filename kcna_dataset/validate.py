"""Validate stage: parsed records -> accepted Articles, or rejections with located findings.

Two layers: record rules (sources, dates, non-empty text) with the file's line numbers, then the
declared articles Table Schema checked by pandera over the accepted rows.
"""

from __future__ import annotations

import calendar
import contextlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

from kcna_dataset.dedup.sketch import Sketches, sketch_bodies
from kcna_dataset.findings import Finding, Severity, finding
from kcna_dataset.parse import Draft, ParsedRecord
from kcna_dataset.parse.text import stamp_date
from kcna_dataset.read import InputFile, discover, ignored_reason
from kcna_dataset.records import Article, StageStats, article_id_for
from kcna_dataset.report import FileReport, Rejection, ValidationReport
from kcna_dataset.schema import (
    SLICE_ROWS,
    FailureCase,
    duplicate_cases,
    failure_cases,
    table_from_columns,
    unique_keys,
)
from kcna_dataset.sources import SourceRegistry
from kcna_dataset.workers import FileRunner, FileSettings

# progress(stage, done, total): called as work advances, so a front end can draw it.
Progress = Callable[[str, int, int], None]
KCNA_FOUNDED = date(1946, 12, 5)  # also the `minimum` of the date fields in schemas/
# Columns the validate stage fills; dedup adds statement_id, match and similarity.
RECORD_COLUMNS = (
    "article_id",
    "source",
    "source_label",
    "title",
    "published_date",
    "listed_date",
    "dateline",
    "body",
    "end_mark",
    "stamp",
    "topic",
    "url",
    "raw_path",
    "raw_sha256",
)


def check_record(
    rec: ParsedRecord, registry: SourceRegistry, today: date
) -> tuple[Article | None, list[Finding]]:
    """Apply the record rules to one parsed record."""
    found = list(rec.findings)
    d = rec.draft
    if d is None:
        return None, found
    path = rec.raw_path.split("#L")[0]
    at = d.lines.get

    source = registry.by_label(d.source_label) if d.source_label else registry.by_url(d.url or "")
    if source is None:
        label = d.source_label if d.source_label else f"link {d.url}"
        found.append(finding("source-unknown", path, at("source_label", at("url")), label=label))
    if d.line_label is not None and d.line_label != d.source_label:
        found.append(
            finding(
                "source-mismatch",
                path,
                at("source_label"),
                line_label=d.line_label,
                meta_label=d.source_label,
            )
        )
    if not d.title:
        found.append(finding("title-empty", path, at("title")))
    if not d.body.text:
        found.append(finding("body-empty", path, at("body")))
    out_of_range = (
        f"before KCNA's founding ({KCNA_FOUNDED})"
        if d.published_date < KCNA_FOUNDED
        else f"in the future (today is {today})"
        if d.published_date > today
        else None
    )
    if out_of_range:
        found.append(
            finding(
                "date-out-of-range",
                path,
                at("published_date"),
                value=d.published_date,
                reason=out_of_range,
            )
        )
    found.extend(date_cross_checks(d, path))
    if d.listed_date is not None and d.published_date > d.listed_date:
        found.append(
            finding(
                "date-after-listing",
                path,
                at("published_date"),
                published=d.published_date,
                listed=d.listed_date,
            )
        )
    if source is None or any(f.severity is Severity.ERROR for f in found):
        return None, found
    article = Article(
        article_id=article_id_for(
            source.source,
            d.url,
            d.title,
            d.published_date,
            d.listed_date,
            d.body.dateline,
            d.body.text,
        ),
        source=source.source,
        source_label=source.label,
        title=d.title,
        published_date=d.published_date,
        listed_date=d.listed_date,
        dateline=d.body.dateline,
        body=d.body.text,
        end_mark=d.body.end_mark,
        stamp=d.body.stamp,
        topic=d.topic,
        url=d.url,
        raw_path=rec.raw_path,
        raw_sha256=rec.raw_sha256,
        line=rec.line,
    )
    return article, found


_DATELINE_DAY = re.compile(r", ([A-Z][a-z]+) (\d{1,2}) \(KCNA\)$")
_MONTHS = {m: i for i, m in enumerate(calendar.month_name) if m}


def dateline_date(dateline: str, near: date) -> date | None:
    """The date a dateline names (`Pyongyang, May 3 (KCNA)`), in the year closest to `near`."""
    m = _DATELINE_DAY.search(dateline)
    if not m or m[1] not in _MONTHS:
        return None
    candidates = []
    for year in (near.year - 1, near.year, near.year + 1):
        with contextlib.suppress(ValueError):
            candidates.append(date(year, _MONTHS[m[1]], int(m[2])))
    return min(candidates, key=lambda c: abs((c - near).days)) if candidates else None


def date_cross_checks(d: Draft, path: str) -> list[Finding]:
    """The published date against the text's own dateline and stamp line."""
    found: list[Finding] = []
    line = d.lines.get("published_date")
    published = d.published_date
    said = dateline_date(d.body.dateline, published) if d.body.dateline else None
    if said is not None and said != published:
        swapped = None
        with contextlib.suppress(ValueError):  # no swap when the day is above 12
            swapped = date(published.year, published.day, published.month)
        if swapped == said:
            found.append(
                finding("date-swapped", path, line, published=published, dateline=d.body.dateline)
            )
        else:
            found.append(
                finding(
                    "dateline-mismatch",
                    path,
                    line,
                    published=published,
                    days=abs((published - said).days),
                    dateline=d.body.dateline,
                )
            )
    if d.body.stamp and (stamped := stamp_date(d.body.stamp)) and stamped != published:
        found.append(finding("stamp-mismatch", path, line, stamp_date=stamped, published=published))
    return found


def _path_order(a: Article) -> tuple[str, int]:
    return (a.raw_path.split("#L")[0], a.line or 0)


def number_twins(articles: Iterable[Article]) -> tuple[list[Article], list[Finding]]:
    """Records identical after cleaning (a page captured twice) share an id: number them -2, -3.

    Also returns a duplicate-record warning for each numbered twin, naming the first record.
    """
    by_id: dict[str, list[Article]] = defaultdict(list)
    for a in articles:
        by_id[a.article_id].append(a)
    out: list[Article] = []
    warnings: list[Finding] = []
    for twins in by_id.values():
        twins.sort(key=_path_order)
        first = twins[0]
        out.append(first)
        for i, a in enumerate(twins[1:], 2):
            out.append(replace(a, article_id=f"{a.article_id}-{i}"))
            warnings.append(
                finding("duplicate-record", _path_order(a)[0], a.line, first=first.raw_path)
            )
    return sorted(out, key=_path_order), warnings


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
    """Run the declared articles schema (pandera) over the accepted rows: row index -> findings."""
    if not articles:
        return {}
    columns = list(RECORD_COLUMNS)
    out: dict[int, list[Finding]] = defaultdict(list)
    for start in range(0, len(articles), SLICE_ROWS):
        # a slice of Articles at a time: the Arrow and pandas copies stay small
        part = articles[start : start + SLICE_ROWS]
        table = table_from_columns(
            "articles", {c: [getattr(a, c) for a in part] for c in columns}, columns
        )
        for case in failure_cases("articles", table, columns, uniqueness=False):
            if case.row < 0:
                continue  # a whole-column failure (dtype) would be a bug in this module
            out[start + case.row].append(_schema_finding(articles[start + case.row], case))
    # the unique keys hold over all rows, not per slice
    keys = sorted({c for key in unique_keys("articles", columns) for c in key})
    key_columns = {c: [getattr(a, c) for a in articles] for c in keys}
    whole = table_from_columns("articles", key_columns, keys)
    for case in duplicate_cases("articles", whole, keys):
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
) -> ValidationReport:
    """Read, parse and validate every file under `paths`; the report says what became of each.

    `runner` does the per-file work (its settings, pool and cache; `build` passes one that also
    sketches for dedup); by default it runs here, without cache or sketches.
    """
    if runner is None:
        runner = FileRunner(
            FileSettings(registry or SourceRegistry.load(), today or date.today(), None)
        )
    read_stats, parse_stats, valid_stats = (
        StageStats("read"),
        StageStats("parse"),
        StageStats("validate"),
    )
    files: dict[str, FileReport] = {}
    accepted: list[Article] = []
    sketches: list[Sketches] = []
    rejected: dict[str, list[tuple[ParsedRecord, list[Finding]]]] = defaultdict(list)

    inputs = discover(paths)
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
    for done, outcome in enumerate(runner.run(to_read), 1):
        if progress:
            progress("validate", done, len(to_read))
        report = files[outcome.name]
        report.records += outcome.records
        if outcome.read_failure is not None:
            raw = outcome.read_failure
            read_stats.drop(raw.code)
            rejected[outcome.name].append(
                (ParsedRecord(outcome.name, None, "", None, (raw,)), [raw])
            )
            continue
        read_stats.kept += 1
        parse_stats.total += outcome.records
        parse_stats.kept += outcome.parsed
        parse_stats.dropped.update(outcome.parse_dropped)
        valid_stats.total += outcome.parsed
        valid_stats.dropped.update(outcome.validate_dropped)
        report.findings.extend(outcome.warnings)
        if outcome.rejected:
            rejected[outcome.name].extend((rec, list(found)) for rec, found in outcome.rejected)
        accepted.extend(outcome.accepted)
        if outcome.sketches is not None:
            sketches.append(outcome.sketches)
    config = runner.settings.config
    sketched = Sketches.concat(sketches, config.bands) if config is not None else None
    row_of = {a.raw_path: i for i, a in enumerate(accepted)}

    accepted, twin_warnings = number_twins(accepted)
    for w in twin_warnings:
        files[w.path].findings.append(w)
    table_problems = check_table(accepted)
    kept: list[Article] = []
    for i, a in enumerate(accepted):
        if i in table_problems:
            valid_stats.drop("schema-violation")
            rec = ParsedRecord(a.raw_path, a.line, a.raw_sha256, None, tuple(table_problems[i]))
            rejected[_path_order(a)[0]].append((rec, table_problems[i]))
        else:
            kept.append(a)
    valid_stats.kept = len(kept)
    if sketched is not None:  # row i = kept[i], through the renumbering and sorting above
        if len(row_of) == len(accepted):
            sketched = sketched.take([row_of[a.raw_path] for a in kept])
        else:  # record paths not unique (cannot happen with the shipped parsers): sketch again
            sketched = sketch_bodies([a.body for a in kept], config)  # type: ignore[arg-type]

    rejections: list[Rejection] = []
    for name, recs in rejected.items():
        report = files[name]
        report.status = "invalid"
        report.rejected += len(recs)
        for rec, found in recs:
            errors = [x for x in found if x.severity is Severity.ERROR]
            report.findings.extend(errors)
            rejections.extend(
                Rejection(rec.raw_path, x.line, x.code, x.message, rec.raw_sha256 or None)
                for x in errors
            )
    for report in files.values():
        report.accepted = report.records - report.rejected
        report.findings.sort(key=lambda x: (x.line or 0, x.column or 0, x.code))
    rejections.sort(key=lambda r: (r.raw_path.split("#L")[0], r.line or 0, r.code))
    return ValidationReport(
        list(files.values()), kept, rejections, [read_stats, parse_stats, valid_stats], sketched
    )


__all__ = ["check_record", "check_table", "number_twins", "validate_paths"]
