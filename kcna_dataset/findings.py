"""The catalogue of validation findings: stable codes, severities, message templates, hints.

One place for every code (docs/ERRORS.md is generated from it and a test keeps them in step).
Validation never raises for bad input: it returns Findings, and the report decides validity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"  # the record is rejected
    WARNING = "warning"  # the record is kept; the finding is reported


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    severity: Severity
    template: str
    hint: str


def _catalogue(*codes: Code) -> dict[str, Code]:
    return {c.code: c for c in codes}


E, W = Severity.ERROR, Severity.WARNING

CATALOGUE: dict[str, Code] = _catalogue(
    # whole files
    Code(
        "file-unreadable",
        E,
        "cannot read the file: {reason}",
        "Check the file's permissions, or remove it from the raw folder.",
    ),
    Code(
        "file-binary",
        E,
        "binary file: NUL byte at offset {offset}",
        "Raw files are text: KCNA Watch pages (*.txt) or scraper records (*.jsonl, *.json, *.csv).",
    ),
    Code(
        "file-too-large",
        E,
        "{size} bytes exceeds the {limit}-byte limit for {kind} files",
        "Check it is the right file; split large record files into several.",
    ),
    Code(
        "encoding-invalid",
        E,
        "not UTF-8: undecodable byte at offset {offset}",
        "Re-save the file as UTF-8 (without BOM).",
    ),
    Code(
        "encoding-utf16",
        W,
        "decoded as UTF-16 (byte order mark {bom}); the corpus is UTF-8",
        "Re-save the file as UTF-8.",
    ),
    Code(
        "control-characters",
        E,
        "control character U+{codepoint:04X} in the text",
        "Remove control characters (left by broken scrapers or copy-paste).",
    ),
    Code(
        "surrogate-character",
        E,
        "lone surrogate U+{codepoint:04X} in the text (half of a character, from a \\u escape)",
        "Write the character itself, or both halves of its \\u escape pair: a half alone is not "
        "text.",
    ),
    Code("file-empty", E, "the file is empty{detail}", "Remove the file or add its content."),
    Code(
        "file-type-unsupported",
        E,
        "unsupported file type {suffix!r}",
        "Raw files are KCNA Watch page text (*.txt) or scraper records (*.jsonl, *.json, *.csv).",
    ),
    Code(
        "symlink-outside",
        E,
        # the target is not named: findings reach the release's rejections table, which must
        # not publish the build machine's paths
        "symbolic link to a file outside the input folder",
        "Copy the file into the folder instead of linking to it.",
    ),
    # KCNA Watch pages
    Code(
        "html-instead-of-text",
        E,
        "HTML markup, not page text: {found!r}",
        "Save the page's text (copy it from the browser), not its HTML source.",
    ),
    Code(
        "listing-date-invalid",
        E,
        "line 1 should be the listing date written twice, like "
        "'January 25, 2026Jan 25, 2026'; found {found!r}",
        "Copy the page again from its first line: the listing date comes first.",
    ),
    Code(
        "source-line-invalid",
        E,
        "line 2 should be 'KCNA <source label>'; found {found!r}",
        "Copy the page again: line 2 names the source, like 'KCNA KCNA.kp (En)'.",
    ),
    Code(
        "title-missing",
        E,
        "no title before the 'Date:' line",
        "The title is the first non-empty line after the source line.",
    ),
    Code(
        "meta-line-missing",
        E,
        "no 'Date: DD/MM/YYYY | Source: <label> | ...' line after the title",
        "Copy the page again: the Date/Source line follows the title.",
    ),
    Code(
        "navigation-in-body",
        E,
        "navigation text inside the body: {found!r}",
        "The body ends where 'More From <source>' begins; copy the page again with that line.",
    ),
    # dates
    Code(
        "date-invalid",
        E,
        "{value!r} is not a real date ({form})",
        "KCNA Watch pages write Date: as day/month/year (01/02/2018 is 1 February 2018); "
        "scraper records as YYYY-MM-DD, an ISO date-time (its date is taken as written) or "
        "milliseconds since 1970 UTC.",
    ),
    Code(
        "date-out-of-range",
        E,
        "{which} date {value} is {reason}",
        "Check the date: KCNA was founded on 1946-12-05 and no date lies in the future (today "
        "is counted in Pyongyang time, UTC+9, the sources' own).",
    ),
    Code(
        "date-after-listing",
        E,
        "published date {published} is after the listing date {listed}",
        "A page cannot be listed before it was published: check for a day/month swap.",
    ),
    Code(
        "date-swapped",
        E,
        "published date {published} disagrees with the dateline ({dateline}); with day and "
        "month swapped they agree",
        "The date was read as MM/DD: KCNA Watch's Date: is DD/MM/YYYY, so swap day and month.",
    ),
    Code(
        "dateline-mismatch",
        W,
        "published date {published} is {days} days from the dateline ({dateline})",
        "Check the date; kcna.kp datelines are sometimes a day or two off the page date.",
    ),
    Code(
        "stamp-mismatch",
        W,
        "the stamp line gives {stamp_date}; the published date is {published}",
        "Check the date against the www.kcna.kp (JucheYYY.M.D.) stamp (Juche year + 1911).",
    ),
    # sources
    Code(
        "source-mismatch",
        E,
        "line 2 names source {line_label!r} but the Date line says {meta_label!r}",
        "Both labels come from the same page; copy the page again.",
    ),
    Code(
        "source-unknown",
        E,
        "unknown source {label!r}",
        "Add the outlet to schemas/sources.json (label, slug, site, language, priority).",
    ),
    Code(
        "language-mismatch",
        W,
        "the text reads as {found}, but {source} is the outlet's {language} edition",
        "Check the record's link or source label: it may belong to another language edition "
        "(schemas/sources.json lists them).",
    ),
    # content
    Code("title-empty", E, "the title is empty after cleaning", "Give the record a headline."),
    Code(
        "body-empty",
        E,
        "the body is empty",
        "The article text goes between the Date line and 'More From'.",
    ),
    Code(
        "duplicate-record",
        W,
        "identical to the record at {first}; both are kept as copies",
        "Remove one of them if it was added twice by mistake.",
    ),
    # record files (JSONL, CSV)
    Code(
        "jsonl-malformed",
        E,
        "not a JSON object: {reason}",
        "Each line of a .jsonl file is one JSON object; check quoting and commas.",
    ),
    Code(
        "json-malformed",
        E,
        "not a JSON array of records: {reason}",
        "A .json file holds one array of record objects, `[{...}, {...}]`; check commas and "
        "brackets near this place.",
    ),
    Code(
        "csv-malformed",
        E,
        "not valid CSV: {reason}",
        "Quote fields that hold commas, quotes or line breaks (RFC 4180).",
    ),
    Code(
        "csv-header",
        E,
        "the header lacks {missing} (expected {expected}; it has {found}); {unread}",
        "Rename those columns, or name yours with --map, e.g. --map headline=title "
        "--map story_text=body --map link=url.",
    ),
    Code(
        "field-repeated",
        W,
        "field {field!r} appears {count} times; the last value is used",
        "Give each field once per record (or once in the CSV header).",
    ),
    Code(
        "record-too-large",
        E,
        "record of {size} bytes exceeds the {limit}-byte limit",
        "One record is one article; check the scraper did not glue records together.",
    ),
    Code(
        "field-missing",
        E,
        "required field {field!r} is missing or empty",
        "Scraper records need headline, date, link and story_text.",
    ),
    Code(
        "field-type",
        E,
        "field {field!r} should be {expected}; found {found}",
        "Fix the scraper's output for this field.",
    ),
    # table-level checks (pandera over the declared Table Schemas)
    Code(
        "schema-violation",
        E,
        "field {field!r}: {check} failed for value {value!r}",
        "The value breaks the declared schema in schemas/articles.schema.json.",
    ),
)


def not_read(n: int, what: str, where: str = "", whose: str = "the") -> str:
    """`the 1 line from here on was not read`, `its 3 rows were not read`: how much of a file
    a finding leaves unread (`what`: the unit, singular; `where`: after the unit)."""
    counted = f"1 {what}" if n == 1 else f"{n:,} {what}s"
    return f"{whose} {counted}{where} {'was' if n == 1 else 'were'} not read"


def render(code: str, **params: Any) -> str:
    return CATALOGUE[code].template.format(**params)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in one input file, located as precisely as the format allows."""

    code: str
    message: str
    path: str  # POSIX, relative to the input folder
    line: int | None = None
    column: int | None = None
    # the values the message was rendered from (`field`, `value`, `limit`, ...), kept for
    # machines (`to_dict`, `ValidationReport.flatten`); the message already says them
    params: tuple[tuple[str, Any], ...] = field(default=(), compare=False)

    @property
    def severity(self) -> Severity:
        return CATALOGUE[self.code].severity

    @property
    def hint(self) -> str:
        return CATALOGUE[self.code].hint

    def param(self, name: str) -> Any:
        return dict(self.params).get(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "hint": self.hint,
            "params": {k: _plain(v) for k, v in self.params},
        }


