"""The declared Table Schemas (schemas/*.schema.json) drive everything typed in a release.

* `arrow_schema`        : the Parquet/CSV column order and types
* `constraint_failures` : the declared constraints over Arrow columns, vectorised (validate)
* `pandera_schema`      : the checks run on every table before it is published (and by verify)
* `failure_cases`       : those checks over a table of any size, a slice at a time

pandera's own Frictionless bridge turns dates into strings and ignores several constraints, so the
mapping is done here; tests/test_schema.py proves frictionless, pandera and the Arrow check flag
the same cells. pandas and pandera are imported when a pandera check runs, not with this module:
`kcna-dataset validate` of a few files starts without them (they take ~0.35 s to import).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as arrow
import pyarrow.compute as pc

from kcna_dataset.declarations import TABLES, table_schema
from kcna_dataset.runtime.memory import drop_pages

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa

# what a pandera check imports (a build imports them in the background meanwhile: preload.py);
# pandera imports its built-in checks at the first validation (its check strategies import
# hypothesis where it is installed: the release tables' check in a 20,001-page build took
# 0.18-0.23 s before, 0.10 s after). Last: a name that fails to import ends the preload
# (another pandera may not have that module)
PANDERA_MODULES = ("pandas", "pandera.pandas", "pandera.backends.pandas.builtin_checks")

_ARROW_TYPES: dict[str, arrow.DataType] = {
    "string": arrow.string(),
    "integer": arrow.int64(),
    "number": arrow.float64(),
    "boolean": arrow.bool_(),
    "date": arrow.date32(),
}


@cache
def _pandera_types() -> dict[str, Any]:
    import pandera.pandas as pa

    return {
        "string": pa.String,
        "integer": "Int64",
        "number": "Float64",
        "boolean": "boolean",
        "date": pa.Date,
    }


@cache
def _pandas_types() -> dict[arrow.DataType, Any]:
    import pandas as pd

    return {
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
    return table.to_pandas(types_mapper=_pandas_types().get, date_as_object=True)


def _bound(field_type: str, value: Any) -> Any:
    return date.fromisoformat(value) if field_type == "date" else value


def _checks(field: dict[str, Any]) -> list[pa.Check]:
    import pandera.pandas as pa

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
    import pandera.pandas as pa

    declared = table_schema(table)
    wanted = set(columns) if columns is not None else None
    keys = unique_keys(table, columns) if uniqueness else []
    cols: dict[str, pa.Column] = {}
    for f in declared["fields"]:
        if wanted is not None and f["name"] not in wanted:
            continue
        c = f.get("constraints", {})
        cols[f["name"]] = pa.Column(
            _pandera_types()[f["type"]],
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
        repeated = counts.field("values").filter(
            pc.greater(counts.field("counts"), _scalar(1, arrow.int64()))
        )
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


# pandera's check names -> the Table Schema constraint they enforce, for messages
_CONSTRAINTS = (
    ("str_matches", "pattern"),
    ("str_length", "length"),
    ("greater_than_or_equal_to", "minimum"),
    ("less_than_or_equal_to", "maximum"),
    ("isin", "enum"),
    ("field_uniqueness", "unique"),
    ("not_nullable", "required"),
)


def constraint_name(check: str) -> str:
    return next((name for prefix, name in _CONSTRAINTS if check.startswith(prefix)), check)


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
    import pandera.pandas as pa

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


def _scalar(value: Any, type_: arrow.DataType) -> arrow.Scalar:
    # not `arrow.scalar`, which imports pandas (see to_arrow)
    return to_arrow([value], type_)[0]


def _constraint_masks(
    field: dict[str, Any], column: arrow.ChunkedArray
) -> Iterator[tuple[str, arrow.ChunkedArray]]:
    """(constraint, true where a cell breaks it) for one declared field. A null breaks only
    `required`: the other constraints apply to values (Table Schema; pandera and frictionless
    skip nulls too)."""
    c = field.get("constraints", {})
    t = _ARROW_TYPES[field["type"]]
    if c.get("required"):
        yield "required", pc.is_null(column)
    if "minLength" in c or "maxLength" in c:
        length = pc.utf8_length(column)
        if "minLength" in c:
            yield "length", pc.less(length, _scalar(c["minLength"], length.type))
        if "maxLength" in c:
            yield "length", pc.greater(length, _scalar(c["maxLength"], length.type))
    if "pattern" in c:
        # the whole value (Table Schema); Arrow's regular expressions are RE2's, which the
        # declared patterns (classes, counts, groups, alternation) are written in
        whole = pc.match_substring_regex(column, f"^(?:{c['pattern']})$")
        yield "pattern", pc.invert(whole)
    if "minimum" in c:
        yield "minimum", pc.less(column, _scalar(_bound(field["type"], c["minimum"]), t))
    if "maximum" in c:
        yield "maximum", pc.greater(column, _scalar(_bound(field["type"], c["maximum"]), t))
    if "enum" in c:
        allowed = to_arrow([_bound(field["type"], v) for v in c["enum"]], t)
        # is_in says false (not null) for a null, so nulls are set apart here
        yield "enum", pc.and_(pc.is_valid(column), pc.invert(pc.is_in(column, value_set=allowed)))


def constraint_failures(
    table: str, data: arrow.Table, columns: Iterable[str] | None = None
) -> list[FailureCase]:
    """Every cell of `data` that breaks the declared `table` constraints, and every row of a
    repeated unique key: what `failure_cases` finds with pandera, found with Arrow's compute
    kernels, with no copy to pandas (tests/test_schema.py holds the two to the same cells).
    `check` is the constraint's Table Schema name (`pattern`, `required`, ...)."""
    wanted = set(columns) if columns is not None else set(data.column_names)
    found: list[FailureCase] = []
    for field in table_schema(table)["fields"]:
        if field["name"] not in wanted:
            continue
        column = data.column(field["name"])
        for check, mask in _constraint_masks(field, column):
            rows = pc.indices_nonzero(mask)  # a null mask (null cell) is not a failure
            if len(rows) == 0:
                continue
            values = column.take(rows).to_pylist()
            found.extend(
                FailureCase(row, field["name"], check, value)
                for row, value in zip(rows.to_pylist(), values, strict=True)
            )
    for key in unique_keys(table, wanted):
        found.extend(_duplicates(key, data))
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


