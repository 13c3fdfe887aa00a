"""build = read -> parse -> validate -> dedup -> publish, as one library call."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as arrow
import pyarrow.compute as pc

from kcna_dataset.article_table import RECORD_COLUMNS
from kcna_dataset.config import DedupConfig
from kcna_dataset.declarations import TABLES, dataset_metadata
from kcna_dataset.exceptions import BuildError, InvalidInputError, UsageError
from kcna_dataset.names import require_utf8_path
from kcna_dataset.release.card import data_licence, dataset_card
from kcna_dataset.release.changes import Changes, changelog_markdown, compare, next_version
from kcna_dataset.release.charts import (
    copies_charts,
    copies_columns,
    timeline_chart,
    timeline_columns,
)
from kcna_dataset.release.publish import (
    SEMVER,
    build_lock,
    created_timestamp,
    newest_release,
    release_schema,
    repair_interrupted,
    update_latest,
    version_key,
    write_release,
)
from kcna_dataset.release.verify import checksum_problems
from kcna_dataset.report import ValidationReport
from kcna_dataset.runtime.arrow_tables import gather
from kcna_dataset.runtime.cache import PairScoreCache, RecordCache, rules_fingerprint
from kcna_dataset.runtime.memory import drop_pages, long_lived_run, set_aside, trim_heap
from kcna_dataset.runtime.spool import SPOOL_ABOVE_BYTES, Spool
from kcna_dataset.runtime.workers import (
    POOL_MIN_BYTES,
    FileRunner,
    FileSettings,
    default_jobs,
    file_runner,
)
from kcna_dataset.schema import (
    PANDERA_MODULES,
    arrow_schema,
    dangling_references,
    failure_cases,
    table_from_columns,
    table_from_rows,
)
from kcna_dataset.sources import SourceRegistry
from kcna_dataset.stages.dedup.pipeline import (
    DedupResult,
    Found,
    MapFunction,
    ScoreStore,
    find_candidates,
    settle,
)
from kcna_dataset.stages.dedup.stable_ids import IdChanges, carry_over, previous_ids
from kcna_dataset.stages.parse.scraper import FieldMap
from kcna_dataset.stages.read import InputFile, discover, input_bytes
from kcna_dataset.stages.record_rules import pyongyang_today
from kcna_dataset.timing import timed
from kcna_dataset.validate import Progress, Validated, validate_inputs
from kcna_dataset.version import __version__

HOMEPAGE = re.compile(r"https?://[^\s/]+\S*\Z")


@dataclass(frozen=True, slots=True)
class BuildSettings:
    """What a build is asked to do: the `build` command's options, in one object."""

    raw: Path = Path("raw")
    out: Path = Path("dist")
    version: str | None = None  # None: the next version after what changed
    skip_invalid: bool = False
    force: bool = False
    config: DedupConfig = field(default_factory=DedupConfig)
    homepage: str | None = None  # where the releases are published, for datapackage + card


