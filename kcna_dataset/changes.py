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
import pyarrow.parquet as parquet

from kcna_dataset.publish import version_key

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


def _rows(table: arrow.Table, key: str) -> dict[Any, dict[str, Any]]:
    return {row[key]: row for row in table.to_pylist()}


def _differing(a: dict[str, Any], b: dict[str, Any], ignore: tuple[str, ...] = ()) -> list[str]:
    return sorted(k for k in a.keys() | b.keys() if k not in ignore and a.get(k) != b.get(k))


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
    changes = Changes(previous.name)
    changes.schema, changes.schema_loosened = compare_schemas(_schemas(previous), schemas)
    old_s = _rows(parquet.read_table(previous / "data" / "statements.parquet"), "statement_id")
    new_s = _rows(tables["statements"], "statement_id")
    changes.statements_added = sorted(set(new_s) - set(old_s))
    changes.statements_removed = sorted(set(old_s) - set(new_s))
    for sid in sorted(set(old_s) & set(new_s)):
        if fields := _differing(old_s[sid], new_s[sid]):
            changes.statements_changed[sid] = fields
    # articles are matched by where they came from: a corrected file keeps its raw_path
    old_a = _rows(parquet.read_table(previous / "data" / "articles.parquet"), "raw_path")
    new_a = _rows(tables["articles"], "raw_path")
    changes.articles_added = sorted(set(new_a) - set(old_a))
    changes.articles_removed = sorted(set(old_a) - set(new_a))
    for path in sorted(set(old_a) & set(new_a)):
        if fields := _differing(old_a[path], new_a[path], ignore=("article_id",)):
            changes.articles_corrected[path] = fields
    return changes


def changelog_markdown(version: str, changes: Changes) -> str:
    d = changes.to_dict()
    c = d["counts"]
    lines = [f"# kcna-dataset {version}", ""]
    if changes.previous is None:
        lines += [
            "First release.",
            "",
            f"- {c['statements_added']} statements, {c['articles_added']} articles.",
        ]
        return "\n".join(lines) + "\n"
    lines += [f"Changes since {changes.previous} ({changes.level}).", ""]
    lines += [
        f"- statements: {c['statements_added']} added, {c['statements_removed']} removed, "
        f"{c['statements_changed']} changed",
        f"- articles: {c['articles_added']} added, {c['articles_removed']} removed, "
        f"{c['articles_corrected']} corrected",
    ]
    if changes.schema or changes.schema_loosened:
        lines += ["", "## Schema", ""] + [
            f"- {s}" for s in changes.schema + changes.schema_loosened
        ]
    sections = (
        ("Statements added", changes.statements_added),
        ("Statements removed", changes.statements_removed),
        ("Articles added", changes.articles_added),
        ("Articles removed", changes.articles_removed),
    )
    for title, items in sections:
        if items:
            lines += ["", f"## {title}", ""] + [f"- `{x}`" for x in items]
    for title, mapping in (
        ("Statements changed", changes.statements_changed),
        ("Articles corrected", changes.articles_corrected),
    ):
        if mapping:
            lines += ["", f"## {title}", ""] + [
                f"- `{k}`: {', '.join(v)}" for k, v in mapping.items()
            ]
    return "\n".join(lines) + "\n"
