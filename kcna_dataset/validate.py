"""Validation: the read, parse and record-rule stages over every input file (in the runtime's
workers), then the table rules over all accepted rows; what became of each file, counted.

`validate_paths` is what `kcna-dataset validate` calls; `validate_inputs` is the same run with
the dedup sketches kept, for `build` and `duplicates`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kcna_dataset.article_table import ArticleTable, regrouped
from kcna_dataset.findings import Finding, Severity
from kcna_dataset.records import StageStats, file_of
from kcna_dataset.report import FileReport, Rejection, ValidationReport
from kcna_dataset.runtime.memory import collector_paused, long_lived_run, set_aside
from kcna_dataset.runtime.spool import Spool
from kcna_dataset.runtime.workers import Batch, FileOutcome, FileRunner, FileSettings
from kcna_dataset.sources import SourceRegistry
from kcna_dataset.stages.parse import ParsedRecord
from kcna_dataset.stages.parse.scraper import FieldMap
from kcna_dataset.stages.read import InputFile, discover, ignored_reason
from kcna_dataset.stages.record_rules import pyongyang_today
from kcna_dataset.stages.table_rules import check_table, number_twins, path_order

if TYPE_CHECKING:
    from kcna_dataset.stages.dedup.sketch import Sketches

# progress(stage, done, total): called as work advances, so a front end can draw it.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Validated:
    """A validation run: its report, and the dedup sketches of its articles (row i =
    report.articles[i]) when the runner made them."""

    report: ValidationReport
    sketches: Sketches | None


@dataclass
class Tally:
    """What became of each input file, and the read / parse / validate counts, kept as the
    files' outcomes arrive (datatrove's kept / dropped by reason, per stage)."""

    files: dict[str, FileReport] = field(default_factory=dict)
    read: StageStats = field(default_factory=lambda: StageStats("read"))
    parse: StageStats = field(default_factory=lambda: StageStats("parse"))
    valid: StageStats = field(default_factory=lambda: StageStats("validate"))
    rejected: dict[str, list[tuple[ParsedRecord, list[Finding]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    sketches: list[Sketches] = field(default_factory=list)

    def file_reports(self, inputs: Iterable[InputFile], ignored: Iterable[str | None]) -> None:
        """Every input gets its file report; `ignored` gives each input's `ignored_reason`."""
        with collector_paused():  # a report each, kept to the end
            for f, reason in zip(inputs, ignored, strict=True):
                report = self.files[f.name] = FileReport(f.name, location=f.location)
                self.read.total += 1
                if reason:
                    report.status, report.reason = "ignored", reason
                    self.read.drop(f"ignored ({reason})")
        set_aside()  # walked by no later pass of the collector

    def accepted_tables(
        self, batches: Iterable[Batch], total: int, progress: Progress | None
    ) -> Iterator[ArticleTable]:
        """Each batch's accepted articles, as the runner hands them over; each file's outcome
        is counted and its sketches kept on the way."""
        done = 0
        for batch in batches:
            for outcome in batch.outcomes:
                self.count(outcome)
            done += len(batch.outcomes)
            if progress:
                progress("validate", done, total)
            if batch.sketches is not None:
                self.sketches.append(batch.sketches)
            yield batch.accepted

    def count(self, outcome: FileOutcome) -> None:
        report = self.files[outcome.name]
        report.records += outcome.records
        if outcome.read_failure is not None:
            raw = outcome.read_failure
            self.read.drop(raw.code)
            self.rejected[outcome.name].append(
                (ParsedRecord(outcome.name, None, "", None, (raw,)), [raw])
            )
            return
        self.read.kept += 1
        self.parse.total += outcome.records
        parsed = outcome.records
        if outcome.parse_dropped:  # most files drop nothing: no counter work for them
            parsed = outcome.parsed
            self.parse.dropped.update(outcome.parse_dropped)
        self.parse.kept += parsed
        self.valid.total += parsed
        if outcome.validate_dropped:
            self.valid.dropped.update(outcome.validate_dropped)
        if outcome.warnings:
            report.findings.extend(outcome.warnings)
        if outcome.rejected:
            self.rejected[outcome.name].extend(
                (rec, list(found)) for rec, found in outcome.rejected
            )

    def warn(self, warnings: Iterable[Finding]) -> None:
        for w in warnings:
            self.files[w.path].findings.append(w)

    def reject_rows(self, articles: ArticleTable, problems: dict[int, list[Finding]]) -> None:
        """Rows the table rules rejected, each with its findings."""
        for i in sorted(problems):
            self.valid.drop("schema-violation")
            a = articles[i]
            rec = ParsedRecord(
                a.raw_path, a.line, a.raw_sha256, None, tuple(problems[i]), a.title, a.url
            )
            self.rejected[path_order(a)[0]].append((rec, problems[i]))

    def report(self, kept: ArticleTable) -> ValidationReport:
        self.valid.kept = len(kept)
        rejections: list[Rejection] = []
        for name, recs in self.rejected.items():
            report = self.files[name]
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
        for report in self.files.values():
            report.accepted = report.records - report.rejected
            report.findings.sort(key=lambda x: (x.line or 0, x.column or 0, x.code))
        rejections.sort(key=lambda r: (file_of(r.raw_path), r.line or 0, r.code))
        stats = [self.read, self.parse, self.valid]
        return ValidationReport(list(self.files.values()), kept, rejections, stats)


