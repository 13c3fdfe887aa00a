"""Record rules: one parsed record -> an Article, or the findings that reject it.

A leaf of the validate stage (sources, dates, non-empty text, language, dateline and stamp),
run in the workers next to parsing; the table rules over all accepted rows are validate.py's.
"""

from __future__ import annotations

import calendar
import contextlib
import re
from datetime import date, datetime, timedelta, timezone

from kcna_dataset.findings import Finding, Severity, finding
from kcna_dataset.language import LANGUAGE_NAMES, language_mismatch
from kcna_dataset.records import Article, article_id_for, file_of
from kcna_dataset.sources import Source, SourceRegistry
from kcna_dataset.stages.parse.draft import Draft, ParsedRecord
from kcna_dataset.stages.parse.text import stamp_date

KCNA_FOUNDED = date(1946, 12, 5)  # also the `minimum` of the date fields in schemas/
PYONGYANG = timezone(timedelta(hours=9))  # the sources date their articles in their own time


def pyongyang_today() -> date:
    """Today where the sources are: a record dated today in Pyongyang is not in the future on
    a machine nine hours behind."""
    return datetime.now(PYONGYANG).date()


def check_record(
    rec: ParsedRecord, registry: SourceRegistry, today: date
) -> tuple[Article | None, list[Finding]]:
    """Apply the record rules to one parsed record: the Article, or None and the findings
    that stopped it (warnings come with an Article too)."""
    found = list(rec.findings)
    d = rec.draft
    if d is None:
        return None, found
    path = file_of(rec.raw_path)
    source = registry.by_label(d.source_label) if d.source_label else registry.by_url(d.url or "")
    found += source_findings(d, source, path)
    found += text_findings(d, source, path)
    found += date_findings(d, path, today)
    if source is None or any(f.severity is Severity.ERROR for f in found):
        return None, found
    return _article(rec, d, source), found


def source_findings(d: Draft, source: Source | None, path: str) -> list[Finding]:
    """An outlet the registry does not know; a page whose two source labels disagree."""
    at = d.lines.get
    found = []
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
    return found


def text_findings(d: Draft, source: Source | None, path: str) -> list[Finding]:
    """An empty title or body; a body in another language than its outlet's."""
    at = d.lines.get
    found = []
    if not d.title:
        found.append(finding("title-empty", path, at("title")))
    if not d.body.text:
        found.append(finding("body-empty", path, at("body")))
    elif source is not None and (other := language_mismatch(d.body.text, source.language)):
        found.append(
            finding(
                "language-mismatch",
                path,
                at("body"),
                found=LANGUAGE_NAMES[other],
                source=source.source,
                language=LANGUAGE_NAMES.get(source.language, source.language),
            )
        )
    return found


def date_findings(d: Draft, path: str, today: date) -> list[Finding]:
    """Dates before KCNA's founding or after today; dates the dateline or stamp contradict; a
    publication after the listing."""
    at = d.lines.get
    found = []
    for which, value, field in (
        ("published", d.published_date, "published_date"),
        ("listing", d.listed_date, "listed_date"),
    ):
        if value is None:
            continue
        out_of_range = (
            f"before KCNA's founding ({KCNA_FOUNDED})"
            if value < KCNA_FOUNDED
            else f"in the future (today in Pyongyang is {today})"
            if value > today
            else None
        )
        if out_of_range:
            found.append(
                finding(
                    "date-out-of-range",
                    path,
                    at(field, at("published_date")),
                    which=which,
                    value=value,
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
    return found


def _article(rec: ParsedRecord, d: Draft, source: Source) -> Article:
    return Article(
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