@dataclass(frozen=True, slots=True)
class BuildResult:
    release: Path | None  # None: nothing changed since `version`, nothing published
    version: str
    report: ValidationReport
    dedup: DedupResult
    tables: dict[str, arrow.Table]
    id_changes: IdChanges
    changes: Changes
    # wall-clock seconds per stage: reported, never written into the release (bytes must not
    # depend on the clock)
    seconds: dict[str, float] = field(default_factory=dict)
    # how the work was done: jobs used, files processed, found in the record cache
    work: dict[str, int] = field(default_factory=dict)
    # what went wrong around the work without failing it (a damaged record cache): warnings
    notes: list[str] = field(default_factory=list)

    @property
    def published(self) -> Path:
        """The release folder this build wrote (BuildError when nothing changed, so nothing was
        published: `release` is None then)."""
        if self.release is None:
            raise BuildError(
                f"nothing was published: nothing changed since {self.version}",
                "Pass --version X.Y.Z to publish the same tables again.",
            )
        return self.release

    @property
    def summary(self) -> dict[str, Any]:
        s = self.report.summary
        articles = self.tables["articles"]
        by_source = Counter(articles.column("source").to_pylist())
        canonical = Counter(self.tables["statements"].column("canonical_source").to_pylist())
        return {
            "version": self.version,
            "release": self.release.as_posix() if self.release else None,
            "change": self.changes.level,
            "files_read": s["files_read"],
            "files_ignored": s["files_ignored"],
            "records": s["records"],
            "accepted": s["accepted"],
            "rejected": s["rejected"],
            "articles": articles.num_rows,
            "statements": self.tables["statements"].num_rows,
            "duplicates_merged": articles.num_rows - self.tables["statements"].num_rows,
            "merged_by_match": dict(
                sorted(Counter(m for m in articles.column("match").to_pylist() if m).items())
            ),
            "statement_ids": self.id_changes.to_dict(),
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "dedup_seconds": dict(self.dedup.seconds),  # its stages in order (text-dedup's)
            "work": dict(self.work),
            "notes": list(self.notes),
            # what was published with a warning, by code (`validate` lists each one)
            "warnings": dict(
                sorted(
                    Counter(
                        x.code
                        for f in self.report.files
                        for x in f.findings
                        if x.severity == "warning"
                    ).items()
                )
            ),
            "by_source": {
                src: {"articles": n, "canonical": canonical.get(src, 0)}
                for src, n in sorted(by_source.items())
            },
        }


def assemble_tables(
    report: ValidationReport,
    dedup: DedupResult,
    registry: SourceRegistry,
    spool: Spool | None = None,
) -> dict[str, arrow.Table]:
    """The release's four tables. `report`'s articles are in release order already
    (`in_release_order`, which run_build applies before dedup to free the path-ordered table):
    the articles table shares their buffers."""
    articles = report.articles
    joined = [dedup.membership[x] for x in articles.column("article_id")]
    added = table_from_columns(
        "articles",
        {
            "statement_id": [m.statement_id for m in joined],
            "match": [m.match for m in joined],
            "similarity": [m.similarity for m in joined],
        },
        ["statement_id", "match", "similarity"],
    )
    del joined
    # the record columns are the validated table's own buffers: the bodies are not copied
    declared = arrow_schema("articles")
    articles_table = arrow.Table.from_arrays(
        [
            (added if f.name in added.column_names else articles.table).column(f.name)
            for f in declared
        ],
        schema=declared,
    )
    columns = (
        "statement_id",
        "title",
        "published_date",
        "dateline",
        "canonical_article_id",
        "canonical_source",
        "article_count",
        "url",
        "topic",
        "revision_count",
    )
    statements: dict[str, Sequence[Any]] = {
        c: [getattr(s, c) for s in dedup.statements] for c in columns
    }
    statements["sources"] = [";".join(s.sources) for s in dedup.statements]
    statements_table = table_from_columns(
        "statements", statements, [n for n in arrow_schema("statements").names if n != "body"]
    )
    del statements
    # each statement's body is its canonical article's, taken from the articles in Arrow
    rows = pc.index_in(
        statements_table.column("canonical_article_id"), value_set=articles_table["article_id"]
    )
    body = gather(articles_table.select(["body"]), rows, spool, "bodies", buckets=False)
    body = body.column("body")
    statements_declared = arrow_schema("statements")
    statements_table = arrow.Table.from_arrays(
        [
            body if f.name == "body" else statements_table.column(f.name)
            for f in statements_declared
        ],
        schema=statements_declared,
    )
    sources = [
        {
            "source": s.source,
            "label": s.label,
            "site": s.site,
            "language": s.language,
            "priority": s.priority,
            "url_prefixes": " ".join(s.url_prefixes) or None,
        }
        for s in registry.sources
    ]
    rejections = [r.to_row() for r in report.rejections]
    return {
        "statements": statements_table,
        "articles": articles_table,
        "sources": table_from_rows("sources", sources),
        "rejections": table_from_rows("rejections", rejections),
    }


def _is_identity(order: arrow.Array) -> bool:
    index = order.to_numpy()
    return bool((index == np.arange(len(index))).all())


