"""The `kcna-dataset` command: a thin layer over the library.

Each command parses its options, calls one library function, prints the result, and turns a
KcnaDatasetError into `Error: ...` plus a hint (exit 1; 2 for usage errors).
"""

from __future__ import annotations

import json
import re
import signal
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text
from typer.core import TyperCommand

from kcna_dataset.config import DEFAULT_CACHE_DIR
from kcna_dataset.exceptions import InvalidInputError, KcnaDatasetError, UsageError
from kcna_dataset.stages.parse.scraper import FieldMap, parse_field_map
from kcna_dataset.version import __version__

if TYPE_CHECKING:
    from kcna_dataset.build import BuildResult
    from kcna_dataset.findings import Finding
    from kcna_dataset.report import ValidationReport

# each command imports the stages it runs when it runs (pyarrow, pandas and pandera take about a
# second to import): `--help` and a pre-commit hook's `validate` start at once

app = typer.Typer(
    help="Validate, deduplicate and publish a versioned corpus of North Korean state media.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _argument_name(param: Any) -> str:
    name = param.metavar or (param.name or "").upper()
    if param.nargs != 1 and not name.endswith("..."):
        name += "..."
    return name


_CHOICES = re.compile(r"<([\w-]+(?:\|[\w-]+)+)>")


class _PlainHelp(TyperCommand):
    """Help in click's plain style: an argument is `RELEASE_DIR`, `[PATH...]`, with no type
    suffix (typer 0.2x writes `{RELEASE_DIR}` and `PATH... <list[Path]>`)."""

    # duck-typed (typer 0.2x vendors click as typer._click; older typers use click itself)
    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = _argument_name(param)
                pieces.append(name if param.required else f"[{name}]")
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                text = getattr(param, "help", None) or ""
                arguments.append((_argument_name(param), text))
            elif (record := param.get_help_record(ctx)) is not None:
                # choices as click writes them, [text|json] (typer 0.2x: <text|json>)
                options.append((_CHOICES.sub(r"[\1]", record[0]), record[1]))
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


class ValidateFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


def fail(e: KcnaDatasetError) -> typer.Exit:
    err.print(f"Error: {e.message}", markup=False)
    if e.hint:
        err.print(f"Hint: {e.hint}", markup=False)
    return typer.Exit(code=2 if isinstance(e, UsageError) else 1)


@contextmanager
def exits(interrupted: str | None = None, as_json: bool = False) -> Iterator[None]:
    """The one mapping from the library's failures to exit statuses: a KcnaDatasetError is one
    `Error:` line and a `Hint:` (exit 2 for a usage error, 1 otherwise), and with `as_json`
    also `{"error": ..., "hint": ...}` on stdout, so that a machine reading it gets JSON; Ctrl-C,
    where the command says what it left as it was (`interrupted`), exits 130."""
    try:
        yield
    except KeyboardInterrupt:
        if interrupted is None:
            raise
        err.print(f"Interrupted: {interrupted}")
        raise typer.Exit(code=130) from None
    except KcnaDatasetError as e:
        if as_json and not isinstance(e, InvalidInputError):  # that one prints its report
            sys.stdout.write(json.dumps({"error": e.message, "hint": e.hint}) + "\n")
        raise fail(e) from None


STAGE_UNITS = {"validate": "files", "dedup": "texts"}


class RateColumn(ProgressColumn):
    """Items per second of the stage (rich's own speed columns are for bytes)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:>8,.0f}/s" if speed else " " * 10)


@contextmanager
def stage_progress(enabled: bool):
    """Rich progress bars per stage on a terminal; nothing when quiet or not a terminal."""
    if not enabled or not err.is_terminal:
        yield None
        return
    columns = (
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),  # an estimate of the time left, from the rate so far
    )
    with Progress(*columns, console=err, transient=False) as bars:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                unit = STAGE_UNITS.get(stage)
                tasks[stage] = bars.add_task(f"{stage} ({unit})" if unit else stage, total=total)
            bars.update(tasks[stage], completed=done, total=total)

        yield update


def timing_line(summary: dict[str, Any]) -> str:
    """`took 12.3 s (validate 4.1 s, 2,440 records/s; dedup ...); 2 jobs; cache: 3 of 5 files`."""
    seconds, work = summary["seconds"], summary["work"]
    parts = []
    for stage, key, count in (
        ("validate", "read+parse+validate", summary["records"]),
        ("dedup", "dedup", summary["articles"]),
        ("publish", "compare+publish", summary["articles"]),
    ):
        if key in seconds:
            rate = f", {count / seconds[key]:,.0f} records/s" if seconds[key] > 0 else ""
            parts.append(f"{stage} {seconds[key]:.1f} s{rate}")
    jobs = work.get("jobs", 1)
    return (
        f"took {seconds.get('total', 0):.1f} s ({'; '.join(parts)}); "
        f"{jobs} job{'s' if jobs != 1 else ''}; "
        f"record cache: {work.get('cache_hits', 0)} of {work.get('processed', 0)} files"
    )


def printable(text: str) -> str:
    """Text for a terminal: control characters (ANSI escapes, line breaks in a file name)
    written as escapes, so that a file's name cannot move the cursor or forge a line."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


# findings of one code in one file shown one by one; the rest are counted on one line (a
# re-scraped archive repeats its records thousands of times: every one is in --format json)
SHOWN_PER_CODE = 3


def _shown(findings: Sequence[Finding]) -> tuple[list[Finding], dict[str, list[Finding]]]:
    """The findings to print one by one (the first SHOWN_PER_CODE of each code, in order) and
    the rest of each code."""
    seen: Counter[str] = Counter()
    shown: list[Finding] = []
    rest: dict[str, list[Finding]] = {}
    for x in findings:
        seen[x.code] += 1
        if seen[x.code] <= SHOWN_PER_CODE:
            shown.append(x)
        else:
            rest.setdefault(x.code, []).append(x)
    return shown, rest


def print_findings(report: ValidationReport, *, errors_only: bool = False) -> None:
    """One line per finding, grouped by file: path:line[:col]: severity code: message — hint;
    past SHOWN_PER_CODE findings of one code in one file, one line counts the rest."""
    for f in report.files:
        findings = [x for x in f.findings if x.severity == "error"] if errors_only else f.findings
        shown, rest = _shown(findings)
        for x in shown:
            where = printable(f.path)
            where += "".join(f":{n}" for n in (x.line, x.column) if n is not None)
            style = "red" if x.severity == "error" else "yellow"
            line = Text(f"{where}: ")
            line.append(f"{x.severity} {x.code}", style=style)
            line.append(f": {printable(x.message)}")
            line.append(f" — hint: {x.hint}", style="dim")
            out.print(line)
        for code, more in rest.items():
            lines = [str(x.line) for x in more if x.line is not None]
            at = (
                f" (lines {', '.join(lines[:5])}{', ...' if len(lines) > 5 else ''})"
                if lines
                else ""
            )
            style = "red" if more[0].severity == "error" else "yellow"
            line = Text(f"{printable(f.path)}: ")
            line.append(f"{more[0].severity} {code}", style=style)
            line.append(f": {len(more):,} more{at}; all of them: --format json", style="dim")
            out.print(line)


def _escape(value: str, *, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if prop else value


# GitHub shows 10 error and 10 warning annotations of a step (actions/toolkit): past these,
# the tenth of a kind counts the rest, so that what was left out is said where it is seen
GITHUB_ANNOTATIONS = 10


def github_annotations(report: ValidationReport) -> list[str]:
    """GitHub Actions workflow commands: ::error / ::warning per finding (SHOWN_PER_CODE of a
    code per file, then a count), errors first, at most GITHUB_ANNOTATIONS of each kind."""
    lines = _github_lines(report)
    out = []
    for kind in ("error", "warning"):
        of_kind = [line for line in lines if line.startswith(f"::{kind} ")]
        if len(of_kind) <= GITHUB_ANNOTATIONS:
            out += of_kind
            continue
        left = len(of_kind) - (GITHUB_ANNOTATIONS - 1)
        out += of_kind[: GITHUB_ANNOTATIONS - 1]
        out.append(
            f"::{kind} title=more {kind}s::{left:,} more {kind} annotations not shown: GitHub "
            f"shows {GITHUB_ANNOTATIONS} of a step (kcna-dataset validate --format json lists "
            "every finding)"
        )
    return out


def _github_lines(report: ValidationReport) -> list[str]:
    lines = []
    for f in report.files:
        shown, rest = _shown(f.findings)
        where = f"file={_escape(f.location or f.path, prop=True)}"
        for x in shown:
            props = [where]
            props += [f"{k}={v}" for k, v in (("line", x.line), ("col", x.column)) if v is not None]
            props.append(f"title={_escape(x.code, prop=True)}")
            lines.append(
                f"::{x.severity} {','.join(props)}::{_escape(x.message)}. {_escape(x.hint)}"
            )
        for code, more in rest.items():
            title = f"title={_escape(code, prop=True)}"
            lines.append(
                f"::{more[0].severity} {where},{title}::{len(more)} more {code} findings in "
                "this file (kcna-dataset validate --format json lists them all)"
            )
    return lines


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def validation_line(report: ValidationReport) -> str:
    s = report.summary
    verdict = "valid" if report.valid else "invalid"
    ignored = f" ({s['files_ignored']} ignored)" if s["files_ignored"] else ""
    return (
        f"{verdict}: {plural(s['records'], 'record')} in {plural(s['files_read'], 'file')}"
        f"{ignored}: {s['accepted']} accepted, {s['rejected']} rejected; "
        f"{plural(s['errors'], 'error')}, {plural(s['warnings'], 'warning')}"
    )


def version_callback(value: bool) -> None:
    if value:
        out.print(f"kcna-dataset {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Validate, deduplicate and publish a versioned corpus of North Korean state media."""
    # SIGTERM (a CI job cancelled, `kill`) stops a command as Ctrl-C does: cleanly, nothing
    # half published
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


ReleaseArgument = Annotated[
    Path,
    typer.Argument(
        metavar="RELEASE_DIR",
        help="A release folder (dist/1.0.0), or an output folder (dist: its latest release).",
    ),
]
MapOption = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        metavar="FIELD=NAME",
        help="Your name for one of the scraper record fields (headline, date, link, topic, "
        "story_text, date_str), e.g. --map headline=title --map story_text=body; repeatable.",
        show_default=False,
    ),
]


def field_map_of(pairs: list[str] | None) -> FieldMap:
    try:
        return parse_field_map(pairs or [])
    except ValueError as e:
        raise fail(
            UsageError(str(e), "Pass --map FIELD=YOUR_NAME, e.g. --map headline=title.")
        ) from None


@app.command(cls=_PlainHelp)
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH...",
            help="Raw files or folders to check (default: raw/).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        ValidateFormat,
        typer.Option(
            "--format", help="text for people, json for machines, github for PR annotations."
        ),
    ] = ValidateFormat.text,
    field_names: MapOption = None,
) -> None:
    """Check raw files against the declared schemas (no release).

    Exit status: 0 valid, 1 invalid, 2 usage error.

    Example: kcna-dataset validate raw/new-file.jsonl --format github
    """
    with exits():
        from kcna_dataset.validate import validate_paths

        # a progress display like build's, on a terminal, for the text report only
        with stage_progress(output is ValidateFormat.text) as progress:
            report = validate_paths(
                paths or [Path("raw")], progress=progress, field_map=field_map_of(field_names)
            )
    if output is ValidateFormat.json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    elif output is ValidateFormat.github:
        for line in github_annotations(report):
            sys.stdout.write(line + "\n")
        sys.stdout.write(validation_line(report) + "\n")
    else:
        print_findings(report)
        out.print(validation_line(report), markup=False)
    if not report.valid:
        raise typer.Exit(code=1)


