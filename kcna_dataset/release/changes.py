"""What changed between two releases, and the version that follows from it.

Data Package versioning: a schema change (field added, removed or retyped, a constraint
tightened) is MAJOR; statements or articles added or removed are MINOR; corrections of existing
rows only are PATCH; nothing changed means no release.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as arrow
import pyarrow.compute as pc
import pyarrow.parquet as parquet

from kcna_dataset.release.publish import version_key
from kcna_dataset.runtime.arrow_tables import take_rows

# what an article's content-derived id is a digest of (records.article_id_for), and what a
# statement takes from its canonical article: equal ids, equal values
ARTICLE_ID_FIELDS = (
    "source",
    "url",
    "title",
    "published_date",
    "listed_date",
    "dateline",
    "body",
)
STATEMENT_FIELDS_OF_CANONICAL = ("title", "dateline", "body", "canonical_source")
# constraints whose new value is stricter when it is larger / smaller
_TIGHTER_IF_LARGER = ("minLength", "minimum")
_TIGHTER_IF_SMALLER = ("maxLength", "maximum")


@dataclass(slots=True)
class Changes:
    previous: str | None
    schema: list[str] = field(default_factory=list)  # tightening / breaking changes
    schema_loosened: list[str] = field(default_factory=list)
    statements_added: list[str] = field(default_factory=list)
    statements_removed: list[str] = field(default_factory=list)
    statements_changed: dict[str, list[str]] = field(default_factory=dict)  # id -> fields
    articles_added: list[str] = field(default_factory=list)  # raw_path
    articles_removed: list[str] = field(default_factory=list)
    articles_corrected: dict[str, list[str]] = field(default_factory=dict)  # raw_path -> fields
    # for the changelog: the title of each statement named above, and each changed statement's
    # copies before and after (a statement that only gained copies did not change)
    titles: dict[str, str] = field(default_factory=dict)
    copies: dict[str, tuple[int, int]] = field(default_factory=dict)
    # and each article named above (by raw_path): its article id and title
    articles: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def level(self) -> str | None:
        """major | minor | patch | None (nothing changed)."""
        if self.previous is None:
            return "first"
        if self.schema:
            return "major"
        if (
            self.statements_added
            or self.statements_removed
            or self.articles_added
            or self.articles_removed
            or self.schema_loosened
        ):
            return "minor"
        if self.statements_changed or self.articles_corrected:
            return "patch"
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "previous_release": self.previous,
            "level": self.level,
            "counts": {
                "statements_added": len(self.statements_added),
                "statements_removed": len(self.statements_removed),
                "statements_changed": len(self.statements_changed),
                "articles_added": len(self.articles_added),
                "articles_removed": len(self.articles_removed),
                "articles_corrected": len(self.articles_corrected),
            },
            "schema": self.schema,
            "schema_loosened": self.schema_loosened,
            "statements_added": self.statements_added,
            "statements_removed": self.statements_removed,
            "statements_changed": self.statements_changed,
            "articles_added": self.articles_added,
            "articles_removed": self.articles_removed,
            "articles_corrected": self.articles_corrected,
        }


def next_version(previous: str | None, level: str | None) -> str | None:
    if previous is None:
        return "1.0.0"
    major, minor, patch = version_key(previous)
    match level:
        case "major":
            return f"{major + 1}.0.0"
        case "minor":
            return f"{major}.{minor + 1}.0"
        case "patch":
            return f"{major}.{minor}.{patch + 1}"
    return None


def _schemas(release: Path) -> dict[str, dict[str, Any]]:
    package = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    return {r["name"]: r["schema"] for r in package["resources"] if r.get("format") == "parquet"}


def compare_schemas(
    old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]
) -> tuple[list[str], list[str]]:
    """(breaking, loosening) differences between two releases' table schemas."""
    breaking: list[str] = []
    loosening: list[str] = []
    for table in sorted(set(old) | set(new)):
        if table not in new:
            breaking.append(f"table {table} removed")
            continue
        if table not in old:
            loosening.append(f"table {table} added")
            continue
        before = {f["name"]: f for f in old[table]["fields"]}
        after = {f["name"]: f for f in new[table]["fields"]}
        for name in sorted(set(before) - set(after)):
            breaking.append(f"{table}.{name} removed")
        for name in sorted(set(after) - set(before)):
            breaking.append(f"{table}.{name} added")
        for name in sorted(set(before) & set(after)):
            a, b = before[name], after[name]
            if a["type"] != b["type"]:
                breaking.append(f"{table}.{name} retyped {a['type']} -> {b['type']}")
            ca, cb = a.get("constraints", {}), b.get("constraints", {})
            for key in sorted(set(ca) | set(cb)):
                if ca.get(key) == cb.get(key):
                    continue
                tighter = (
                    key not in ca
                    or (key == "required" and cb.get(key) is True)
                    or (key == "unique" and cb.get(key) is True)
                    or (key in _TIGHTER_IF_LARGER and key in cb and cb[key] > ca[key])
                    or (key in _TIGHTER_IF_SMALLER and key in cb and cb[key] < ca[key])
                    or (key == "enum" and key in cb and not set(ca[key]) <= set(cb[key]))
                    or (key == "pattern" and key in cb)
                )
                (breaking if tighter else loosening).append(
                    f"{table}.{name} constraint {key}: {ca.get(key)!r} -> {cb.get(key)!r}"
                )
    return breaking, loosening


