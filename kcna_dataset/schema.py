"""The declared Table Schemas (schemas/*.schema.json) drive everything typed in a release.

* `arrow_schema`  : the Parquet/CSV column order and types
* `pandera_schema`: the checks run on every table before it is published

pandera's own Frictionless bridge turns dates into strings and ignores several constraints, so the
mapping is done here; tests/test_schema.py proves frictionless and pandera flag the same cells.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import pandas as pd
import pandera.pandas as pa
import pyarrow as arrow

from kcna_dataset.declarations import TABLES, table_schema

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


def pandera_schema(table: str, columns: Iterable[str] | None = None) -> pa.DataFrameSchema:
    """A pandera schema for a declared table (optionally only some of its columns)."""
    declared = table_schema(table)
    wanted = set(columns) if columns is not None else None
    cols: dict[str, pa.Column] = {}
    for f in declared["fields"]:
        if wanted is not None and f["name"] not in wanted:
            continue
        c = f.get("constraints", {})
        unique = bool(c.get("unique")) or declared.get("primaryKey") == [f["name"]]
        cols[f["name"]] = pa.Column(
            _PANDERA_TYPES[f["type"]],
            checks=_checks(f),
            nullable=not c.get("required", False),
            unique=unique,
            required=True,
        )
    pk = declared.get("primaryKey", [])
    composite = pk if len(pk) > 1 and all(k in cols for k in pk) else None
    return pa.DataFrameSchema(cols, strict=True, ordered=True, unique=composite, name=table)


def foreign_keys() -> list[tuple[str, str, str, str]]:
    """(table, column, referenced table, referenced column), as the Table Schemas declare them."""
    return [
        (table, column, fk["reference"]["resource"], ref_column)
        for table in TABLES
        for fk in table_schema(table).get("foreignKeys", [])
        for column, ref_column in zip(fk["fields"], fk["reference"]["fields"], strict=True)
    ]


def table_from_rows(table: str, rows: Iterable[dict[str, Any]]) -> arrow.Table:
    return arrow.Table.from_pylist(list(rows), schema=arrow_schema(table))