def validate_inputs(
    inputs: Sequence[InputFile],
    runner: FileRunner,
    spool: Spool | None = None,
    progress: Progress | None = None,
) -> Validated:
    """Read, parse and validate `inputs` with `runner` (its settings, pool and cache; `build`
    passes one that also sketches for dedup); `spool` holds the accepted articles (default:
    memory)."""
    tally = Tally()
    ignored = [ignored_reason(f) for f in inputs]
    to_read = [f for f, reason in zip(inputs, ignored, strict=True) if not reason]
    done = runner.run(to_read)  # the workers start on them
    tally.file_reports(inputs, ignored)  # meanwhile
    del ignored
    if progress:
        progress("validate", 0, len(to_read))
    # one batch's articles in memory at a time: the others are in the spool
    batches = tally.accepted_tables(done, len(to_read), progress)
    accepted = ArticleTable.concat(regrouped(batches), spool)
    config = runner.settings.config
    sketched = None
    if config is not None:  # a build's run: the dedup modules load only then
        from kcna_dataset.stages.dedup.sketch import Sketches

        sketched = Sketches.gathered(tally.sketches, config.bands)

    # after the files: the steps over the whole table are their own steps on the progress
    # display (the file bar stood at 100% for 10-16 s at a million articles)
    if progress:
        progress("identical records", 0, 1)
    accepted, twin_warnings, order = number_twins(accepted)
    moved = bool((order != np.arange(len(order))).any())
    if moved:  # into path order (file, then line)
        accepted = accepted.take(order, spool)
    tally.warn(twin_warnings)
    if progress:
        progress("identical records", 1, 1)
        progress("table check", 0, 1)
    problems = check_table(accepted)
    if progress:
        progress("table check", 1, 1)
    kept = accepted
    if problems:
        tally.reject_rows(accepted, problems)
        kept = accepted.filter([i not in problems for i in range(len(accepted))], spool)
        order = np.delete(order, sorted(problems))
    del accepted
    if sketched is not None and problems:  # row i = kept[i], through the reordering above
        sketched = sketched.take(order)
    elif sketched is not None and moved:
        sketched = sketched.reordered(order)
    return Validated(tally.report(kept), sketched)


def validate_paths(
    paths: Sequence[Path],
    registry: SourceRegistry | None = None,
    today: date | None = None,
    progress: Progress | None = None,
    field_map: FieldMap = (),
) -> ValidationReport:
    """Read, parse and validate every file under `paths` in this process; the report says
    what became of each."""
    settings = FileSettings(
        registry or SourceRegistry.load(), today or pyongyang_today(), None, field_map=field_map
    )
    with long_lived_run():
        return validate_inputs(discover(paths), FileRunner(settings), progress=progress).report


__all__ = ["Progress", "Tally", "Validated", "validate_inputs", "validate_paths"]
