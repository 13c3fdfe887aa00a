"""Table rules: what is checked over all accepted rows of a run, not one record at a time.

Records identical after cleaning are numbered as twins (`number_twins`), and the declared
articles Table Schema is checked over the accepted rows (`check_table`, Arrow compute kernels;
the release itself is checked again by pandera before it is published).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from kcna_dataset.article_table import RECORD_COLUMNS, ArticleTable
from kcna_dataset.findings import Finding, finding
from kcna_dataset.records import Article, file_of
from kcna_dataset.schema import FailureCase, constraint_failures, constraint_name


def _path_key(raw_path: str, line: int | None) -> tuple[str, int]:
    """(file, line): where a record sits, for path order and messages."""
    return (file_of(raw_path), line or 0)


def path_order(a: Article) -> tuple[str, int]:
    return _path_key(a.raw_path, a.line)


def number_twins(articles: ArticleTable) -> tuple[ArticleTable, list[Finding], np.ndarray]:
    """Records identical after cleaning (a page captured twice) share an id: number them -2, -3.

    Returns the articles with the twins renumbered (in their order), a duplicate-record warning
    for each numbered twin naming the first record, and the path order (file, then line: row i
    of it is row order[i] of the articles), which the caller applies where the table lives.
    """
    ids = articles.column("article_id")
    paths = articles.column("raw_path")
    lines = articles.column("line")
    keys = list(map(_path_key, paths, lines))
    warnings: list[Finding] = []
    if repeated := {x for x, n in Counter(ids).items() if n > 1}:
        rows_of: dict[str, list[int]] = defaultdict(list)
        for i, x in enumerate(ids):
            if x in repeated:
                rows_of[x].append(i)
        for x, rows in rows_of.items():
            rows.sort(key=keys.__getitem__)
            for n, r in enumerate(rows[1:], 2):
                ids[r] = f"{x}-{n}"
                warnings.append(
                    finding("duplicate-record", keys[r][0], lines[r], first=paths[rows[0]])
                )
        articles = articles.with_column("article_id", ids)
    order = np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)
    return articles, warnings, order


def check_table(articles: Sequence[Article]) -> dict[int, list[Finding]]:
    """Check the declared articles constraints over the accepted rows: row index -> findings.

    Arrow kernels rather than pandera: the same cells (tests/test_schema.py), without copying
    the table to pandas or importing pandas for `validate`."""
    articles = ArticleTable.of(articles)
    columns = list(RECORD_COLUMNS)
    out: dict[int, list[Finding]] = defaultdict(list)
    cases = constraint_failures("articles", articles.table.select(columns), columns)
    for case in sorted(cases, key=lambda c: c.row):  # stable: a row's findings in field order
        out[case.row].append(_schema_finding(articles[case.row], case))
    return dict(out)


def _schema_finding(a: Article, case: FailureCase) -> Finding:
    return finding(
        "schema-violation",
        path_order(a)[0],
        a.line,
        field=case.column,
        check=constraint_name(case.check),
        value=case.value,
    )


__all__ = ["check_table", "number_twins", "path_order"]