def _same(a: arrow.ChunkedArray, b: arrow.ChunkedArray) -> arrow.ChunkedArray:
    """Row by row: equal values, or both null."""
    if a.type != b.type:  # a retyped column: compare as Python values
        pairs = zip(a.to_pylist(), b.to_pylist(), strict=True)
        return arrow.chunked_array([[x == y for x, y in pairs]], arrow.bool_())
    equal = pc.fill_null(pc.equal(a, b), False)
    return pc.or_(equal, pc.and_(pc.is_null(a), pc.is_null(b)))


def row_differences(
    old_path: Path,
    new: arrow.Table,
    key: str,
    ignore: tuple[str, ...] = (),
    implied: tuple[str, tuple[str, ...]] | None = None,
) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """(keys added, keys removed, key -> fields that differ) from a published table to `new`.

    Column by column in Arrow: neither table is turned into Python rows, and the old one is
    read a column at a time. `implied` = (a content-derived id column, the columns it is a
    digest of): those are compared only on rows whose ids differ, and not read at all when
    no id does (a rebuild that only adds articles reads no old bodies).
    """
    old_file = parquet.ParquetFile(old_path)
    old_names = old_file.schema_arrow.names
    old_keys = old_file.read(columns=[key]).column(key)
    new_keys = new.column(key)
    in_old = pc.is_in(new_keys, value_set=old_keys.combine_chunks())
    in_new = pc.is_in(old_keys, value_set=new_keys.combine_chunks())
    added = sorted(new_keys.filter(pc.invert(in_old)).to_pylist())
    removed = sorted(old_keys.filter(pc.invert(in_new)).to_pylist())
    # the rows both have, aligned: releases are sorted, so the common rows are usually in the
    # same order on both sides already and a filter lines them up; otherwise sort by key
    common = old_keys.filter(in_new)
    if common.equals(new_keys.filter(in_old)):

        def old_side(column: arrow.ChunkedArray) -> arrow.ChunkedArray:
            return column if len(common) == len(old_keys) else column.filter(in_new)

        def new_side(column: arrow.ChunkedArray) -> arrow.ChunkedArray:
            return column if len(common) == len(new_keys) else column.filter(in_old)

    else:
        old_rows = pc.indices_nonzero(in_new)
        old_rows = old_rows.take(pc.sort_indices(old_keys.take(old_rows)))
        new_rows = pc.indices_nonzero(in_old)
        new_rows = new_rows.take(pc.sort_indices(new_keys.take(new_rows)))
        common = old_keys.take(old_rows)

        # take_rows: a chunked column's own take would first copy the whole column
        def old_side(column: arrow.ChunkedArray) -> arrow.ChunkedArray:
            return take_rows(arrow.table({"c": column}), old_rows).column("c")

        def new_side(column: arrow.ChunkedArray) -> arrow.ChunkedArray:
            return take_rows(arrow.table({"c": column}), new_rows).column("c")

    def old_column(name: str) -> arrow.ChunkedArray:
        return old_side(old_file.read(columns=[name]).column(name))

    id_differs: arrow.ChunkedArray | None = None  # row by row, over the rows both have
    digested: tuple[str, ...] = ()
    if implied and implied[0] in old_names and implied[0] in new.column_names:
        ids_before, ids_after = old_column(implied[0]), new_side(new.column(implied[0]))
        if ids_before.type == ids_after.type:
            id_differs = pc.invert(_same(ids_before, ids_after))
            digested = implied[1]
    ids_all_equal = id_differs is not None and not pc.any(id_differs).as_py()
    differing: dict[int, list[str]] = {}
    for name in sorted(set(old_names) | set(new.column_names)):
        if name in ignore or name == key:
            continue
        if name in digested and name in old_names and name in new.column_names:
            if ids_all_equal:
                continue  # every id equal: so are the values it digests (not even read)
            assert id_differs is not None
            differs = pc.invert(_same(old_column(name), new_side(new.column(name))))
            changed = pc.indices_nonzero(pc.and_(differs, id_differs))
        elif name not in old_names or name not in new.column_names:
            present = new_side(new.column(name)) if name in new.column_names else old_column(name)
            changed = pc.indices_nonzero(pc.is_valid(present))  # a value where there was none
        else:
            before = old_column(name)
            changed = pc.indices_nonzero(pc.invert(_same(before, new_side(new.column(name)))))
        for row in changed.to_pylist():
            differing.setdefault(row, []).append(name)
    keys = common.take(sorted(differing)).to_pylist() if differing else []
    return added, removed, dict(zip(keys, (differing[r] for r in sorted(differing)), strict=True))