def _plain(value: Any) -> Any:
    """A parameter as JSON can hold it (a date or a path as its text)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def finding(
    code: str, path: str, line: int | None = None, column: int | None = None, **params: Any
) -> Finding:
    """Build a Finding from the catalogue's template (a KeyError here is a programming error)."""
    return Finding(code, render(code, **params), path, line, column, tuple(params.items()))


def catalogue_markdown() -> str:
    """docs/ERRORS.md, generated: `python -m kcna_dataset.findings > docs/ERRORS.md`."""
    from kcna_dataset.limits import MAX_FILE_BYTES, MAX_OTHER_BYTES, MAX_RECORD_BYTES, MIB

    lines = [
        "# Error catalogue",
        "",
        "Every finding `kcna-dataset validate` and `build` report has one of these stable codes.",
        "An `error` rejects the record; a `warning` keeps it. Generated from",
        "`kcna_dataset/findings.py` (`python -m kcna_dataset.findings > docs/ERRORS.md`); a test",
        "keeps the two in step.",
        "",
        "Each finding names the file (relative to the folder validated), the line and, where it",
        "means something, the column. In a record file (JSONL, CSV) an error rejects that record",
        "only. `kcna-dataset validate --format json` gives `{valid, summary, files: [{path, valid,",
        "errors: [{code, severity, message, line, column, hint, params}], warnings: [...]}]}`:",
        "`params` are the values the message was made from (the `{...}` below). In Python,",
        '`ValidationReport.flatten(["path", "line", "code", "field"])` gives one row per finding.',
        "",
        "Limits: "
        + ", ".join(
            f"{size // MIB} MiB for `{suffix}` files" for suffix, size in MAX_FILE_BYTES.items()
        )
        + f", {MAX_OTHER_BYTES // MIB} MiB for any other file, {MAX_RECORD_BYTES // MIB} MiB for "
        "one record.",
        "",
        "| code | severity | message | hint |",
        "| --- | --- | --- | --- |",
    ]
    for c in CATALOGUE.values():
        template, hint = (text.replace("|", "\\|") for text in (c.template, c.hint))
        lines.append(f"| `{c.code}` | {c.severity} | {template} | {hint} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(catalogue_markdown(), end="")