# date32 counts days from 1970-01-01
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_NUMPY_TYPES: dict[arrow.DataType, Any] = {
    arrow.int64(): np.int64,
    arrow.int32(): np.int32,
    arrow.float64(): np.float64,
    arrow.date32(): np.int32,
}


def _validity(values: Sequence[Any]) -> arrow.Buffer | None:
    if not any(v is None for v in values):
        return None
    valid = np.fromiter((v is not None for v in values), np.bool_, len(values))
    return arrow.py_buffer(np.packbits(valid, bitorder="little"))


def _fixed_width(values: Sequence[Any], type_: arrow.DataType) -> arrow.Array:
    """A number, date or boolean column from Python values, through numpy buffers."""
    if type_ == arrow.date32():
        numbers: Iterator[Any] = (
            0 if v is None else v.toordinal() - _EPOCH_ORDINAL for v in values
        )
    else:
        numbers = (0 if v is None else v for v in values)
    if type_ == arrow.bool_():
        bits = np.packbits(np.fromiter(numbers, np.bool_, len(values)), bitorder="little")
        data = arrow.py_buffer(bits)
    else:
        data = arrow.py_buffer(np.fromiter(numbers, _NUMPY_TYPES[type_], len(values)))
    return arrow.Array.from_buffers(type_, len(values), [_validity(values), data])


def to_arrow(values: Sequence[Any], type_: arrow.DataType) -> arrow.ChunkedArray:
    """Python values -> Arrow, a slice at a time, without `arrow.array`.

    `arrow.array` asks pandas whether a list is array-like, importing it the first time (0.2 s,
    most of the start of `validate` on one page); Arrow's builder and numpy buffers do not.
    Arrow's own conversion of a str would also keep its UTF-8 form cached inside the str for
    the object's lifetime (CPython's PyUnicode_AsUTF8AndSize): about 2 kB more per non-ASCII
    body held by an Article. The string builder encodes a copy and leaves the strings as they
    were (and measured 1.5x faster than the conversion it replaced, 100,000 bodies).
    """
    chunks = []
    for start in range(0, len(values), SLICE_ROWS):
        part = values[start : start + SLICE_ROWS]
        if type_ == arrow.string():
            builder = arrow.lib.StringBuilder()
            builder.append_values(part)
            chunks.append(builder.finish())
        else:
            chunks.append(_fixed_width(part, type_))
    return arrow.chunked_array(chunks, type_)


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
