"""The declared Table Schemas drive pandera; this proves both validators flag the same cells."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import pandera.pandas as pa
import pyarrow as arrow
import pyarrow.csv as arrow_csv
import pytest
from frictionless import Resource, Schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kcna_dataset import schema as schema_module
from kcna_dataset.declarations import TABLES, table_schema
from kcna_dataset.release.publish import CSV_OPTIONS
from kcna_dataset.schema import (
    arrow_schema,
    constraint_failures,
    failure_cases,
    pandera_schema,
    table_from_rows,
    to_arrow,
    to_pandas,
)

VALID_ARTICLE: dict[str, Any] = {
    "article_id": "a-0123456789abcdef",
    "statement_id": "s-0123456789abcdef",
    "source": "kcna-kp",
    "source_label": "KCNA.kp (En)",
    "title": "Title",
    "published_date": date(2024, 9, 13),
    "listed_date": date(2025, 1, 1),
    "dateline": "Pyongyang, September 13 (KCNA)",
    "body": "Body.",
    "end_mark": True,
    "stamp": None,
    "topic": None,
    "url": None,
    "raw_path": "x.txt",
    "raw_sha256": "a" * 64,
    "match": "exact",
    "similarity": 1.0,
}
# one broken cell per row: (field, value)
BROKEN: list[tuple[str, Any]] = [
    ("article_id", "A-0123456789abcdef"),  # pattern
    ("article_id", "a-0123456789abcdefX"),  # pattern must match the whole value
    ("statement_id", "s-123"),  # pattern
    ("source", "KCNA"),  # pattern
    ("title", None),  # required
    ("body", ""),  # required (frictionless reads "" as missing) / minLength
    ("published_date", date(1940, 1, 1)),  # minimum
    ("listed_date", date(1946, 12, 4)),  # minimum on an optional field
    ("end_mark", None),  # required boolean
    ("raw_sha256", "xyz"),  # pattern
    ("match", "fuzzy"),  # enum
    ("similarity", 1.5),  # maximum
    ("similarity", -0.1),  # minimum
]


def article_rows() -> list[dict[str, Any]]:
    rows = [dict(VALID_ARTICLE)]
    for i, (field, value) in enumerate(BROKEN, start=1):
        row = {**VALID_ARTICLE, "article_id": f"a-{i:016x}", field: value}
        rows.append(row)
    return rows


def frictionless_cells(path: Path, table: str) -> set[tuple[int, str]]:
    schema = table_schema(table)
    schema.pop("foreignKeys", None)
    resource = Resource(
        path=path.name, basepath=str(path.parent), schema=Schema.from_descriptor(schema)
    )
    report = resource.validate()
    assert all(e.type != "resource-error" for e in report.tasks[0].errors), report.flatten()
    # a primary-key error names no field: it is about the key's fields
    key = ",".join(schema.get("primaryKey", []))
    # frictionless types them as Error; a row's and a cell's errors carry a row_number
    errors = report.tasks[0].errors
    return {(e.row_number - 2, getattr(e, "field_name", key)) for e in errors}  # type: ignore[attr-defined]


def pandera_cells(data: arrow.Table, table: str) -> set[tuple[int, str]]:
    try:
        pandera_schema(table).validate(to_pandas(data), lazy=True)
    except pa.errors.SchemaErrors as e:
        return {(int(c.index), c.column) for c in e.failure_cases.itertuples()}
    return set()


def arrow_cells(data: arrow.Table, table: str) -> set[tuple[int, str]]:
    return {(c.row, c.column) for c in constraint_failures(table, data)}


def write_csv(data: arrow.Table, path: Path) -> Path:
    arrow_csv.write_csv(data, path, CSV_OPTIONS)
    return path


def test_pandera_and_frictionless_flag_the_same_cells(tmp_path: Path) -> None:
    # nullable everywhere, so that the broken rows can be built at all
    relaxed = arrow.schema([f.with_nullable(True) for f in arrow_schema("articles")])
    data = arrow.Table.from_pylist(article_rows(), schema=relaxed)
    expected = {(i, field) for i, (field, _) in enumerate(BROKEN, start=1)}
    assert frictionless_cells(write_csv(data, tmp_path / "a.csv"), "articles") == expected
    assert pandera_cells(data, "articles") == expected
    assert arrow_cells(data, "articles") == expected
    # and the Arrow check names the constraint each cell breaks
    assert [
        (c.row, c.check) for c in sorted(constraint_failures("articles", data), key=lambda c: c.row)
    ] == [
        (1, "pattern"),
        (2, "pattern"),
        (3, "pattern"),
        (4, "pattern"),
        (5, "required"),
        (6, "length"),
        (7, "minimum"),
        (8, "minimum"),
        (9, "required"),
        (10, "pattern"),
        (11, "enum"),
        (12, "maximum"),
        (13, "minimum"),
    ]


def test_uniqueness_is_checked_by_pandera_and_frictionless(tmp_path: Path) -> None:
    rows = [dict(VALID_ARTICLE), dict(VALID_ARTICLE)]
    data = table_from_rows("articles", rows)
    # frictionless flags the repeat; pandera flags every row of the duplicated value
    assert frictionless_cells(write_csv(data, tmp_path / "a.csv"), "articles") == {
        (1, "article_id")
    }
    assert pandera_cells(data, "articles") == {(0, "article_id"), (1, "article_id")}
    assert arrow_cells(data, "articles") == {(0, "article_id"), (1, "article_id")}


def test_valid_rows_pass_both(tmp_path: Path) -> None:
    data = table_from_rows("articles", [VALID_ARTICLE])
    assert frictionless_cells(write_csv(data, tmp_path / "a.csv"), "articles") == set()
    assert pandera_cells(data, "articles") == set()
    assert arrow_cells(data, "articles") == set()


@pytest.mark.parametrize("table", TABLES)
def test_declarations_are_valid_table_schemas(table: str) -> None:
    declared = table_schema(table)
    assert Schema.validate_descriptor(declared).valid
    schema = Schema.from_descriptor(declared)
    assert [f.name for f in schema.fields] == arrow_schema(table).names
    assert list(pandera_schema(table).columns) == arrow_schema(table).names
    for field in declared["fields"]:
        assert field.get("description"), f"{table}.{field['name']} needs a description"


def test_arrow_types_follow_declarations() -> None:
    s = arrow_schema("articles")
    assert s.field("published_date").type == arrow.date32()
    assert s.field("end_mark").type == arrow.bool_()
    assert s.field("similarity").type == arrow.float64()
    assert not s.field("article_id").nullable
    assert s.field("listed_date").nullable
    assert arrow_schema("statements").field("article_count").type == arrow.int64()


@pytest.mark.parametrize("slice_rows", [1, 2, 32_768])
def test_failure_cases_finds_the_same_cells_a_slice_at_a_time(
    slice_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # what the build and verify run: pandera over slices, uniqueness over the whole table
    monkeypatch.setattr(schema_module, "PANDERA_ROWS", slice_rows)
    relaxed = arrow.schema([f.with_nullable(True) for f in arrow_schema("articles")])
    broken = arrow.Table.from_pylist(article_rows(), schema=relaxed)
    expected = {(i, field) for i, (field, _) in enumerate(BROKEN, start=1)}
    assert {(c.row, c.column) for c in failure_cases("articles", broken)} == expected
    repeated = table_from_rows("articles", [VALID_ARTICLE, dict(VALID_ARTICLE, body="B.")] * 2)
    assert [(c.row, c.column, c.check, c.value) for c in failure_cases("articles", repeated)] == [
        (row, "article_id", "field_uniqueness", "a-0123456789abcdef") for row in range(4)
    ]


def test_strings_reach_arrow_without_growing() -> None:
    # Arrow's own conversion would cache a UTF-8 copy inside each non-ASCII str (~2 kB a body)
    texts = ["plain ASCII text " * 50, "“Quoted” text – with a dash " * 50, None]
    sizes = [sys.getsizeof(t) for t in texts]
    column = to_arrow(texts, arrow.string())
    assert [sys.getsizeof(t) for t in texts] == sizes
    assert column.to_pylist() == texts
    assert column.type == arrow.string()


def _values(field: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values around a field's constraints: matching and breaking its pattern, bounds, enum."""
    c = field.get("constraints", {})
    kinds: dict[str, st.SearchStrategy[Any]] = {
        "string": st.text(alphabet="abf09-;A \n", max_size=6)
        | (st.from_regex(rf"\A(?:{c['pattern']})\Z") if "pattern" in c else st.nothing())
        | (st.sampled_from(c["enum"]) if "enum" in c else st.nothing()),
        "integer": st.integers(-2, 3),
        "number": st.floats(-0.5, 1.5, allow_nan=False),
        "boolean": st.booleans(),
        "date": st.dates(date(1946, 12, 3), date(1946, 12, 7)),
    }
    return st.none() | kinds[field["type"]]


@pytest.mark.parametrize("table", TABLES)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_arrow_check_flags_what_pandera_flags(table: str, data: st.DataObject) -> None:
    fields = table_schema(table)["fields"]
    rows = data.draw(
        st.lists(st.fixed_dictionaries({f["name"]: _values(f) for f in fields}), max_size=5)
    )
    relaxed = arrow.schema([f.with_nullable(True) for f in arrow_schema(table)])
    cells = arrow.Table.from_pylist(rows, schema=relaxed)
    assert arrow_cells(cells, table) == pandera_cells(cells, table)
