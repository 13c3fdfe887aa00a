"""Stage 1, units: copies whose comparison texts are equal (`match_key`) are one unit.

A unit is split where its copies' dates lie further apart than the window, and where its
titles substitute a name or number (rule 2 holds for titles too). A text without letters (a
body of punctuation or digits) says nothing about what it is a copy of: such copies stay
together only under one title.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np


@dataclass(slots=True)
class Unit:
    key: bytes  # match-key digest shared by the members
    # rows of the articles (and sketches) given to deduplicate, in rank order; members[0], the
    # head, represents the unit
    members: list[int]


def split_by_window(
    copies: list[int], dates: Sequence[date], ids: Sequence[str], window_days: int
) -> list[list[int]]:
    copies = sorted(copies, key=lambda i: (dates[i], ids[i]))
    groups: list[list[int]] = [[copies[0]]]
    for i in copies[1:]:
        if (dates[i] - dates[groups[-1][0]]).days > window_days:
            groups.append([i])
        else:
            groups[-1].append(i)
    return groups


def make_units(
    keys: np.ndarray,
    dates: Sequence[date],
    ids: Sequence[str],
    rank_of: Sequence[int],
    window_days: int,
    letterless: Callable[[list[int]], list[bool]],
    title_of: Callable[[list[int]], list[str]],
    split_titles: Callable[[list[int], list[str]], list[list[int]]],
) -> list[Unit]:
    """Units in rank order (of their heads). `letterless(rows)` says which rows' texts have no
    letter (asked once per key shared by several copies); `title_of(rows)` their titles (asked
    once for all copies of shared keys); `split_titles(rows, titles)` parts rows of one text
    (rank order) whose titles substitute a name or number, the head's part first."""
    by_key: dict[bytes, list[int]] = defaultdict(list)
    for i, key in enumerate(keys.tolist()):
        by_key[key].append(i)
    shared = [key for key, copies in by_key.items() if len(copies) > 1]
    # asked of each key's earliest copy (by date, then id), whatever order the rows come in:
    # copies of one comparison text may differ there (a lead-in with letters, dropped)
    no_letters = letterless([min(by_key[key], key=lambda i: (dates[i], ids[i])) for key in shared])
    shared_rows = [row for key in shared for row in by_key[key]]
    title_at = dict(zip(shared_rows, title_of(shared_rows), strict=True))
    units = []
    for key, copies in by_key.items():
        if len(copies) == 1:  # most texts: nothing to split or order
            units.append(Unit(key, copies))
    for key, empty in zip(shared, no_letters, strict=True):
        copies = by_key[key]
        groups = {key: copies}
        if empty:
            # the title is the text here: it is part of the key (and so of the statement id)
            groups = defaultdict(list)
            for row in copies:
                title = title_at[row]
                title_key = hashlib.blake2b(key + title.casefold().encode(), digest_size=len(key))
                groups[title_key.digest()].append(row)
        for group_key, group in groups.items():
            for part in split_by_window(group, dates, ids, window_days):
                part.sort(key=rank_of.__getitem__)
                titles = [title_at[row] for row in part]
                parts = split_titles(part, titles) if len(set(titles)) > 1 else [part]
                units.append(Unit(group_key, parts[0]))
                for other in parts[1:]:
                    # another statement with the same text: its title is part of its key
                    title_bytes = title_at[other[0]].casefold().encode()
                    other_key = hashlib.blake2b(group_key + title_bytes, digest_size=len(group_key))
                    units.append(Unit(other_key.digest(), other))
    units.sort(key=lambda u: rank_of[u.members[0]])
    return units
