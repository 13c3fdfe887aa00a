"""The declared Table Schemas (schemas/*.schema.json) drive everything typed in a release.

* `arrow_schema`  : the Parquet/CSV column order and types
* `pandera_schema`: the checks run on every table before it is published
* `failure_cases` : those checks over a table of any size, a slice at a time

pandera's own Frictionless bridge turns dates into strings and ignores several constraints, so the
mapping is done here; tests/test_schema.py proves frictionless and pandera flag the same cells.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import pandera.pandas as pa
import pyarrow as arrow
import pyarrow.compute as pc

from kcna_dataset.declarations import TABLES, table_schema
from kcna_dataset.spool import drop_pages

_ARROW_TYPES: dict[str, arrow.DataType] = {
    "string": arrow.string(),
    "integer": arrow.int64(),
    "number": arrow.float64(),
    "boolean": arrow.bool_(),
    "date": arrow.date32(),
}
_PANDERA_TYPES: dict[str, Any] = {
    "string": pa.String,
    "integer": "Int64",
    "number": "Float64",
    "boolean": "boolean",
    "date": pa.Date,
}
_PANDAS_TYPES = {
    arrow.int64(): pd.Int64Dtype(),
    arrow.float64(): pd.Float64Dtype(),
    arrow.bool_(): pd.BooleanDtype(),
}


def arrow_schema(table: str) -> arrow.Schema:
    return arrow.schema(
        [
            arrow.field(
                f["name"],
                _ARROW_TYPES[f["type"]],
                nullable=not f.get("constraints", {}).get("required", False),
            )
            for f in table_schema(table)["fields"]
        ]
    )


def to_pandas(table: arrow.Table) -> pd.DataFrame:
    """Arrow -> pandas with nullable dtypes and dates as `datetime.date`, as pandera expects."""
    return table.to_pandas(types_mapper=_PANDAS_TYPES.get, date_as_object=True)


def _bound(field_type: str, value: Any) -> Any:
    return date.fromisoformat(value) if field_type == "date" else value


def _checks(field: dict[str, Any]) -> list[pa.Check]:
    c = field.get("constraints", {})
    t = field["type"]
    checks: list[pa.Check] = []
    if "minLength" in c or "maxLength" in c:
        checks.append(
            pa.Check.str_length(
                min_value=c.get("minLength"), max_value=c.get("maxLength"), name="length"
            )
        )
    if "pattern" in c:
        # Table Schema patterns match the whole value.
        checks.append(pa.Check.str_matches(rf"(?:{c['pattern']})\Z", name="pattern"))
    if "minimum" in c:
        checks.append(pa.Check.ge(_bound(t, c["minimum"]), name="minimum"))
    if "maximum" in c:
        checks.append(pa.Check.le(_bound(t, c["maximum"]), name="maximum"))
    if "enum" in c:
        checks.append(pa.Check.isin([_bound(t, v) for v in c["enum"]], name="enum"))
    return checks


def unique_keys(table: str, columns: Iterable[str] | None = None) -> list[list[str]]:
    """The column sets whose values must be unique: unique fields and the primary key."""
    declared = table_schema(table)
    wanted = set(columns) if columns is not None else None
    keys = [[f["name"]] for f in declared["fields"] if f.get("constraints", {}).get("unique")]
    pk = declared.get("primaryKey", [])
    if pk and pk not in keys:
        keys.append(pk)
    return [k for k in keys if wanted is None or set(k) <= wanted]


def pandera_schema(
    table: str, columns: Iterable[str] | None = None, *, uniqueness: bool = True
) -> pa.DataFrameSchema:
    """A pandera schema for a declared table (optionally only some of its columns).

    `uniqueness=False` leaves out the unique checks, for slices of a table whose uniqueness is
    checked over the whole (see `failure_cases`).
    """
    declared = table_schema(table)
    wanted = set(columns) if columns is not None else None
    keys = unique_keys(table, columns) if uniqueness else []
    cols: dict[str, pa.Column] = {}
    for f in declared["fields"]:
        if wanted is not None and f["name"] not in wanted:
            continue
        c = f.get("constraints", {})
        cols[f["name"]] = pa.Column(
            _PANDERA_TYPES[f["type"]],
            checks=_checks(f),
            nullable=not c.get("required", False),
            unique=[f["name"]] in keys,
            required=True,
        )
    composite = next((k for k in keys if len(k) > 1), None)
    return pa.DataFrameSchema(cols, strict=True, ordered=True, unique=composite, name=table)


@dataclass(frozen=True, slots=True)
class FailureCase:
    """One cell that breaks a declared constraint (pandera's failure case, row numbered)."""

    row: int  # 0-based, in the whole table
    column: str
    check: str  # pandera's check name, e.g. str_length(1, None), field_uniqueness
    value: Any


# Arrow <-> Python conversions go a slice at a time, so the copies stay small
SLICE_ROWS = 5_000
# pandera works on pandas: a slice at a time keeps the copy bounded whatever the table's size
# (~100 MB of articles). Its cost is mostly per column and slice, not per row: 100,000
# articles take 1.20 s in 5,000-row slices, 0.37 s in slices of 32,768.
PANDERA_ROWS = 32_768


def _duplicates(key: list[str], data: arrow.Table) -> Iterator[FailureCase]:
    if len(key) == 1:
        column = data.column(key[0])
        counts = pc.value_counts(column)
        repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
        if len(repeated) == 0:
            return
        rows = pc.indices_nonzero(pc.is_in(column, value_set=repeated)).to_pylist()
        values = column.take(rows).to_pylist()
        for row, value in zip(rows, values, strict=True):
            yield FailureCase(row, key[0], "field_uniqueness", value)
        return
    tuples = list(zip(*(data.column(k).to_pylist() for k in key), strict=True))
    seen = Counter(tuples)
    for row, t in enumerate(tuples):
        if seen[t] > 1:
            yield FailureCase(row, ",".join(key), "multiple_fields_uniqueness", t)


def failure_cases(
    table: str,
    data: arrow.Table,
    columns: Iterable[str] | None = None,
    *,
    uniqueness: bool = True,
) -> list[FailureCase]:
    """Every cell of `data` that breaks the declared `table` schema, checked by pandera a slice
    at a time; uniqueness is checked over the whole table with Arrow (unless `uniqueness` is
    False: the caller checks it over a larger whole)."""
    columns = list(columns) if columns is not None else None
    schema = pandera_schema(table, columns, uniqueness=False)
    found: list[FailureCase] = []
    for start in range(0, data.num_rows, PANDERA_ROWS):
        frame = to_pandas(data.slice(start, PANDERA_ROWS))
        drop_pages()  # a mapped table's pages, read for the slice (spool.py)
        frame.index += start
        try:
            schema.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as e:
            found.extend(
                FailureCase(
                    -1 if case.index is None else int(case.index),
                    case.column,
                    str(case.check),
                    case.failure_case,
                )
                for case in e.failure_cases.itertuples()
            )
    for key in unique_keys(table, columns) if uniqueness else []:
        found.extend(_duplicates(key, data))  # over the whole table, in Arrow
    return found


def dangling_references(
    tables: Mapping[str, arrow.Table],
) -> Iterator[tuple[str, str, str, str, list[Any]]]:
    """(table, column, referenced table, referenced column, sorted values missing from it) for
    each declared foreign key, among `tables`, that has any. Nulls are not references (Table
    Schema); a required column's nulls are the schema check's to report."""
    for table, column, ref, ref_column in foreign_keys():
        if table not in tables or ref not in tables:
            continue
        values = tables[table].column(column)
        known = pc.is_in(values, value_set=tables[ref].column(ref_column).combine_chunks())
        dangling = pc.invert(pc.or_kleene(known, pc.is_null(values)))
        if missing := set(values.filter(dangling).to_pylist()):
            yield table, column, ref, ref_column, sorted(missing)


def foreign_keys() -> list[tuple[str, str, str, str]]:
    """(table, column, referenced table, referenced column), as the Table Schemas declare them."""
    return [
        (table, column, fk["reference"]["resource"], ref_column)
        for table in TABLES
        for fk in table_schema(table).get("foreignKeys", [])
        for column, ref_column in zip(fk["fields"], fk["reference"]["fields"], strict=True)
    ]


def to_arrow(values: Sequence[Any], type_: arrow.DataType) -> arrow.ChunkedArray:
    """Python values -> Arrow, with strings encoded here, a slice at a time.

    Arrow's own conversion of a str keeps its UTF-8 form cached inside the str object for the
    object's lifetime (CPython's PyUnicode_AsUTF8AndSize): about 2 kB more per non-ASCII body
    held by an Article. Encoding to bytes and casting leaves the strings as they were.
    """
    if type_ != arrow.string():
        return arrow.chunked_array([arrow.array(values, type_)], type_)
    # an ASCII str is handed over as it is: CPython stores it as UTF-8 already, nothing cached
    chunks = [
        arrow.array(
            [
                v if v is None or v.isascii() else v.encode()
                for v in values[start : start + SLICE_ROWS]
            ],
            arrow.binary(),
        ).cast(arrow.string())
        for start in range(0, len(values), SLICE_ROWS)
    ]
    return arrow.chunked_array(chunks, arrow.string())


def table_from_columns(
    table: str, columns: dict[str, Sequence[Any]], names: Iterable[str] | None = None
) -> arrow.Table:
    """An Arrow table in the declared column order from {column: values} (all the declared
    columns, or `names`)."""
    declared = arrow_schema(table)
    schema = declared if names is None else arrow.schema([declared.field(n) for n in names])
    arrays = [to_arrow(columns[f.name], f.type) for f in schema]
    return arrow.Table.from_arrays(arrays, schema=schema)


def table_from_rows(table: str, rows: Iterable[dict[str, Any]]) -> arrow.Table:
    rows = list(rows)
    names = arrow_schema(table).names
    return table_from_columns(table, {n: [r.get(n) for r in rows] for n in names})