def in_release_order(validated: Validated, spool: Spool | None = None) -> Validated:
    """The run with its articles (and sketches) in the published order: the release's
    articles table then shares the validated table's buffers instead of copying them. The
    sorted table goes into `spool` when given."""
    articles = validated.report.articles
    order = articles.release_order()
    if _is_identity(order):
        return validated
    sketches = validated.sketches
    return Validated(
        replace(validated.report, articles=articles.take(order, spool)),
        sketches.reordered(order.to_numpy()) if sketches is not None else None,
    )


def check_release_tables(tables: dict[str, arrow.Table]) -> None:
    """Every table against its declared schema, and the foreign keys between them.

    A failure here is a bug in kcna-dataset (the inputs were validated already), so it stops the
    build before anything is written. The articles' record columns are the validated table's
    own (same schema, same values, only reordered): their columns from dedup are checked here.
    """
    for name, table in tables.items():
        columns = [c for c in table.column_names if name != "articles" or c not in RECORD_COLUMNS]
        if cases := failure_cases(name, table.select(columns), columns):
            shown = [(c.row, c.column, c.check, c.value) for c in cases[:3]]
            raise BuildError(
                f"internal check failed: table {name} breaks its schema: {shown}",
                "This is a bug in kcna-dataset; please report it with the input.",
            )

    for table, column, ref, _, missing in dangling_references(tables):
        raise BuildError(
            f"internal check failed: {table}.{column} values missing from {ref}: {missing[:3]}",
            "This is a bug in kcna-dataset; please report it.",
        )


def build(
    raw: Path = Path("raw"),
    out: Path = Path("dist"),
    version: str | None = None,
    *,
    skip_invalid: bool = False,
    force: bool = False,
    config: DedupConfig | None = None,
    today: date | None = None,
    progress: Progress | None = None,
    jobs: int | None = None,
    cache_dir: Path | None = None,
    spool_above_bytes: int = SPOOL_ABOVE_BYTES,
    field_map: FieldMap = (),
    homepage: str | None = None,
) -> BuildResult:
    """Validate everything under `raw`, deduplicate, and publish `<out>/<version>`.

    Without `version`, the version follows from what changed since the newest release in `out`
    (see `changes.py`); when nothing changed, nothing is published and the result's `release`
    is None. `jobs` processes share the per-file work and the dedup token sets (default: one
    per core, when the input is large enough to pay); `cache_dir` keeps what each input file
    became, so that a rebuild re-parses only changed files (default: no cache). Input larger
    than `spool_above_bytes` keeps the large tables in memory-mapped files (`spool.py`).
    `homepage` (an http(s) URL) is where the releases are published: datapackage.json's
    `homepage` and the card's citation name it.
    """
    if version is not None and not SEMVER.match(version):
        raise UsageError(f"version {version!r} is not X.Y.Z", "Pass --version like 1.2.0.")
    require_utf8_path(out, "--out")
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs {jobs} is not a positive number", "Pass --jobs 1 or more.")
    if homepage is not None and not HOMEPAGE.match(homepage):
        raise UsageError(
            f"--homepage {homepage!r} is not an http(s) URL",
            "Pass the address where the releases are published, e.g. "
            "--homepage https://huggingface.co/datasets/you/kcna.",
        )
    settings = BuildSettings(
        raw, out, version, skip_invalid, force, config or DedupConfig(), homepage
    )
    with pipeline_runtime(
        raw, settings.config, today, jobs, cache_dir, spool_above_bytes, field_map
    ) as (runner, spool, inputs):
        runner.preload = PANDERA_MODULES  # the release tables' checks import them later
        return run_build(settings, runner, spool, inputs, progress)


