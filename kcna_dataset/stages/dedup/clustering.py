"""Stage 4, clustering: star clustering in rank order, guarded against chaining.

Units are visited in canonical rank order (source priority, earliest, longest, smallest id);
each joins the statement of the best verified candidate, or starts a statement (and is its
canonical copy). Joining through a member that is not the canonical copy (a bridge) needs the
unit to have no conflict with the canonical copy and to share text with it (`bridgeable`), so
A~B and B~C never merge A and C unless C matches A itself; a member that joined as `revised`
(one outlet's other version of the canonical text) is bridged through when the unit has no
conflict with the canonical copy, whatever text they share.

Star clustering never merges two statements, except through a revision in place (rule 3): a
unit that joins a statement through one outlet's URL (its other version) and also matches a
second statement links two versions of one article, each with its own copies; the two become
one when their canonical copies do not conflict (`versions_conflict`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kcna_dataset.config import DedupConfig
from kcna_dataset.stages.dedup.verify import PairScore, bridgeable


@dataclass(slots=True)
class Clusters:
    center_of: list[int] = field(default_factory=list)  # unit -> the unit it joined (or itself)
    joined_by: dict[int, PairScore] = field(default_factory=dict)  # unit -> its verdict
    via: dict[int, int] = field(default_factory=dict)  # unit -> the member it bridged through
    bridged: dict[int, PairScore] = field(default_factory=dict)  # unit -> verdict vs the center
    # a statement merged into another through a revision in place: its former center -> the
    # unit whose URL link joined them
    merged: dict[int, int] = field(default_factory=dict)
    verdicts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def members(self) -> dict[int, list[int]]:
        """center -> its units, in rank order."""
        out: dict[int, list[int]] = defaultdict(list)
        for i, c in enumerate(self.center_of):
            out[c].append(i)
        return out


# matches that say a unit is the other text as a whole (not a truncated part of it)
WHOLE_TEXT = frozenset({"near", "revised"})


def cluster(
    near: Sequence[Sequence[int]],
    score_of: Callable[[int, int], PairScore],
    config: DedupConfig,
    on_unit: Callable[[int], None] | None = None,
    conflict_of: Callable[[int, int], str | None] | None = None,
) -> Clusters:
    """`near[i]`: unit i's candidates; `score_of(i, j)` the verdict of a pair (i later than j);
    `on_unit(i)` is called before unit i is placed (the caller's pipelining and progress);
    `conflict_of(i, j)` what keeps two statements' canonical copies apart when a revision in
    place links them (None: merge them; no function: never merge)."""
    out = Clusters()
    center_of = out.center_of
    joiners: dict[int, list[int]] = defaultdict(list)  # center -> the units that joined it
    for i in range(len(near)):
        if on_unit is not None:
            on_unit(i)
        if not near[i]:  # most units: no candidate, a center of its own
            center_of.append(i)
            continue
        best: tuple[tuple[bool, float, int, float, int], int, int, PairScore] | None = None
        options: dict[int, tuple[float, int]] = {}  # center -> best (similarity, date gap)
        whole: dict[int, PairScore] = {}  # center -> a whole-text match of unit i into it
        tried: dict[int, PairScore] = {}
        for j in near[i]:
            if j >= i:
                continue  # units are visited in rank order: only earlier ones are placed
            score = tried.get(j) or score_of(i, j)
            tried[j] = score
            out.verdicts[score.verdict] += 1
            if not score.match:
                continue
            c = center_of[j]
            if c != j:
                # through a revision (j is the canonical copy's other version, or i is j's):
                # the revision's text, not the canonical one, is what the unit shares, so only
                # what parts two versions of one article (rule 3: a substitution, the window)
                # keeps it out, checked in full; a short copy of the revision needs no
                # near-identical text with the canonical copy
                via_revision = out.joined_by[j].match == "revised" or score.same_url
                to_center = tried.get(c) or score_of(i, c)
                tried[c] = to_center
                if not (
                    bridgeable(to_center, config)
                    or (via_revision and _versions_agree(i, c, to_center, conflict_of))
                ):
                    out.verdicts["bridge-refused"] += 1
                    continue
            # best evidence wins: one URL first (a revision in place), then similarity (a
            # truncated member explains only its share of a longer copy); a tie goes to the
            # nearer date, then to the text it is closest to as a whole
            key = (score.same_url, score.explains, -score.date_gap_days, score.jaccard, -c)
            options[c] = max(options.get(c, (0.0, 0)), (score.explains, -score.date_gap_days))
            if score.match in WHOLE_TEXT:
                whole[c] = score
            if best is None or key > best[0]:
                best = (key, c, j, score)
        if best is not None and not best[3].same_url and _ambiguous(best[1], options, config):
            # the copy fits two different statements equally (the shared part of two
            # templates): no text decides it, so it is attributed to neither
            out.verdicts["ambiguous"] += 1
            best = None
        if best is None:
            center_of.append(i)
            continue
        _, c, j, score = best
        center_of.append(c)
        joiners[c].append(i)
        out.joined_by[i] = score
        if j != c:
            out.via[i] = j
            out.bridged[i] = tried[c]
        # unit i is one outlet's other version of the statement it joined (same URL, same
        # day): a statement it is a whole copy of (near, or a page revision) is that article
        # too. Not through a truncation (the shared opening of two statements is no evidence
        # of either), and not when it is a whole copy of two other statements (ambiguous)
        others = [x for x in whole if x != c]
        if score.same_url and conflict_of is not None and len(others) == 1:
            for other in others:
                c = center_of[i]
                other = center_of[other]  # (an earlier merge may have moved it)
                if other == c:
                    continue
                keep, gone = min(c, other), max(c, other)  # the earlier canonical copy stays
                if conflict_of(keep, gone) is not None:
                    out.verdicts["versions-conflict"] += 1
                    continue
                _merge(out, joiners, keep, gone, i, tried.get(gone) or score_of(i, gone))
                out.bridged[gone] = score_of(gone, keep)
                out.verdicts["versions-merged"] += 1
    return out


def _versions_agree(
    i: int, c: int, to_center: PairScore, conflict_of: Callable[[int, int], str | None] | None
) -> bool:
    if conflict_of is None:
        return to_center.conflict is None
    return conflict_of(c, i) is None


def _merge(
    out: Clusters,
    joiners: dict[int, list[int]],
    keep: int,
    gone: int,
    link: int,
    link_score: PairScore,
) -> None:
    """Statement `gone` joins statement `keep`: its center through `link` (the unit whose URL
    joined the two), its members as they joined it."""
    for u in joiners.pop(gone, []):
        out.center_of[u] = keep
        joiners[keep].append(u)
        if u not in out.via:
            out.via[u] = gone  # verified against `gone`, no longer the canonical copy
    out.center_of[gone] = keep
    joiners[keep].append(gone)
    out.merged[gone] = link
    out.joined_by[gone] = link_score
    out.via[gone] = link


def _ambiguous(chosen: int, options: dict[int, tuple[float, int]], config: DedupConfig) -> bool:
    similarity, gap = options[chosen]
    return any(
        c != chosen and other_gap == gap and similarity - other <= config.ambiguity_margin
        for c, (other, other_gap) in options.items()
    )
