"""An alignment of two token sequences whose cost is bounded on any input.

Patience-style: the common opening and ending are matched, then tokens that occur exactly once
in both sides are anchors (their longest increasing run, by patience sorting), and the gaps
between anchors are aligned the same way. A gap with no anchor is handed to difflib only when
it is small (difflib's matcher is quadratic, worse on repetitive text); a larger one stays one
`replace`. The whole alignment does at most WORK_PER_TOKEN times the tokens' count in steps:
what is left when that is spent stays unaligned (a `replace`), so a hostile pair of texts costs
what a long ordinary one does.
"""

from __future__ import annotations

import difflib
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise

# difflib on a gap of at most this many token pairs (len(a) * len(b))
SMALL_GAP = 4096
WORK_PER_TOKEN = 40

Opcode = tuple[str, int, int, int, int]  # difflib's: tag, a[i1:i2], b[j1:j2]


def _increasing_run(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of pairs increasing in both positions (pairs come sorted by the first)."""
    tails: list[int] = []  # the smallest second position ending a run of each length
    tail_at: list[int] = []  # index in pairs of that end
    back = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        at = bisect_left(tails, j)
        if at == len(tails):
            tails.append(j)
            tail_at.append(k)
        else:
            tails[at] = j
            tail_at[at] = k
        back[k] = tail_at[at - 1] if at else -1
    run = []
    k = tail_at[-1] if tail_at else -1
    while k >= 0:
        run.append(pairs[k])
        k = back[k]
    return run[::-1]


def matching_blocks(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int, int]]:
    """(i, j, size) runs with a[i:i+size] == b[j:j+size], increasing in i and j."""
    matched: list[tuple[int, int]] = []
    budget = WORK_PER_TOKEN * (len(a) + len(b) + 1)
    stack = [(0, len(a), 0, len(b))]
    while stack:
        alo, ahi, blo, bhi = stack.pop()
        while alo < ahi and blo < bhi and a[alo] == b[blo]:
            matched.append((alo, blo))
            alo, blo = alo + 1, blo + 1
        while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
            ahi, bhi = ahi - 1, bhi - 1
            matched.append((ahi, bhi))
        if alo == ahi or blo == bhi:
            continue
        budget -= (ahi - alo) + (bhi - blo)
        if budget < 0:
            continue  # spent: this gap stays unaligned
        count_a = Counter(a[alo:ahi])
        count_b = Counter(b[blo:bhi])
        once_b = {b[j]: j for j in range(blo, bhi) if count_b[b[j]] == 1 and count_a[b[j]] == 1}
        anchors = _increasing_run([(i, once_b[a[i]]) for i in range(alo, ahi) if a[i] in once_b])
        if anchors:
            matched.extend(anchors)
            edges = [(alo - 1, blo - 1), *anchors, (ahi, bhi)]
            for (i0, j0), (i1, j1) in pairwise(edges):
                if i1 - i0 > 1 and j1 - j0 > 1:
                    stack.append((i0 + 1, i1, j0 + 1, j1))
        elif (ahi - alo) * (bhi - blo) <= SMALL_GAP:
            sm = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
            for i, j, size in sm.get_matching_blocks():
                matched.extend((alo + i + k, blo + j + k) for k in range(size))
    matched.sort()
    blocks: list[tuple[int, int, int]] = []
    for i, j in matched:
        if blocks and blocks[-1][0] + blocks[-1][2] == i and blocks[-1][1] + blocks[-1][2] == j:
            blocks[-1] = (blocks[-1][0], blocks[-1][1], blocks[-1][2] + 1)
        else:
            blocks.append((i, j, 1))
    return blocks


def opcodes(a: Sequence[str], b: Sequence[str]) -> list[Opcode]:
    """difflib-style opcodes (equal / replace / delete / insert) turning a into b."""
    out: list[Opcode] = []
    i = j = 0
    for bi, bj, size in [*matching_blocks(a, b), (len(a), len(b), 0)]:
        if i < bi and j < bj:
            out.append(("replace", i, bi, j, bj))
        elif i < bi:
            out.append(("delete", i, bi, j, j))
        elif j < bj:
            out.append(("insert", i, i, j, bj))
        if size:
            out.append(("equal", bi, bi + size, bj, bj + size))
        i, j = bi + size, bj + size
    return out
