"""MinHash signatures over word shingles and LSH banding, in numpy.

Tokens are hashed once each (blake2b, cached: stable across runs and machines, unlike `hash`),
shingle hashes are combined from token hashes with vectorised arithmetic, and the permutations
are multiply-shift hashes ((a*x + b) mod 2**64) >> 32 with seeded odd a and b (a 2-universal
family, and no slow 64-bit modulus). Deterministic for a given seed.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pyarrow as arrow
import pyarrow.compute as pc

_MIX = np.uint64(0x9E3779B97F4A7C15)
COMPACT_CODES = 1 << 20  # pair codes found before they are first made unique
# shingles per block: a (num_perm x block) buffer of 4 MB for a call's blocks (on pages, 8 MB:
# as fast; 2 and 16 MB: 1.5-3x slower)
_CHUNK = 1 << 12


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique(values) for a 1-d array: sorted, each value once.

    numpy 2.3+ makes np.unique hash the values before it sorts them, which measured here
    (numpy 2.4, x86-64) 3x slower than a sort on 300 values and 15-30x slower from 200,000
    values on (9 million pair codes: 7.8 s against 0.2 s); np.sort uses the SIMD sorts.
    """
    ordered = np.sort(values, kind="quicksort")
    if len(ordered) < 2:
        return ordered
    first = np.empty(len(ordered), dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


class _TokenHashes(dict[bytes, int]):
    """token -> its hash, a token not seen before hashed where it is first looked up: one
    pass over the words whether or not they hold a new one. Looking them up, and on a
    KeyError hashing the new ones and looking them all up again, took three passes over nearly
    every batch of real texts (each holds a new name or number): 31-41 us a text against
    19-21 us on the two archive snapshots' articles, 22-29 against 18-20 on raw/'s."""

    def __missing__(self, word: bytes) -> int:
        value = self[word] = int.from_bytes(hashlib.blake2b(word, digest_size=8).digest(), "little")
        return value


class TokenHasher:
    """Stable 64-bit token hashes, each distinct token hashed once."""

    def __init__(self) -> None:
        self._cache = _TokenHashes()

    def __call__(self, words: Sequence[bytes]) -> np.ndarray:
        """The hashes of UTF-8 encoded tokens."""
        if len(self._cache) > MAX_CACHED_TOKENS:  # a real corpus's words do not stop coming
            self._cache.clear()
        # dict.__getitem__ of a subclass calls __missing__ (`cache.get` would not)
        return np.fromiter(map(self._cache.__getitem__, words), dtype=np.uint64, count=len(words))

    def texts(self, spaced: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
        """The token hashes of many texts, each given as its tokens separated by ASCII
        whitespace (`normalize.spaced_keys`): one array, text after text, and how many each
        text has. Arrow splits the texts and finds their distinct tokens; only those are
        looked up here. Against a word object and a lookup for every word (`__call__` of
        each text's `word_keys`), 256 texts at a time, medians of six with the cache cold /
        warm: generated pages 30 / 26 us a text against 41 / 41, the two archive snapshots'
        texts 41 / 27 against 57 / 44, raw/'s 30 / 22 against 49 / 36."""
        if not spaced:
            return np.empty(0, np.uint64), np.empty(0, np.int64)
        words = pc.ascii_split_whitespace(_strings(spaced))
        counts = np.diff(_integers(words.offsets)).astype(np.int64)
        tokens = words.flatten().dictionary_encode()
        distinct = self(tokens.dictionary.cast(arrow.large_binary()).to_pylist())
        return distinct[_integers(tokens.indices)], counts


def _integers(array: arrow.Array) -> np.ndarray:
    """An integer Arrow array without nulls as a numpy view (`to_numpy` imports pandas)."""
    values: np.ndarray = np.frombuffer(array.buffers()[1], np.dtype(str(array.type)))
    return values[array.offset : array.offset + len(array)]


def _strings(texts: Sequence[bytes]) -> arrow.Array:
    """UTF-8 texts as an Arrow large_string array, made from numpy buffers: `arrow.array` of a
    list imports pandas (0.15 s and ~37 MB in a worker that would not load it otherwise), and
    64-bit offsets take any batch's size. An empty text is a null: Arrow's split makes one empty
    token of an empty string, none of a null."""
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    offsets = np.zeros(len(texts) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    present = lengths > 0
    return arrow.Array.from_buffers(
        arrow.large_string(),
        len(texts),
        [
            arrow.py_buffer(np.packbits(present, bitorder="little")),
            arrow.py_buffer(offsets),
            arrow.py_buffer(b"".join(texts)),
        ],
        null_count=len(texts) - int(np.count_nonzero(present)),
    )


# distinct tokens a TokenHasher keeps (~130 bytes each: ~140 MB a process at most). kcna.kp's
# 684 English articles hold 8,448 distinct words; at Heaps' law's usual rate a million would
# hold several hundred thousand, with names and numbers. Past it, the cache starts again.
MAX_CACHED_TOKENS = 1 << 20


def shingle_hashes(token_hashes: np.ndarray, k: int) -> np.ndarray:
    """32-bit hashes of the word k-grams (a text shorter than k is one shingle)."""
    n = len(token_hashes)
    if n == 0:
        return np.zeros(1, dtype=np.uint64)
    if n < k:
        token_hashes = np.concatenate([token_hashes, np.zeros(k - n, dtype=np.uint64)])
    return _window_hashes(token_hashes, k)


def _window_hashes(token_hashes: np.ndarray, k: int) -> np.ndarray:
    """32-bit hashes of every window of k consecutive token hashes (at least k of them)."""
    n = len(token_hashes)
    with np.errstate(over="ignore"):
        h = token_hashes[: n - k + 1].copy()
        for j in range(1, k):
            h = h * _MIX + token_hashes[j : n - k + 1 + j]
        h ^= h >> np.uint64(29)
        h *= _MIX
    h >>= np.uint64(32)
    return h


def texts_shingle_hashes(
    token_hashes: np.ndarray, counts: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """shingle_hashes of many texts at once: `token_hashes` holds the texts' token hashes one
    text after another (text i has counts[i]); returns their shingle hashes the same way, and
    how many each text has. A few numpy calls for a batch instead of a dozen a text (9-13 ->
    1.4-2.4 us a page, measured twice)."""
    counts = np.asarray(counts, dtype=np.int64)
    if not len(counts):
        return np.empty(0, np.uint64), counts
    padded = counts
    if counts.min() < k:  # short texts are padded with zeros, as shingle_hashes pads them
        texts = np.split(token_hashes, np.cumsum(counts)[:-1])
        token_hashes = np.concatenate(
            [
                t if len(t) >= k else np.concatenate([t, np.zeros(k - len(t), np.uint64)])
                for t in texts
            ]
        )
        padded = np.maximum(counts, k)
    # an empty text becomes k zero tokens, whose one shingle hashes to 0 (0 * _MIX + 0 = 0 at
    # every step): the shingle 0 that shingle_hashes gives an empty text
    h = _window_hashes(token_hashes, k)
    # a text of m tokens has m - k + 1 shingles; the k - 1 windows after each text but the last
    # run across into the next text
    ends = np.cumsum(padded)[:-1]
    keep = np.ones(len(h), dtype=bool)
    for j in range(1, k):
        keep[ends - j] = False
    return h[keep], padded - k + 1


class MinHasher:
    def __init__(self, num_perm: int, seed: int) -> None:
        rng = np.random.Generator(np.random.PCG64(seed))
        self.a = rng.integers(0, 1 << 63, size=num_perm, dtype=np.uint64) * np.uint64(2) + 1
        self.b = rng.integers(0, 1 << 63, size=num_perm, dtype=np.uint64)
        self.num_perm = num_perm

    def signatures(self, shingles: Sequence[np.ndarray]) -> np.ndarray:
        """(len(shingles), num_perm) uint32 signatures."""
        return self.signatures_and_openings(shingles, None)[0]

    def signatures_and_openings(
        self, shingles: Sequence[np.ndarray], openings: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Signatures of each shingle array and, when `openings` is given, of its first
        openings[i] shingles (1 <= openings[i] <= len(shingles[i])): an opening's shingles are
        a prefix of the whole text's, so both come from one pass of the permutations."""
        lengths = np.fromiter(map(len, shingles), np.int64, len(shingles))
        values = np.concatenate(shingles) if len(shingles) else np.empty(0, np.uint64)
        return self.texts_signatures(values, lengths, openings)

    def texts_signatures(
        self, shingles: np.ndarray, lengths: np.ndarray, openings: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """signatures_and_openings of texts whose shingles are one array, text after text
        (text i has lengths[i] >= 1), as texts_shingle_hashes gives them."""
        out = np.empty((len(lengths), self.num_perm), dtype=np.uint32)
        opened = None if openings is None else np.empty_like(out)
        edges = np.concatenate([[0], np.cumsum(lengths)])  # text i: shingles[edges[i]:edges[i+1]]
        # permutations x shingles: each permutation's values of a block are one contiguous
        # row, so the multiply, the add and the minima per document run along rows (the
        # transpose, a row per shingle, measured 2.5-3x slower on pages: numpy's reduceat
        # along axis 0 alone took 75-300 ns a shingle's 128 values in two measurements, along
        # rows 15-25 ns)
        buffer = np.empty((self.num_perm, max(_CHUNK, int(lengths.max(initial=1)))), np.uint64)
        a, b = self.a[:, None], self.b[:, None]
        start = 0
        while start < len(lengths):
            # a block of whole documents holding at most _CHUNK shingles (at least one document)
            first = int(edges[start])
            stop = max(start + 1, int(np.searchsorted(edges, first + _CHUNK, "right")) - 1)
            block = shingles[first : edges[stop]]
            values = buffer[:, : len(block)]
            with np.errstate(over="ignore"):
                np.multiply(a, block[None, :], out=values)
                values += b
            # the permutation is (a*x + b mod 2**64) >> 32; the shift is monotone, so it is
            # applied to the minima below, not to every value (one pass less over the block)
            offsets = edges[start:stop] - first
            if openings is None or opened is None:
                out[start:stop] = (np.minimum.reduceat(values, offsets, axis=1) >> np.uint64(32)).T
            else:
                # each document as two segments, its opening and the rest: the opening's
                # minimum, and the whole's = the smaller of the two minima
                prefix = openings[start:stop]
                whole = prefix == lengths[start:stop]  # no rest: its segment would be empty
                bounds = np.empty(2 * len(offsets), np.int64)
                bounds[0::2] = offsets
                bounds[1::2] = offsets + prefix
                if whole[-1]:
                    bounds = bounds[:-1]  # the last rest would start past the block's end
                minima = np.minimum.reduceat(values, bounds, axis=1)
                head, rest = minima[:, 0::2], minima[:, 1::2]
                full = head.copy()
                partial = np.flatnonzero(~whole)
                full[:, partial] = np.minimum(head[:, partial], rest[:, partial])
                out[start:stop] = (full >> np.uint64(32)).T
                opened[start:stop] = (head >> np.uint64(32)).T
            start = stop
        return out, opened


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint64: each band's rows folded into one key."""
    n = signatures.shape[0]
    s = signatures.reshape(n, bands, rows).astype(np.uint64)
    with np.errstate(over="ignore"):
        key = np.zeros((n, bands), dtype=np.uint64)
        for r in range(rows):
            key = key * _MIX + s[:, :, r]
    return key


def crowded(keys: np.ndarray, rows: np.ndarray | None, crowd: int) -> np.ndarray:
    """Sorted indexes in a run of more than `crowd` equal keys in some band: what
    candidate_codes asks `refine` about, known before it pairs anything, so that a caller can
    read their texts in one pass."""
    n = keys.shape[0] if rows is None else len(rows)
    found = np.zeros(n, dtype=bool)
    if n == 0:
        return np.flatnonzero(found)
    for band in range(keys.shape[1]):
        column = keys[:, band] if rows is None else keys[rows, band]
        ordered = np.sort(column)
        starts, lengths = _runs(ordered)
        values = ordered[starts[lengths > crowd]]
        if len(values):
            found |= np.isin(column, values)
    return np.flatnonzero(found)


def _runs(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and length of each run of equal values in a sorted array."""
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    return starts, np.diff(np.append(starts, len(ordered)))


def candidate_codes(
    keys: np.ndarray,
    rows: np.ndarray | None = None,
    crowd: int | None = None,
    refine: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Sorted unique codes i * n + j (i < j) of the index pairs that share a bucket in some band.

    Index i is row `rows[i]` of `keys` (default: row i), so the caller need not copy the keys
    into its own order: one band's column is gathered at a time. The same pair turns up in
    several bands (5-7 times on average at 200,000 articles): the codes found are made unique
    whenever they outgrow the unique codes kept so far, so memory stays a few times the pairs,
    not bands times the pairs.

    A bucket of more than `crowd` indexes (n near-identical texts would give n**2 / 2 pairs) is
    split by `refine(indexes)`, a second key for each; what is still larger than `crowd` pairs
    only with its first (smallest) index: the work stays near linear in n.
    """
    n = keys.shape[0] if rows is None else len(rows)
    found = np.empty(0, np.int64)
    pending: list[np.ndarray] = []
    pending_size = 0
    for band in range(keys.shape[1]):
        column = keys[:, band] if rows is None else keys[rows, band]
        # any order within a run of equal keys gives the same codes (made unique and sorted)
        order = np.argsort(column)
        ordered = column[order]
        same = ordered[1:] == ordered[:-1]  # positions p and p + 1 share a key
        if crowd is not None and len(ordered):
            starts, lengths = _runs(ordered)
            if refine is not None and (crowds := np.flatnonzero(lengths > crowd)).size:
                # the crowded runs only (a Python loop over every run of a band cost ~2 s a
                # band at a million articles)
                members = np.concatenate(
                    [
                        order[s : s + k]
                        for s, k in zip(
                            starts[crowds].tolist(), lengths[crowds].tolist(), strict=True
                        )
                    ]
                )
                column = column.copy()
                with np.errstate(over="ignore"):
                    column[members] = column[members] * _MIX + refine(members)
                order = np.argsort(column)
                ordered = column[order]
                same = ordered[1:] == ordered[:-1]
                starts, lengths = _runs(ordered)
            # still crowds: each pairs with the first only (a few runs of the many: no loop
            # over all of them)
            still = np.flatnonzero(lengths > crowd)
            for s, k in zip(starts[still].tolist(), lengths[still].tolist(), strict=True):
                run = order[s : s + k]
                first = run.min()
                rest = run[run != first].astype(np.int64)
                pending.append(np.int64(first) * n + rest)
                pending_size += len(rest)
                same[s : s + k - 1] = False
        # position p pairs with p + d while p .. p + d lie in one run of equal keys: vectorised
        # over the positions still inside a run (most keys are in none), so the work is
        # proportional to the pairs found
        active = np.flatnonzero(same)
        d = 1
        while active.size:
            a, b = order[active], order[active + d]
            pending.append(np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b))
            pending_size += len(pending[-1])
            active = active[active + d < len(same)]
            active = active[same[active + d]]
            d += 1
        if pending_size > max(len(found), COMPACT_CODES):
            found = sorted_unique(np.concatenate([found, *pending]))
            pending, pending_size = [], 0
    return sorted_unique(np.concatenate([found, *pending])) if pending else found


def pairs_of_codes(codes: np.ndarray, n: int) -> np.ndarray:
    """(m, 2) int64 index pairs from candidate_codes over n rows."""
    return np.stack([codes // n, codes % n], axis=1) if n else np.empty((0, 2), np.int64)


def neighbours(pairs: Iterable[tuple[int, int]], n: int) -> list[Sequence[int]]:
    """Each index's neighbours, sorted (one shared empty tuple for the many without any)."""
    adjacency: dict[int, list[int]] = defaultdict(list)
    for i, j in pairs:
        adjacency[i].append(j)
        adjacency[j].append(i)
    none: tuple[int, ...] = ()
    return [sorted(adjacency[i]) if i in adjacency else none for i in range(n)]