@contextmanager
def pipeline_runtime(
    raw: Path,
    config: DedupConfig,
    today: date | None = None,
    jobs: int | None = None,
    cache_dir: Path | None = None,
    spool_above_bytes: int = SPOOL_ABOVE_BYTES,
    field_map: FieldMap = (),
) -> Iterator[tuple[FileRunner, Spool, list[InputFile]]]:
    """What the stages run on (the worker pool, the record cache, the spool), for `raw`, and
    the input files found under it."""
    if not raw.is_dir():
        if raw.exists():
            raise UsageError(
                f"--raw {raw} is a file, not a folder",
                f"Pass the folder that holds it (--raw {raw.parent}), or put the file in a "
                "folder of its own; `kcna-dataset validate FILE` checks one file.",
            )
        raise UsageError(
            f"raw folder {raw} does not exist",
            "Pass --raw DIR with the raw article files (default: raw/).",
        )
    registry = SourceRegistry.load()
    settings = FileSettings(registry, today or pyongyang_today(), config, field_map=field_map)
    cache = None
    if cache_dir is not None:
        # never raises: a cache that cannot be used is a warning, and the run goes on without
        cache = RecordCache(cache_dir, rules_fingerprint(registry, config, field_map))
        if cache.usable:
            settings = replace(settings, cache_path=cache.path, fingerprint=cache.fingerprint)
    # discovered once: a million pages' names and sizes are looked at once, not three times
    inputs = discover([raw])
    # what is compared with the spool's and the pool's thresholds: counted up to the larger
    total = input_bytes(inputs, enough=max(spool_above_bytes, POOL_MIN_BYTES))
    with file_runner(settings, jobs or default_jobs(), cache) as runner, long_lived_run():
        runner.known_bytes = total
        with Spool.for_input(total, spool_above_bytes) as spool:
            yield runner, spool, inputs


def release_memory() -> None:
    """What a stage freed goes back to the system before the next one: the C heap's free
    blocks (memory.py) and the pages of spooled tables read so far (spool.py)."""
    trim_heap()
    drop_pages()


def run_build(
    settings: BuildSettings,
    runner: FileRunner,
    spool: Spool,
    inputs: Sequence[InputFile],
    progress: Progress | None = None,
) -> BuildResult:
    """The build's stages in order, each timed: validate (and sort into the release order),
    dedup (and assemble the tables), compare with the previous release, publish."""
    seconds: dict[str, float] = {}
    with timed("total", seconds):
        with timed("read+parse+validate", seconds):
            validated = validate_inputs(inputs, runner, spool, progress)
            refuse_unpublishable(validated.report, settings)
            # the timeline chart (with matplotlib's import, ~0.7 s) is drawn in a worker while
            # this process sorts and deduplicates (the workers are idle meanwhile); a build that
            # then publishes nothing (no change) drew it for nothing on an idle core
            timeline = runner.later(
                timeline_chart, timeline_columns(validated.report.articles.table)
            )
            if progress:
                progress("release order", 0, 1)
            validated = in_release_order(validated, spool)
            if progress:
                progress("release order", 1, 1)
            release_memory()  # the path-ordered table's blocks
            set_aside()  # what validation made lives to the end: dedup's passes skip it
        report = validated.report
        with build_lock(settings.out):
            notes = repair_interrupted(settings.out)
            update_latest(settings.out)
            previous = trusted_previous(settings.out, lowest_version(settings))
            registry = runner.settings.registry
            with timed("dedup", seconds):
                found = find_candidates(
                    report.articles, registry, settings.config, validated.sketches, runner.map
                )
                del validated  # the sketches: nothing after the candidates needs them
                dedup, id_changes = deduplicate_with_stable_ids(
                    found,
                    previous,
                    runner.map,
                    progress,
                    PairScoreCache(runner.cache) if runner.cache else None,
                )
                del found  # the dedup stage's units, candidates and row columns
                release_memory()  # the dedup stage's candidate arrays and token sets
                tables = assemble_tables(report, dedup, registry, spool)
                release_memory()  # the columns assembled from Python lists, the bodies' pass
            with timed("compare+publish", seconds):
                changes = compare(previous, tables, {t: release_schema(t) for t in TABLES})
                version = settings.version or next_version(
                    previous.name if previous else None, changes.level
                )
                if version is not None:
                    # drawn in a worker while the tables are checked
                    copies = runner.later(copies_charts, copies_columns(tables))
                    check_release_tables(tables)
                    drop_pages()
                    release: Path | None = publish(
                        settings,
                        version,
                        report,
                        dedup,
                        id_changes,
                        tables,
                        changes,
                        lambda: {**timeline(), **copies()},
                        registry,
                        progress,
                    )
                else:  # nothing changed: no release
                    release, version = None, changes.previous or ""
                    notes = [*notes, *unpublished_homepage(settings, previous, changes)]
    result = BuildResult(
        release, version, report, dedup, tables, id_changes, changes, seconds, notes=notes
    )
    result.work.update(runner.stats, jobs=runner.jobs_used)
    result.notes.extend(runtime_notes(runner))
    return result


