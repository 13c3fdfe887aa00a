"""Load a release table in one line: `kcna_dataset.load("dist/1.0.0")`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as arrow
import pyarrow.parquet as parquet

from kcna_dataset.declarations import TABLES
from kcna_dataset.exceptions import KcnaDatasetError, UsageError
from kcna_dataset.release.verify import checksum_problems, resolve_release

# pandas dtypes of a loaded table: text as pandas strings, integers/numbers/booleans as nullable
# pandas types, dates as datetime64[ms] (midnight).
_PANDAS = {
    arrow.string(): pd.StringDtype(),
    arrow.int64(): pd.Int64Dtype(),
    arrow.float64(): pd.Float64Dtype(),
    arrow.bool_(): pd.BooleanDtype(),
}


def load(
    path: str | Path, table: str = "statements", *, as_arrow: bool = False, verify: bool = True
) -> pd.DataFrame | arrow.Table:
    """One table of a release as a pandas DataFrame (or a pyarrow Table with `as_arrow`).

    With `verify` (the default) the release's SHA256SUMS are checked first, and a damaged file
    raises KcnaDatasetError naming it.
    """
    if table not in TABLES:
        # the choices in the message itself: str(e) is all many callers show
        choices = ", ".join(TABLES)
        raise UsageError(f"no table {table!r}: the tables are {choices}", f"Pass one of {choices}.")
    release = resolve_release(Path(path))
    if verify and (problems := checksum_problems(release)):
        first = problems[0]
        raise KcnaDatasetError(
            f"{release / first.file}: {first.message}",
            "Download the release again, or pass verify=False.",
        )
    data = parquet.read_table(release / "data" / f"{table}.parquet")
    if as_arrow:
        return data
    return data.to_pandas(types_mapper=_PANDAS.get, date_as_object=False)
