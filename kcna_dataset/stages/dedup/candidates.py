"""Stage 2, candidates: the unit pairs worth verifying.

- MinHash LSH over the whole text and over its opening (a truncated reprint shares the start);
- one outlet's copies under one URL on one date (a revision in place can share few shingles).

A crowd (more than `crowd_size` units in one bucket: n texts of one template on one date) is
split by the names and numbers of its texts, and what is still a crowd is paired with its first
unit only, so that the pairs stay near linear in the corpus.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

import numpy as np
import pyarrow as arrow
import pyarrow.compute as pc

from kcna_dataset.config import DedupConfig
from kcna_dataset.stages.dedup.minhash import (
    candidate_codes,
    crowded,
    pairs_of_codes,
    sorted_unique,
)
from kcna_dataset.stages.dedup.normalize import comparison_text
from kcna_dataset.stages.dedup.tokens import NAME, NUMBER, text_tokens

# a URL as compared: the scheme, `www.`, the host's case, a trailing slash and a fragment do
# not make another URL. One pattern for Python (url_key) and Arrow (url_keys, RE2).
URL_PARTS = (
    r"^\s*(?:[A-Za-z][A-Za-z0-9+.\-]*://)?(?:[Ww][Ww][Ww]\.)?(?P<host>[^/#]*)/?(?P<rest>[^#]*)"
)
_URL_PARTS = re.compile(URL_PARTS)


def url_key(source: str, published: date, url: str | None) -> str | None:
    """One outlet's one URL on one date, as compared."""
    if not url:
        return None
    m = _URL_PARTS.match(url)
    assert m is not None  # every group may be empty: the pattern matches any string
    return f"{source} {published.isoformat()} {m['host'].lower()}/{m['rest'].rstrip('/')}"


def url_keys(
    source: arrow.ChunkedArray, published: arrow.ChunkedArray, url: arrow.ChunkedArray
) -> arrow.ChunkedArray:
    """url_key of every row, in Arrow (a Python call per row costs seconds at a million)."""
    parts = pc.extract_regex(url, URL_PARTS)
    return pc.binary_join_element_wise(
        source,
        pc.cast(published, arrow.string()),
        pc.binary_join_element_wise(
            pc.utf8_lower(pc.struct_field(parts, "host")),
            pc.utf8_rtrim(pc.struct_field(parts, "rest"), characters="/"),
            "/",
        ),
        " ",
    )


def names_and_numbers_key(body: str) -> int:
    """A 64-bit key of a text's set of names and numbers: what splits a crowd of one template
    (the texts differ there, the copies of one text do not)."""
    tokens = text_tokens(comparison_text(body))
    keys = sorted(
        {t for t, k in zip(tokens.tokens, tokens.kinds, strict=True) if k in (NAME, NUMBER)}
    )
    digest = hashlib.blake2b("\x1f".join(keys).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _pair_codes(groups: list[list[int]], n: int, crowd: int) -> np.ndarray:
    """Codes i * n + j (i < j) of every pair inside each group (a crowd: with its first only)."""
    codes: list[int] = []
    for group in groups:
        group = sorted(set(group))
        if len(group) > crowd:
            codes += [group[0] * n + j for j in group[1:]]
        else:
            codes += [i * n + j for k, i in enumerate(group) for j in group[k + 1 :]]
    return np.array(codes, dtype=np.int64)


# bodies read and keyed at a time by _subkeys (~2 kB each)
_KEY_UNITS = 8192


def _subkeys(
    units: list[int],
    head_rows: Sequence[int],
    bodies_of: Callable[[list[int]], list[str]],
    map_fn: Callable[..., Iterable[Any]],
) -> dict[int, int]:
    """names_and_numbers_key of each unit's head text, read in row order: front to back through
    the table (a mapped file, when spooled), which the kernel reads ahead."""
    ordered = sorted(units, key=head_rows.__getitem__)
    keys: dict[int, int] = {}
    for first in range(0, len(ordered), _KEY_UNITS):
        part = ordered[first : first + _KEY_UNITS]
        bodies = bodies_of([head_rows[u] for u in part])
        keys.update(zip(part, map_fn(names_and_numbers_key, bodies), strict=True))
    return keys


def candidate_pairs(
    bands: np.ndarray,
    head_rows: Sequence[int],
    url_groups: list[list[int]],
    config: DedupConfig,
    bodies_of: Callable[[list[int]], list[str]],
    map_fn: Callable[..., Iterable[Any]] = map,
) -> np.ndarray:
    """(m, 2) unit index pairs (i < j): LSH over the whole text and its opening, and URL
    identity. `bands` holds the sketches' band keys by row; `url_groups` the units that share a
    url_key; `bodies_of(rows)` the bodies of crowds' texts (asked for in ascending rows,
    _KEY_UNITS at a time), whose keys `map_fn` computes (a pool's map: tokenising a crowd's
    texts took most of this stage at a million articles)."""
    n = len(head_rows)
    rows = np.asarray(head_rows, dtype=np.int64)
    crowd = config.crowd_size
    whole, opening = bands[:, : config.bands], bands[:, config.bands :]
    # every unit in some band's crowd (the whole text's or the opening's) is keyed before any
    # band is paired, its body read in one pass in row order. Read band by band (each body
    # once, its key kept), the 79 bands that had crowds at a million generated pages each asked
    # for bodies spread over the whole mapped table; the kernel reads around a fault by
    # read_ahead_kb (8 MB here), so each band read most of the table again: 92 s of reading in
    # a 4 GB memory group, whose page cache could not keep the table from one band to the next.
    crowd_units = crowded(bands, rows, crowd)
    subkeys = _subkeys(crowd_units.tolist(), head_rows, bodies_of, map_fn)

    def refine(units: np.ndarray) -> np.ndarray:
        return np.fromiter((subkeys[u] for u in units.tolist()), np.uint64, count=len(units))

    codes = sorted_unique(
        np.concatenate(
            [
                candidate_codes(whole, rows, crowd, refine),
                candidate_codes(opening, rows, crowd, refine),
                _pair_codes(url_groups, n, crowd),
            ]
        )
    )
    return pairs_of_codes(codes, n)