def refuse_unpublishable(report: ValidationReport, settings: BuildSettings) -> None:
    """InvalidInputError when the input failed its checks (and --skip-invalid was not given,
    or left nothing); BuildError when there is nothing to publish."""
    if not report.valid and not settings.skip_invalid:
        s = report.summary
        raise InvalidInputError(
            f"{s['rejected']} of {s['records']} input records are invalid; nothing was published",
            "Fix them (see `kcna-dataset validate`), or pass --skip-invalid to publish the valid "
            "ones and record the rejected ones in the release.",
            report,
        )
    if not report.articles and report.summary["records"]:
        # --skip-invalid with nothing left: the rejections are what the user needs to see
        n = report.summary["records"]
        raise InvalidInputError(
            f"{f'all {n} input records are' if n > 1 else 'the one input record is'} invalid; "
            "nothing was published",
            "Every record was rejected, so --skip-invalid has nothing to publish: fix them "
            "(see `kcna-dataset validate`).",
            report,
        )
    if not report.articles:
        raise BuildError(
            f"no valid articles under {settings.raw}; nothing to publish",
            "Add KCNA Watch pages (*.txt) or scraper records (*.jsonl, *.json, *.csv) to the "
            "folder.",
        )


def lowest_version(settings: BuildSettings) -> str | None:
    """The version the previous release must be below (None: any); UsageError for a
    --version below the newest release (it would be published as if history began or ended
    there), unless --force."""
    version, newest = settings.version, newest_release(settings.out)
    if (
        version
        and newest
        and version_key(version) < version_key(newest.name)
        and not settings.force
    ):
        raise UsageError(
            f"version {version} is lower than the newest release {newest.name} in {settings.out}",
            "Pass a version above it, or leave --version out: the build picks the next one.",
        )
    return version


def unpublished_homepage(
    settings: BuildSettings, previous: Path | None, changes: Changes
) -> list[str]:
    """A note when --homepage was given to a build that published nothing."""
    said = _published_homepage(previous) if previous else None
    if settings.homepage is None or settings.homepage == said:
        return []
    return [
        f"--homepage {settings.homepage} was not published: the data did not change since "
        f"{changes.previous}, whose homepage is "
        f"{said or 'not set'}; pass --version X.Y.Z to publish it in a new release"
    ]


def publish(
    settings: BuildSettings,
    version: str,
    report: ValidationReport,
    dedup: DedupResult,
    id_changes: IdChanges,
    tables: dict[str, arrow.Table],
    changes: Changes,
    charts: Callable[[], dict[str, str]],
    registry: SourceRegistry,
    progress: Progress | None = None,
) -> Path:
    """Write `<out>/<version>/`: the tables, datapackage.json with what the release says of
    itself, stats.json, and the card, licence, CHANGELOG and `charts` (asked for last)."""
    dates = report.articles.table.select(["published_date", "listed_date"])
    newest_date: date = max(pc.max(dates.column(c)).as_py() or date.min for c in dates.column_names)
    declared = dataset_metadata()
    metadata = {
        "name": declared["name"],
        "title": declared["title"],
        "description": declared["description"],
        **({"homepage": settings.homepage} if settings.homepage else {}),
        "created": created_timestamp(
            datetime(newest_date.year, newest_date.month, newest_date.day, tzinfo=UTC)
        ),
        "licenses": declared["licenses"],
        "sources": outlets_present(tables, registry),
        "keywords": declared["keywords"],
        "kcna:dedup": settings.config.to_dict(),
        "kcna:build": {
            "tool": "kcna-dataset",
            "tool_version": __version__,
            "pyarrow_version": arrow.__version__,
            "skip_invalid": settings.skip_invalid,
        },
    }
    ignored = [{"path": f.path, "reason": f.reason} for f in report.files if f.status == "ignored"]
    stats = {
        "summary": report.summary,
        "stages": [s.to_dict() for s in (*report.stats, dedup.stats)],
        "dedup": {
            "candidate_pairs": dedup.candidates,
            "verdicts": dict(sorted(dedup.verified.items())),
            "statement_ids": id_changes.to_dict(),
        },
        "ignored_files": ignored,
    }
    if progress:
        progress("publish", 0, 1)
    extra = {
        "CHANGELOG.md": changelog_markdown(version, changes),
        "changes.json": json.dumps(changes.to_dict(), indent=2) + "\n",
        "README.md": dataset_card(version, tables, metadata, stats),
        "LICENSE.md": data_licence(tables["articles"].column("raw_path").to_pylist()),
    }
    release = write_release(
        settings.out,
        version,
        tables,
        metadata,
        stats,
        extra,
        force=settings.force,
        # asked for once the tables are written: drawn in a worker meanwhile (asked for
        # before, this process waited for the drawing, 0.26-0.36 s of a 5 s build of 20,001
        # pages, and then wrote the tables)
        extra_later=lambda: _drawn(charts),
    )
    if progress:
        progress("publish", 1, 1)
    return release