def compare(
    previous: Path | None, tables: dict[str, arrow.Table], schemas: dict[str, dict[str, Any]]
) -> Changes:
    """The changes from the release folder `previous` to the tables about to be published."""
    if previous is None:
        return Changes(
            None,
            statements_added=tables["statements"].column("statement_id").to_pylist(),
            articles_added=tables["articles"].column("raw_path").to_pylist(),
        )
    changes = _differences(previous, tables, schemas)
    _name_statements(changes, previous, tables["statements"])
    _name_articles(changes, previous, tables["articles"])
    return changes


# fields of a statement that follow from its copies, not from its text
COPY_FIELDS = frozenset({"article_count", "sources", "revision_count"})


def _rows_where(table: arrow.Table, columns: list[str], wanted: set[str]) -> dict[str, tuple]:
    """{key: the other columns' values} of the rows whose first column is in `wanted`."""
    if not wanted:
        return {}
    key, *rest = columns
    mask = pc.is_in(table.column(key), value_set=arrow.array(sorted(wanted)))
    part = table.select(columns).filter(mask).to_pylist()
    return {r[key]: tuple(r[c] for c in rest) for r in part}


def _name_statements(changes: Changes, previous: Path, statements: arrow.Table) -> None:
    """Titles (new ones, or the old ones of removed statements) and copy counts of the
    statements the changes name: read for those rows only."""
    wanted = {*changes.statements_added, *changes.statements_changed}
    old_wanted = {*changes.statements_removed, *changes.statements_changed}
    columns = ["statement_id", "title", "article_count"]
    new = _rows_where(statements, columns, wanted)
    old = _rows_where(
        parquet.read_table(previous / "data" / "statements.parquet", columns=columns),
        columns,
        old_wanted,
    )
    changes.titles = {k: v[0] for k, v in {**old, **new}.items()}
    changes.copies = {
        k: (old[k][1], new[k][1]) for k in changes.statements_changed if k in old and k in new
    }


def _name_articles(changes: Changes, previous: Path, articles: arrow.Table) -> None:
    """Id and title of each article the changes name (the old ones of removed articles)."""
    wanted = {*changes.articles_added, *changes.articles_corrected}
    columns = ["raw_path", "article_id", "title"]
    old = _rows_where(
        parquet.read_table(previous / "data" / "articles.parquet", columns=columns),
        columns,
        set(changes.articles_removed),
    )
    changes.articles = {**old, **_rows_where(articles, columns, wanted)}


