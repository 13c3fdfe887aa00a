"""The release's overview charts, as SVG files the dataset card shows (GitHub and the Hugging
Face Hub display them in the card): articles per month by outlet, copies per statement, and
how copies were matched.

Drawn with matplotlib's object API (no pyplot state), its SVG backend, text as paths in the
DejaVu Sans font matplotlib ships: no font of the machine is used, and with the date left out
and a fixed hash salt for element ids the bytes depend on the data and matplotlib's version
alone (pinned in requirements.lock, as pyarrow is), so releases stay byte-identical.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import date
from typing import Any

import pyarrow as arrow
import pyarrow.compute as pc

# folder inside the release, and each chart's file and alt text
CHARTS = {
    "articles-per-month.svg": "Articles per month, by outlet",
    "copies-per-statement.svg": "Statements by number of copies",
    "match-kinds.svg": "How copies joined their statement",
}
FOLDER = "charts"
MAX_OUTLETS = 8  # the largest outlets by copies get a colour each; the rest are "other"


def _svg(figure: Any) -> str:
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    buffer = io.StringIO()
    FigureCanvasSVG(figure).print_svg(buffer, metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def _figure(title: str, bottom: float = 0.15) -> tuple[Any, Any]:
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams["svg.hashsalt"] = "kcna-dataset"  # element ids from data, not random
    matplotlib.rcParams["svg.fonttype"] = "path"
    matplotlib.rcParams["font.family"] = "DejaVu Sans"
    # fixed margins: matplotlib's constrained layout cost a third of the drawing time
    figure = Figure(figsize=(8, 3.6), dpi=100)
    figure.subplots_adjust(left=0.09, right=0.98, top=0.9, bottom=bottom)
    axes = figure.add_subplot()
    axes.set_title(title, fontsize=11, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def _month_range(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` (YYYY-MM), empty ones included: a timeline."""
    year, month = int(first[:4]), int(first[5:])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def timeline_bars(counted: arrow.Table) -> tuple[list[str], dict[str, list[int]]]:
    """The timeline's months (every one from the first to the last) and each series' bar
    heights, from the articles counted by month and outlet (`timeline_columns`): the largest
    MAX_OUTLETS outlets a series each, the rest together as "other"."""
    rows = counted.to_pylist()
    names = {
        (r["year"], r["month"]): date(r["year"], r["month"], 1).strftime("%Y-%m") for r in rows
    }
    totals: Counter[str] = Counter()
    for r in rows:
        totals[r["source"]] += r["articles"]
    shown = [s for s, _ in sorted(totals.items(), key=lambda x: (-x[1], x[0]))[:MAX_OUTLETS]]
    counts: Counter[tuple[str, str]] = Counter()
    for r in rows:
        source = r["source"] if r["source"] in shown else "other"
        counts[names[r["year"], r["month"]], source] += r["articles"]
    months = names.values()
    axis = _month_range(min(months), max(months)) if months else []
    series = shown + (["other"] if len(totals) > len(shown) else [])
    return axis, {source: [counts[m, source] for m in axis] for source in series}


def articles_per_month(counted: arrow.Table) -> str:
    """The timeline, from the articles counted by month and outlet (`timeline_columns`)."""
    axis, series = timeline_bars(counted)
    figure, axes = _figure(CHARTS["articles-per-month.svg"], bottom=0.24)
    bottom = [0] * len(axis)
    for source, heights in series.items():
        axes.bar(range(len(axis)), heights, bottom=bottom, label=source, width=0.8)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    step = max(1, len(axis) // 12)  # at most about 12 month labels
    axes.set_xticks(range(0, len(axis), step), axis[::step], rotation=45, ha="right", fontsize=8)
    axes.set_ylabel("articles")
    axes.legend(fontsize=8, frameon=False, ncols=2)
    return _svg(figure)


def _value_counts(column: arrow.ChunkedArray) -> Counter[Any]:
    """How often each value occurs (nulls left out), counted in Arrow."""
    counted = pc.value_counts(column.drop_null())
    values, counts = counted.field("values").to_pylist(), counted.field("counts").to_pylist()
    return Counter(dict(zip(values, counts, strict=True)))


def copies_per_statement(statements: arrow.Table) -> str:
    copies = _value_counts(pc.min_element_wise(statements.column("article_count"), 5))
    labels = ["1", "2", "3", "4", "5+"]
    figure, axes = _figure(CHARTS["copies-per-statement.svg"])
    bars = axes.bar(labels, [copies[k] for k in range(1, 6)], width=0.6)
    axes.bar_label(bars, fontsize=8)
    axes.set_xlabel("copies of the statement")
    axes.set_ylabel("statements")
    return _svg(figure)


def match_kinds(articles: arrow.Table) -> str:
    kinds = _value_counts(articles.column("match"))
    del kinds[""]  # not counted, as a null is not (a canonical copy's match is null)
    order = ["exact", "normalized", "near", "contained", "revised"]
    labels = [k for k in order if k in kinds] + sorted(set(kinds) - set(order))
    figure, axes = _figure(CHARTS["match-kinds.svg"])
    bars = axes.bar(labels or ["(no copies)"], [kinds[k] for k in labels] or [0], width=0.6)
    axes.bar_label(bars, fontsize=8)
    axes.set_ylabel("copies (canonical copies not counted)")
    return _svg(figure)


def timeline_columns(articles: arrow.Table) -> arrow.Table:
    """What `timeline_chart` is drawn from, known once the articles are validated: the articles
    counted by month and outlet, in Arrow (a few hundred rows whatever the corpus: a date and
    a string made per article and counted in Python took 1.5-2 us an article)."""
    dates = articles.column("published_date")
    keys = arrow.table(
        {"year": pc.year(dates), "month": pc.month(dates), "source": articles.column("source")}
    )
    counted = keys.group_by(["year", "month", "source"]).aggregate([([], "count_all")])
    # by name: where the keys go among the aggregates has changed between pyarrow versions
    counted = counted.select(["year", "month", "source", "count_all"])
    counted = counted.rename_columns(["year", "month", "source", "articles"])
    # in one order whatever the grouping's: the tests' memo of drawn charts keys on the bytes
    return counted.sort_by([("year", "ascending"), ("month", "ascending"), ("source", "ascending")])


def timeline_chart(counted: arrow.Table) -> dict[str, str]:
    """`charts/articles-per-month.svg`, from the articles' `timeline_columns`."""
    return {f"{FOLDER}/articles-per-month.svg": articles_per_month(counted)}


def copies_columns(tables: dict[str, arrow.Table]) -> dict[str, arrow.Table]:
    """What `copies_charts` is drawn from: known once the copies are found."""
    return {
        "articles": tables["articles"].select(["match"]),
        "statements": tables["statements"].select(["article_count"]),
    }


def copies_charts(tables: dict[str, arrow.Table]) -> dict[str, str]:
    """`charts/copies-per-statement.svg` and `charts/match-kinds.svg`, from the release's
    tables (or their `copies_columns`)."""
    return {
        f"{FOLDER}/copies-per-statement.svg": copies_per_statement(tables["statements"]),
        f"{FOLDER}/match-kinds.svg": match_kinds(tables["articles"]),
    }


def release_charts(tables: dict[str, arrow.Table]) -> dict[str, str]:
    """The release's files `charts/<name>.svg`, by their path in the release."""
    return {**timeline_chart(timeline_columns(tables["articles"])), **copies_charts(tables)}
