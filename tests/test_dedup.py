"""Dedup stage (first version): exact and normalised copies grouped, canonical copy by rule."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta

import pytest
from conftest import RAW, SEED_002, TODAY, raw_file

from kcna_dataset.config import DedupConfig
from kcna_dataset.dedup import DedupResult, deduplicate, match_key
from kcna_dataset.parse import parse_page
from kcna_dataset.records import Article, article_id_for
from kcna_dataset.sources import SourceRegistry
from kcna_dataset.validate import validate_paths

REGISTRY = SourceRegistry.load()
JSONL = "kcna-kp/kcna-kp-en-2023-12_2024-08.jsonl"


def seed_article() -> Article:
    d = parse_page(raw_file("002.txt", SEED_002.read_bytes()))[0].draft
    assert d is not None
    return make_article(
        "kcna-kp",
        d.body.text,
        d.published_date,
        title=d.title,
        dateline=d.body.dateline,
        path="002.txt",
    )


def make_article(
    source: str,
    body: str,
    published: date,
    *,
    title: str = "A Statement",
    dateline: str | None = None,
    path: str = "x.txt",
) -> Article:
    label = REGISTRY.by_slug(source).label
    return Article(
        article_id=article_id_for(source, None, title, published, None, dateline, body),
        source=source,
        source_label=label,
        title=title,
        published_date=published,
        listed_date=None,
        dateline=dateline,
        body=body,
        end_mark=dateline is not None,
        stamp=None,
        topic=None,
        url=None,
        raw_path=path,
        raw_sha256="0" * 64,
    )


def groups(result: DedupResult, articles: list[Article]) -> list[list[str]]:
    by: dict[str, list[str]] = {}
    for a in articles:
        by.setdefault(result.membership[a.article_id].statement_id, []).append(a.raw_path)
    return sorted(sorted(g) for g in by.values())


@pytest.fixture(scope="module")
def shipped() -> tuple[list[Article], DedupResult]:
    report = validate_paths([RAW], today=TODAY)
    return report.articles, deduplicate(report.articles, REGISTRY)


def test_shipped_data_group_sizes(shipped: tuple[list[Article], DedupResult]) -> None:
    articles, result = shipped
    assert len(articles) == 688
    assert len(result.statements) == 437
    assert Counter(s.article_count for s in result.statements) == {
        1: 264,
        2: 123,
        3: 30,
        4: 13,
        5: 6,
        6: 1,
    }
    assert result.stats.to_dict() == {
        "stage": "dedup",
        "total": 688,
        "kept": 437,
        "dropped": {"merged (exact)": 251},
    }


def test_shipped_data_largest_group(shipped: tuple[list[Article], DedupResult]) -> None:
    articles, result = shipped
    [big] = [s for s in result.statements if s.article_count == 6]
    assert big.title == "Press Statement of Spokesman for DPRK Foreign Ministry"
    assert big.published_date == date(2024, 8, 18)
    members = sorted(
        (a.raw_path, a.topic)
        for a in articles
        if result.membership[a.article_id].statement_id == big.statement_id
    )
    assert members == [
        (f"{JSONL}#L449", "Top News"),
        (f"{JSONL}#L451", "Top News"),
        (f"{JSONL}#L457", "World"),
        (f"{JSONL}#L458", "World"),
        (f"{JSONL}#L468", "Latest News"),
        (f"{JSONL}#L470", "Latest News"),
    ]


def test_shipped_data_same_title_different_statements(
    shipped: tuple[list[Article], DedupResult],
) -> None:
    _, result = shipped
    titles = Counter(s.title for s in result.statements)
    assert titles["Press Review"] == 18
    assert titles["Press Statement of Vice Department Director of C.C., WPK Kim Yo Jong"] == 3


def test_shipped_seeds_same_day_statements_stay_apart(
    shipped: tuple[list[Article], DedupResult],
) -> None:
    articles, result = shipped
    sept13 = [a for a in articles if a.published_date == date(2024, 9, 13)]
    assert sorted(a.raw_path for a in sept13) == [
        "kcnawatch/000_b3793cfa3d749794.txt",
        "kcnawatch/002_bd9edb1427167513.txt",
    ]
    assert len({result.membership[a.article_id].statement_id for a in sept13}) == 2


def test_cross_source_copy_differing_by_conventions_merges() -> None:
    original = seed_article()
    paras = original.body.split("\n")
    # the Foreign Ministry's copy: no dateline/end mark/stamp, curly quotes, two paragraphs
    # merged, extra spacing, upper-cased words, glued name spacing changes nothing either
    mfa_body = "\n".join(
        [paras[0].replace('"', "“", 1).replace('"', "”", 1), paras[1] + "  " + paras[2], *paras[3:]]
    ).replace("U.S.", "U. S.")
    mfa_body = mfa_body.replace("Blinken", "BLINKEN")
    mfa = make_article(
        "mfa",
        mfa_body,
        original.published_date,
        path="mfa.txt",
        title="Press Statement by Head of External Policy Office",
    )
    exact = make_article(
        "rodong", original.body, original.published_date + timedelta(days=1), path="rodong.txt"
    )
    articles = [mfa, exact, original]
    result = deduplicate(articles, REGISTRY)
    assert groups(result, articles) == [["002.txt", "mfa.txt", "rodong.txt"]]
    [s] = result.statements
    assert (s.canonical_article_id, s.canonical_source) == (original.article_id, "kcna-kp")
    assert s.sources == ("kcna-kp", "mfa", "rodong")
    assert (s.title, s.body, s.dateline) == (original.title, original.body, original.dateline)
    assert s.published_date == date(2024, 9, 13)
    assert result.membership[original.article_id].match is None
    assert result.membership[original.article_id].similarity is None
    assert result.membership[mfa.article_id].match == "normalized"
    assert result.membership[exact.article_id].match == "exact"
    assert result.membership[exact.article_id].similarity == 1.0


def test_match_key_folds_quotes_case_spacing_and_unicode_forms() -> None:
    assert match_key("The “UN Command” ’s\u00a0role\nU.S. １４th") == match_key(
        'the "un command" \'s role u. s. 14TH'
    )
    assert match_key("Kim Jong Un received") != match_key("Kim Jong Un receives")


def test_window_splits_reprints() -> None:
    body = "An anniversary article that is reprinted."
    first = make_article("kcna-kp", body, date(2024, 1, 1), path="a.txt")
    week = make_article("rodong", body, date(2024, 1, 8), path="b.txt")
    later = make_article("kcna-kp", body, date(2024, 1, 10), path="c.txt")
    year = make_article("kcna-kp", body, date(2025, 1, 1), path="d.txt")
    articles = [first, week, later, year]
    result = deduplicate(articles, REGISTRY, DedupConfig(window_days=7))
    assert groups(result, articles) == [["a.txt", "b.txt"], ["c.txt"], ["d.txt"]]


def test_canonical_rule_priority_then_earliest_then_longest_then_id() -> None:
    body = "The same statement text."
    mfa_early = make_article("mfa", body, date(2024, 1, 1), path="mfa.txt")
    kcna_late = make_article("kcna-kp", body, date(2024, 1, 3), path="kcna-late.txt")
    kcna_early = make_article(
        "kcna-kp", body, date(2024, 1, 2), path="kcna-early.txt", title="Other"
    )
    kcna_early_longer = make_article(
        "kcna-kp", "The  same statement text.", date(2024, 1, 2), path="kcna-early-longer.txt"
    )
    articles = [mfa_early, kcna_late, kcna_early, kcna_early_longer]
    [s] = deduplicate(articles, REGISTRY).statements
    assert s.canonical_article_id == kcna_early_longer.article_id
    assert s.published_date == date(2024, 1, 1)  # the earliest copy, whatever the canonical
    [s2] = deduplicate([mfa_early, kcna_late], REGISTRY).statements
    assert s2.canonical_article_id == kcna_late.article_id
    # everything else equal, the smallest article_id decides
    twins = [
        make_article("kcna-kp", body, date(2024, 1, 2), path=f"{t}.txt", title=t)
        for t in ("One", "Two", "Three")
    ]
    [s3] = deduplicate(twins, REGISTRY).statements
    assert s3.canonical_article_id == min(a.article_id for a in twins)


def test_result_does_not_depend_on_input_order(shipped: tuple[list[Article], DedupResult]) -> None:
    articles, result = shipped
    shuffled = articles[:]
    random.Random(7).shuffle(shuffled)
    again = deduplicate(shuffled, REGISTRY)
    assert again.statements == result.statements
    assert again.membership == result.membership


def test_statement_id_is_content_derived() -> None:
    a = make_article("kcna-kp", "Text one.", date(2024, 1, 1), path="a.txt")
    b = replace(a, raw_path="elsewhere/b.txt", article_id="a-0000000000000001")
    assert (
        deduplicate([a], REGISTRY).statements[0].statement_id
        == deduplicate([b], REGISTRY).statements[0].statement_id
    )
