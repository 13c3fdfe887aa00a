"""The declared schemas in `schemas/` (data, not code), from a checkout or an installed wheel."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

# In a checkout (or an editable install) the declarations are the repository's `schemas/`;
# a wheel carries the same files as the kcna_dataset.schemas package (see pyproject.toml).
_CHECKOUT_SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


def read_declaration(name: str) -> str:
    if (_CHECKOUT_SCHEMAS / name).is_file():
        return (_CHECKOUT_SCHEMAS / name).read_text(encoding="utf-8")
    return resources.files("kcna_dataset.schemas").joinpath(name).read_text(encoding="utf-8")


@cache
def _table_schema_text(table: str) -> str:
    return read_declaration(f"{table}.schema.json")


def table_schema(table: str) -> dict[str, Any]:
    """A fresh copy of the declared Frictionless Table Schema of one release table."""
    return json.loads(_table_schema_text(table))


# the release's tables, in the order a release lists them (datapackage.json, the card): declared
# once, here, beside their schemas
TABLES = ("statements", "articles", "sources", "rejections")


def dataset_metadata() -> dict[str, Any]:
    """A fresh copy of what every release says of itself (schemas/dataset.json `package`)."""
    return json.loads(read_declaration("dataset.json"))["package"]


def input_credits() -> list[tuple[str, str]]:
    """(folder of --raw, credit): where inputs came from (schemas/dataset.json `credits`)."""
    declared = json.loads(read_declaration("dataset.json"))["credits"]
    return [(c["inputs"], c["credit"]) for c in declared]
