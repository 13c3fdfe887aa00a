"""The validation report: what every input file and record came to. Returned, never raised."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kcna_dataset.findings import Finding, Severity
from kcna_dataset.records import StageStats

if TYPE_CHECKING:
    from kcna_dataset.article_table import ArticleTable


@dataclass(frozen=True, slots=True)
class Rejection:
    """One reason one input record was kept out (a row of the release's rejections table)."""

    raw_path: str
    line: int | None
    code: str
    message: str
    raw_sha256: str | None
    title: str | None = None  # what the record says it is, where it says
    url: str | None = None

    def to_row(self) -> dict[str, Any]:
        return {
            "raw_path": self.raw_path,
            "line": self.line,
            "code": self.code,
            "message": self.message,
            "title": self.title,
            "url": self.url,
            "raw_sha256": self.raw_sha256,
        }


@dataclass(slots=True)
class FileReport:
    path: str
    status: str = "valid"  # valid | invalid | ignored
    records: int = 0
    accepted: int = 0
    rejected: int = 0
    reason: str | None = None  # why an ignored file was ignored
    location: str = ""  # the file as the caller named it (input folder + path), for annotations
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "path": self.path,
            "status": self.status,
            "valid": self.status != "invalid",
            "records": self.records,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "errors": [f.to_dict() for f in self.errors],
            "warnings": [f.to_dict() for f in self.warnings],
        }
        if self.reason:
            d["reason"] = self.reason
        return d


@dataclass(slots=True)
class ValidationReport:
    files: list[FileReport]
    articles: ArticleTable  # accepted records, ready for dedup (in path order)
    rejections: list[Rejection]
    stats: list[StageStats]

    @property
    def valid(self) -> bool:
        return not self.rejections

    @property
    def summary(self) -> dict[str, int]:
        # one pass over the files, and over the findings of the few that have any: a build
        # asks twice, and a million pages are a million files (seven passes: 0.61 s a call
        # over a million reports; this one 0.06 s)
        ignored = invalid = records = rejected = errors = findings = 0
        for f in self.files:
            records += f.records
            rejected += f.rejected
            if f.status != "valid":
                ignored += f.status == "ignored"
                invalid += f.status == "invalid"
            if f.findings:
                findings += len(f.findings)
                errors += sum(x.severity is Severity.ERROR for x in f.findings)
        return {
            "files": len(self.files),
            "files_read": len(self.files) - ignored,
            "files_ignored": ignored,
            "files_invalid": invalid,
            "records": records,
            "accepted": len(self.articles),
            "rejected": rejected,
            "errors": errors,
            "warnings": findings - errors,  # a finding is an error or a warning
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "summary": self.summary,
            "files": [f.to_dict() for f in self.files],
        }

    def flatten(
        self, spec: Sequence[str] = ("path", "line", "column", "code", "severity", "message")
    ) -> list[list[Any]]:
        """Every finding as a row of the `spec` values, file by file (frictionless's
        `Report.flatten`): `path`, `line`, `column`, `code`, `severity`, `message`, `hint`, or
        the name of one of its parameters (`field`, `value`, ...; None where it has none)."""
        own = {"path", "line", "column", "code", "message"}
        rows = []
        for f in self.files:
            for x in f.findings:
                row = []
                for key in spec:
                    if key in own:
                        row.append(getattr(x, key))
                    elif key in ("severity", "hint"):
                        row.append(str(getattr(x, key)))
                    else:
                        row.append(x.param(key))
                rows.append(row)
        return rows