def _drawn(charts: Callable[[], dict[str, str]]) -> dict[str, str]:
    """The charts, or an Error saying they could not be drawn: asked for inside the release's
    writing, whose own OSErrors are about the output folder."""
    try:
        return charts()
    except OSError as e:
        where = f" ({e.filename})" if e.filename else ""
        raise BuildError(
            f"cannot draw the release's charts: {e.strerror or e}{where}",
            "matplotlib writes its font cache to MPLCONFIGDIR (default ~/.cache/matplotlib) "
            "or the temporary folder: make one writable. Nothing was published.",
        ) from e


def _published_homepage(release: Path) -> str | None:
    try:
        said = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return said.get("homepage") if isinstance(said, dict) else None


def runtime_notes(runner: FileRunner) -> list[str]:
    """What the record cache had to say: damage found and repaired, writes that failed."""
    if runner.cache is None:
        return []
    notes = list(runner.cache.notes)
    if damaged := runner.stats.get("cache_damaged", 0):
        notes.append(
            f"{damaged} record cache entr{'y was' if damaged == 1 else 'ies were'} damaged: "
            "the files were parsed again and the entries replaced"
        )
    return notes


def outlets_present(
    tables: dict[str, arrow.Table], registry: SourceRegistry
) -> list[dict[str, str]]:
    """datapackage.json `sources`: the outlets whose copies are in the release, in the
    registry's order, each with its site."""
    present = set(pc.unique(tables["articles"].column("source")).to_pylist())
    return [
        {"title": s.label, "path": f"https://{s.site}"}
        for s in registry.sources
        if s.source in present
    ]


def trusted_previous(
    out: Path, before: str | None, consequence: str = "nothing was published"
) -> Path | None:
    """The newest release in `out` (below `before`), once its files match its SHA256SUMS.

    A build takes statement ids and the version from it: a damaged or partial previous release
    (ids rewritten, a stray folder, a file missing) would pass its damage into the new one."""
    previous = newest_release(out, before=before)
    if previous is None:
        return None
    if problems := checksum_problems(previous):
        first = problems[0]
        raise BuildError(
            f"the previous release {previous} is damaged ({len(problems)} problem(s); "
            f"{first.file}: {first.message}); {consequence}",
            f"Run `kcna-dataset verify {previous}` for every problem; restore the release from "
            "a copy, or move it out of the releases folder to build without it (statement ids "
            "are then derived anew).",
        )
    return previous


def deduplicate_with_stable_ids(
    found: Found,
    previous: Path | None,
    map_fn: MapFunction = map,
    progress: Progress | None = None,
    scores: ScoreStore | None = None,
) -> tuple[DedupResult, IdChanges]:
    """Deduplicate what `find_candidates` found, then let statements keep the ids they had in
    the `previous` release."""
    dedup = settle(found, map_fn, progress, scores)
    old = previous_ids(previous) if previous else {}
    statements, membership, changes = carry_over(
        dedup.statements, dedup.membership, old, previous.name if previous else None
    )
    statements.sort(key=lambda s: (s.published_date, s.statement_id))
    return replace(dedup, statements=statements, membership=membership), changes