# options that several commands share, declared once
RawOption = Annotated[
    Path,
    typer.Option(
        "--raw",
        metavar="DIR",
        help="Folder of raw article files.",
    ),
]
OutOption = Annotated[
    Path,
    typer.Option(
        "--out",
        metavar="DIR",
        help="Releases folder: a build publishes into it, and the statement ids of its newest "
        "release are reused.",
    ),
]
JobsOption = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        metavar="N",
        help="Worker processes for parsing and hashing (default: one per core; small inputs "
        "run in one process).",
        show_default=False,
    ),
]
CacheOption = Annotated[
    Path,
    typer.Option(
        "--cache",
        metavar="DIR",
        envvar="KCNA_CACHE_DIR",
        help="Record cache folder: files already parsed by the same rules are not parsed "
        "again, pairs already verified not verified again. Safe to delete.",
    ),
]
NoCacheOption = Annotated[
    bool, typer.Option("--no-cache", help="Neither read nor write the record cache.")
]


@app.command(cls=_PlainHelp)
def build(
    raw: RawOption = Path("raw"),
    out_dir: OutOption = Path("dist"),
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            metavar="X.Y.Z",
            help="Release version (default: the next version by what changed; 1.0.0 first).",
            show_default=False,
        ),
    ] = None,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid",
            help="Publish the valid records and list the rejected ones in the release.",
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing release of this version.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", help="Print only the release path and errors.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    jobs: JobsOption = None,
    cache: CacheOption = DEFAULT_CACHE_DIR,
    no_cache: NoCacheOption = False,
    field_names: MapOption = None,
    homepage: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="Where the releases are published (a dataset page or repository): written "
            "to datapackage.json and the card's citation.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Validate, deduplicate and publish a release.

    Writes OUT/VERSION/ with Parquet + CSV tables, datapackage.json, stats.json and
    SHA256SUMS. Strict: any invalid record means exit 1 and nothing published.

    Example: kcna-dataset build --raw raw --out dist --skip-invalid
    """
    with exits("nothing was published; existing releases are as they were.", as_json):
        try:
            with stage_progress(not quiet and not as_json) as progress:
                from kcna_dataset.build import build as build_release

                result = build_release(
                    raw,
                    out_dir,
                    version,
                    skip_invalid=skip_invalid,
                    force=force,
                    progress=progress,
                    jobs=jobs,
                    cache_dir=None if no_cache else cache,
                    field_map=field_map_of(field_names),
                    homepage=homepage,
                )
        except InvalidInputError as e:  # the refused records first, then the Error line
            report: ValidationReport = e.report  # type: ignore[assignment]
            if as_json:  # the validation report, as `validate --format json` writes it
                sys.stdout.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
            else:  # --quiet still prints the errors (its help says so), not the warnings
                print_findings(report, errors_only=quiet)
            raise
    summary = result.summary
    if not as_json:
        for note in summary["notes"]:
            err.print(f"Warning: {printable(note)}", markup=False)
    if as_json:  # with "release": null when nothing changed
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        return
    if result.release is None:
        # nothing changed since the newest release: nothing to publish, and that is fine
        out.print(f"nothing changed since {result.version}", markup=False)
        return
    if quiet:
        out.print(summary["release"], markup=False)
        return
    print_build_summary(result)


def print_build_summary(result: BuildResult) -> None:
    """What a published build says: the rejected records (--skip-invalid), the totals, the
    copies by outlet, warnings by code, timing, statement ids, and where the release is."""
    summary = result.summary
    if not result.report.valid:
        print_findings(result.report)
    totals = Table(title=f"kcna-dataset {result.version}", show_header=False)
    for key in (
        "files_read",
        "files_ignored",
        "records",
        "accepted",
        "rejected",
        "articles",
        "statements",
        "duplicates_merged",
    ):
        totals.add_row(key.replace("_", " "), str(summary[key]))
    for match, n in summary["merged_by_match"].items():
        totals.add_row(f"  {match}", str(n))
    out.print(totals)
    by_source = Table("source", "articles", "canonical copies")
    for src, n in summary["by_source"].items():
        by_source.add_row(src, str(n["articles"]), str(n["canonical"]))
    out.print(by_source)
    if summary["warnings"]:
        shown = ", ".join(f"{code} {n:,}" for code, n in summary["warnings"].items())
        out.print(f"warnings: {shown} (each one: kcna-dataset validate)", markup=False)
    out.print(timing_line(summary), markup=False)
    ids = summary["statement_ids"]
    if ids["previous_release"]:
        out.print(
            f"statement ids against {ids['previous_release']}: {ids['kept']} kept, "
            f"{ids['new']} new, {len(ids['retired'])} retired, {len(ids['split'])} split, "
            f"{len(ids['merged'])} merged",
            markup=False,
        )
    out.print(f"Release written to {summary['release']}/", markup=False)


@app.command(cls=_PlainHelp)
def duplicates(
    raw: RawOption = Path("raw"),
    out_dir: OutOption = Path("dist"),
    explain: Annotated[
        str | None,
        typer.Option(
            metavar="ARTICLE_ID",
            help="Explain why this article joined its statement.",
            show_default=False,
        ),
    ] = None,
    against: Annotated[
        str | None,
        typer.Option(
            metavar="ARTICLE_ID",
            help="With --explain: why the two articles did or did not merge, rule by rule.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="text for people, json for machines.")
    ] = OutputFormat.text,
    jobs: JobsOption = None,
    cache: CacheOption = DEFAULT_CACHE_DIR,
    no_cache: NoCacheOption = False,
    field_names: MapOption = None,
) -> None:
    """Show the duplicate groups, or explain one article's match.

    Deduplicates the valid records under --raw without publishing anything, with the record
    cache a build uses. Example: kcna-dataset duplicates --explain a-52dcab732da3bc7b --against
    a-1011bbc7e5e1ff05
    """
    if against and not explain:
        raise fail(UsageError("--against needs --explain", "Pass --explain ARTICLE_ID too."))
    with exits():
        with stage_progress(output is OutputFormat.text) as progress:
            from kcna_dataset.duplicates import find_duplicates

            found = find_duplicates(
                raw,
                out_dir,
                progress=progress,
                jobs=jobs,
                cache_dir=None if no_cache else cache,
                field_map=field_map_of(field_names),
            )
        if explain and against:
            data = found.explain_pair(explain, against)
        else:
            data = found.explain(explain) if explain else found.to_dict()
    if output is OutputFormat.json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif explain and against:
        print_pair(data)
    elif explain:
        print_explanation(data)
    else:
        print_groups(data)


def print_groups(data: dict[str, Any]) -> None:
    for g in data["groups"]:
        out.print(
            f"{g['statement_id']}  {g['published_date']}  {g['copies']} copies  {g['title']}",
            markup=False,
        )
        for a in g["articles"]:
            how = "canonical" if a["match"] is None else f"{a['match']} {a['similarity']:.2f}"
            out.print(
                f"  {how:<16} {a['article_id']:<20} {a['source']:<16} {a['published_date']}  "
                f"{a['raw_path']}",
                markup=False,
            )
    out.print(
        f"{len(data['groups'])} statements with copies; {data['articles']} articles, "
        f"{data['statements']} statements; {data['candidate_pairs']} candidate pairs verified: "
        + ", ".join(f"{k} {v}" for k, v in data["verdicts"].items()),
        markup=False,
    )


def print_explanation(data: dict[str, Any]) -> None:
    lines = [
        f"article    {data['article_id']}  {data['source']}  {data['published_date']}  "
        f"{data['raw_path']}",
        f"statement  {data['statement_id']}  ({data['statement_copies']} copies)  "
        f"{data['statement_title']}",
        f"canonical  {data['canonical_article_id']}  (date gap {data['date_gap_days']} days)",
        f"why        {data['explanation']}",
    ]
    if "evidence" in data:
        e = data["evidence"]
        lines.append(
            f"scores     jaccard {e['jaccard']}, containment {e['containment']}, length ratio "
            f"{e['length_ratio']}, date gap {e['date_gap_days']} days"
        )
        subs = "; ".join(f"{x!r} / {y!r}" for x, y in e["substitutions"]) or "none"
        lines.append(f"substituted {subs}")
        lines.append(f"changes    {data['changes']} word-level changes, the first:")
        for d in data["differences"]:
            lines.append(f"  - {d['removed']!r} + {d['added']!r}")
    for line in lines:
        out.print(line, markup=False)


def print_pair(data: dict[str, Any]) -> None:
    together = "one statement" if data["same_statement"] else "two statements"
    lines = [
        f"pair       {data['article_id']}  {data['against']}: {together}",
        f"verdict    {data['verdict']}: {data['reason']}",
        *(f"  {rule:<20} {text}" for rule, text in data["rules"].items()),
        f"changes    {data['changes']} word-level changes, the first:",
        *(f"  - {d['removed']!r} + {d['added']!r}" for d in data["differences"]),
    ]
    for line in lines:
        out.print(line, markup=False)


@app.command(cls=_PlainHelp)
def verify(
    release: ReleaseArgument,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="text for people, json for machines.")
    ] = OutputFormat.text,
) -> None:
    """Check a release: checksums, hashes, schemas, foreign keys (exit 1 if damaged).

    Example: kcna-dataset verify dist/1.0.0
    """
    with exits():
        from kcna_dataset.release.verify import verify_release

        report = verify_release(release)
    if output is OutputFormat.json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        for p in report.problems:
            out.print(f"{p.file}: {p.check}: {p.message}", markup=False)
        verdict = "valid" if report.valid else "damaged"
        out.print(
            f"{verdict}: {report.files_checked} files checksummed, {report.tables_checked} tables "
            f"checked, {len(report.problems)} problems",
            markup=False,
        )
    if not report.valid:
        raise typer.Exit(code=1)


@app.command(cls=_PlainHelp)
def sqlite(
    release: ReleaseArgument,
    database: Annotated[
        Path, typer.Argument(metavar="DB_FILE", help="The SQLite file to write, e.g. kcna.db.")
    ],
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite DB_FILE if it exists.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only DB_FILE.")] = False,
) -> None:
    """Write a release as one searchable SQLite database (full-text search over titles and
    bodies), for Datasette or sqlite-utils.

    Example: kcna-dataset sqlite dist kcna.db && datasette kcna.db
    """
    from kcna_dataset.release.sqlite import release_to_sqlite

    with exits(interrupted="no database was written."), stage_progress(not quiet) as progress:
        summary = release_to_sqlite(release, database, replace=replace, progress=progress)
    if quiet:
        out.print(str(database), markup=False)
        return
    counts = ", ".join(f"{table} {n:,}" for table, n in summary.rows.items())
    out.print(
        f"{database}: release {summary.release.name} ({counts}); search it with "
        f"`datasette {database}` or `sqlite-utils search {database} statements WORDS`",
        markup=False,
    )


def run() -> None:
    """The `kcna-dataset` console script: the app, then an exit without the interpreter's
    teardown, which frees every object one by one (0.3 s after a 20,000-page build, more with
    more). The exit functions run and the output is flushed first; with a thread still running
    (none is, after a command returns) or output that cannot be flushed, the usual exit."""
    import atexit
    import os
    import threading

    # Arrow's default allocator, mimalloc, marks its memory for transparent huge pages
    # (madvise), so where the kernel makes them on request (THP "madvise", the common default)
    # a first touch of freed and returned memory can wait for it to compact a 2 MB page:
    # 24-100 ms against 17-22 ms for 41 MB (a body column's) here. Read when pyarrow first
    # allocates, so set before it is imported; the user's own choice is kept.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    try:
        app(prog_name="kcna-dataset")
    except SystemExit as stop:
        code = stop.code
    else:  # pragma: no cover - typer's app always ends in SystemExit
        code = 0
    try:
        if (preloading := sys.modules.get("kcna_dataset.runtime.preload")) is not None:
            preloading.finish()  # background imports (a build's), not left to the usual exit
    except BaseException:  # a second Ctrl-C meanwhile: the usual exit, with the command's code
        raise SystemExit(code) from None
    if not isinstance(code, int | None) or threading.active_count() > 1:
        raise SystemExit(code)
    try:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # a closed pipe (Python's own exit says it), a Ctrl-C meanwhile
        raise SystemExit(code) from None
    os._exit(code or 0)
