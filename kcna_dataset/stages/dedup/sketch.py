"""What the dedup stage needs of every article, computed where the article is parsed.

A sketch is small and fixed-size: a 16-byte digest of the match key (equal digests = exact or
normalised copies) and the LSH band keys of the whole text and of its opening. Workers compute
sketches next to parsing, the record cache stores them with the records, and the dedup stage
holds only these arrays for the whole corpus: the token sets that verification needs are built
again for the few texts that are in a candidate pair (`unit_features`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from kcna_dataset.config import DedupConfig
from kcna_dataset.stages.dedup.minhash import (
    MinHasher,
    TokenHasher,
    band_keys,
    shingle_hashes,
    texts_shingle_hashes,
)
from kcna_dataset.stages.dedup.normalize import (
    clean_title,
    comparison_text,
    key_bytes,
    spaced_keys,
    words_as_written,
)
from kcna_dataset.stages.dedup.verify import Features

KEY_BYTES = 16
_HASHER = TokenHasher()  # one per process: token hashes are stable, the cache only saves time
_MINHASHERS: dict[tuple[int, int], MinHasher] = {}


@dataclass(frozen=True, slots=True)
class Sketches:
    """Sketches of n articles, row i = article i."""

    keys: np.ndarray  # (n,) S16: blake2b-128 of the match key
    bands: np.ndarray  # (n, 2 * bands) uint64: band keys of the whole text, then of its opening

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, rows: slice) -> Sketches:
        """Rows `rows`, as views (a file's rows of a batch sketched together)."""
        return Sketches(self.keys[rows], self.bands[rows])

    def take(self, rows: Sequence[int] | np.ndarray) -> Sketches:
        index = np.asarray(rows, dtype=np.int64)
        return Sketches(self.keys[index], self.bands[index])

    def reordered(self, rows: Sequence[int] | np.ndarray) -> Sketches:
        """`take(rows)` for a permutation `rows`, made in this object's own band array, a few
        columns at a time: the band keys are 640 bytes an article (640 MB at a million), and a
        take holds them twice. This object is not to be used afterwards."""
        index = np.asarray(rows, dtype=np.int64)
        if len(index) != len(self):
            raise ValueError(f"a reordering of {len(self)} rows has {len(index)}")
        for first in range(0, self.bands.shape[1], _REORDER_COLUMNS):
            columns = slice(first, first + _REORDER_COLUMNS)
            self.bands[:, columns] = self.bands[index, columns]  # gathered, then written back
        return Sketches(self.keys[index], self.bands)

    @staticmethod
    def concat(parts: Sequence[Sketches], bands: int) -> Sketches:
        if not parts:
            return Sketches(np.empty(0, f"S{KEY_BYTES}"), np.empty((0, 2 * bands), np.uint64))
        return Sketches(
            np.concatenate([p.keys for p in parts]), np.concatenate([p.bands for p in parts])
        )

    @staticmethod
    def gathered(parts: list[Sketches], bands: int) -> Sketches:
        """`concat(parts)`, emptying `parts` as they are copied: each part's arrays are freed
        once copied (when nothing else holds them), so the peak is the whole and one part,
        not the whole twice."""
        n = sum(len(p) for p in parts)
        out = Sketches(np.empty(n, f"S{KEY_BYTES}"), np.empty((n, 2 * bands), np.uint64))
        at = 0
        parts.reverse()
        while parts:
            part = parts.pop()
            out.keys[at : at + len(part)] = part.keys
            out.bands[at : at + len(part)] = part.bands
            at += len(part)
        return out


# band columns moved at a time by `reordered`: 8 x 8 bytes an article (64 MB at a million)
_REORDER_COLUMNS = 8


def _minhasher(config: DedupConfig) -> MinHasher:
    key = (config.num_perm, config.seed)
    if key not in _MINHASHERS:
        _MINHASHERS[key] = MinHasher(config.num_perm, config.seed)
    return _MINHASHERS[key]


def sketch_bodies(bodies: Sequence[str], config: DedupConfig) -> Sketches:
    """Sketch each body (an article's published body text)."""
    keys = np.empty(len(bodies), f"S{KEY_BYTES}")
    bands = np.empty((len(bodies), 2 * config.bands), np.uint64)
    for first in range(0, len(bodies), _SKETCH_TEXTS):
        rows = slice(first, first + _SKETCH_TEXTS)
        _sketch_into(bodies[rows], config, keys[rows], bands[rows])
    return Sketches(keys, bands)


# texts sketched together: their tokens, shingles and permutations one array each (a few numpy
# calls for them all instead of a dozen a text), their words held meanwhile (~4 MB)
_SKETCH_TEXTS = 256


def _sketch_into(
    bodies: Sequence[str], config: DedupConfig, keys: np.ndarray, bands: np.ndarray
) -> None:
    spaced: list[bytes] = []
    for i, body in enumerate(bodies):
        text = comparison_text(body)
        keys[i] = hashlib.blake2b(key_bytes(text), digest_size=KEY_BYTES).digest()
        spaced.append(spaced_keys(text))
    hashes, counts = _HASHER.texts(spaced)
    del spaced
    k = config.shingle_size
    shingles, lengths = texts_shingle_hashes(hashes, counts, k)
    # the opening's shingles are the first ones of the whole text's (shingle_hashes of
    # hashes[:prefix_tokens]): how many, at least one, as shingle_hashes pads a short text
    openings = np.maximum(1, np.minimum(counts, config.prefix_tokens) - k + 1)
    whole, opening = _minhasher(config).texts_signatures(shingles, lengths, openings)
    assert opening is not None
    bands[:, : config.bands] = band_keys(whole, config.bands, config.rows)
    bands[:, config.bands :] = band_keys(opening, config.bands, config.rows)


def unit_features(
    body: str, title: str, published: date, source: str, shingle_size: int
) -> Features:
    """What verification compares, for one text in a candidate pair."""
    text = comparison_text(body)
    written, words = words_as_written(text)
    return Features(
        text,
        written,
        clean_title(title),
        shingle_hashes(_HASHER(words), shingle_size),
        published,
        source,
    )