def _differences(
    previous: Path, tables: dict[str, arrow.Table], schemas: dict[str, dict[str, Any]]
) -> Changes:
    changes = Changes(previous.name)
    changes.schema, changes.schema_loosened = compare_schemas(_schemas(previous), schemas)
    data = previous / "data"
    (
        changes.statements_added,
        changes.statements_removed,
        changes.statements_changed,
    ) = row_differences(
        data / "statements.parquet",
        tables["statements"],
        "statement_id",
        implied=("canonical_article_id", STATEMENT_FIELDS_OF_CANONICAL),
    )
    # articles are matched by where they came from: a corrected file keeps its raw_path
    (
        changes.articles_added,
        changes.articles_removed,
        changes.articles_corrected,
    ) = row_differences(
        data / "articles.parquet",
        tables["articles"],
        "raw_path",
        ("article_id",),
        implied=("article_id", ARTICLE_ID_FIELDS),
    )
    return changes


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def changelog_markdown(version: str, changes: Changes) -> str:
    d = changes.to_dict()
    c = d["counts"]
    lines = [f"# kcna-dataset {version}", ""]
    if changes.previous is None:
        lines += [
            "First release.",
            "",
            f"- {_count(c['statements_added'], 'statement')}, "
            f"{_count(c['articles_added'], 'article')}.",
        ]
        return "\n".join(lines) + "\n"
    if changes.level is None:
        lines += [
            f"No changes since {changes.previous}: the same tables, published again as "
            f"{version} because --version asked for it."
        ]
        return "\n".join(lines) + "\n"
    lines += [f"Changes since {changes.previous} ({changes.level}).", ""]
    # a list, in the (sorted) order of statements_changed: the CHANGELOG's bytes are the same
    # in every run
    gained = [
        k
        for k, fields in changes.statements_changed.items()
        if set(fields) <= COPY_FIELDS
        and k in changes.copies
        and changes.copies[k][1] > changes.copies[k][0]
    ]
    only_copies = f" ({len(gained)} only gained copies)" if gained else ""
    lines += [
        f"- statements: {c['statements_added']} added, {c['statements_removed']} removed, "
        f"{c['statements_changed']} changed{only_copies}",
        f"- articles: {c['articles_added']} added, {c['articles_removed']} removed, "
        f"{c['articles_corrected']} corrected",
    ]
    if changes.schema or changes.schema_loosened:
        lines += ["", "## Schema", ""] + [
            f"- {s}" for s in changes.schema + changes.schema_loosened
        ]
    titles = changes.titles

    def named(x: str) -> str:
        return f"- `{x}` {titles[x]}" if x in titles else f"- `{x}`"

    def article(x: str) -> str:  # where it was read from, its id and its title
        if x not in changes.articles:
            return f"- `{x}`"
        article_id, title = changes.articles[x]
        return f"- `{x}` `{article_id}` {title}"

    sections = (
        ("Statements added", changes.statements_added, named),
        ("Statements removed", changes.statements_removed, named),
        ("Articles added", changes.articles_added, article),
        ("Articles removed", changes.articles_removed, article),
    )
    for title, items, entry in sections:
        if items:
            lines += ["", f"## {title}", ""] + [entry(x) for x in items]
    if gained:
        lines += ["", "## Statements that gained copies", ""] + [
            f"{named(k)}: {changes.copies[k][0]} -> {changes.copies[k][1]} copies" for k in gained
        ]
    changed = {k: v for k, v in changes.statements_changed.items() if k not in set(gained)}
    for title, mapping in (
        ("Statements changed", changed),
        ("Articles corrected", changes.articles_corrected),
    ):
        if mapping:
            lines += ["", f"## {title}", ""] + [
                f"{named(k) if title.startswith('Statements') else article(k)}: {', '.join(v)}"
                for k, v in mapping.items()
            ]
    return "\n".join(lines) + "\n"
