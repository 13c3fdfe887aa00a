"""Dedup stage: one case per rule of the deduplication issue, each asserting the exact grouping."""

from __future__ import annotations

import hashlib
import random
import re
import weakref
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest
from helpers import RAW, SEED_002, TODAY, raw_file
from hypothesis import given, settings
from hypothesis import strategies as st

from kcna_dataset.article_table import ArticleTable
from kcna_dataset.config import DedupConfig
from kcna_dataset.records import Article, article_id_for
from kcna_dataset.sources import SourceRegistry
from kcna_dataset.stages.dedup import (
    DedupResult,
    PairScore,
    candidates,
    deduplicate,
    match_key,
    minhash,
    normalize,
)
from kcna_dataset.stages.dedup.candidates import candidate_pairs, names_and_numbers_key
from kcna_dataset.stages.dedup.minhash import (
    candidate_codes,
    crowded,
    pairs_of_codes,
    sorted_unique,
)
from kcna_dataset.stages.dedup.pipeline import find_candidates, settle, sketch_table
from kcna_dataset.stages.dedup.sketch import sketch_bodies, unit_features
from kcna_dataset.stages.dedup.tokens import text_tokens
from kcna_dataset.stages.dedup.verify import verify
from kcna_dataset.stages.parse import parse_page
from kcna_dataset.stages.parse.text import split_body
from kcna_dataset.validate import validate_paths

REGISTRY = SourceRegistry.load()
JSONL = "kcna-kp/kcna-kp-en-2023-12_2024-08.jsonl"
SHIPPED = validate_paths([RAW], today=TODAY).articles


def real(title_start: str, published: date | None = None) -> Article:
    """A real article from raw/ by title (and date, where a title recurs)."""
    found = [
        a
        for a in SHIPPED
        if a.title.startswith(title_start) and (published is None or a.published_date == published)
    ]
    return min(found, key=lambda a: a.raw_path)


def seed_002() -> Article:
    d = parse_page(raw_file("002.txt", SEED_002.read_bytes()))[0].draft
    assert d is not None
    return make(
        "kcna-kp",
        d.body.text,
        d.published_date,
        title=d.title,
        dateline=d.body.dateline,
        path="kcna.txt",
    )


def make(
    source: str,
    body: str,
    published: date,
    *,
    title: str = "A Statement",
    dateline: str | None = None,
    path: str = "x.txt",
    url: str | None = None,
) -> Article:
    return Article(
        article_id=article_id_for(source, url or path, title, published, None, dateline, body),
        source=source,
        source_label=REGISTRY.by_slug(source).label,
        title=title,
        published_date=published,
        listed_date=None,
        dateline=dateline,
        body=body,
        end_mark=dateline is not None,
        stamp=None,
        topic=None,
        url=url,
        raw_path=path,
        raw_sha256="0" * 64,
    )


def copy(
    a: Article,
    *,
    source: str | None = None,
    body: str | None = None,
    title: str | None = None,
    days: int = 0,
    path: str,
    dateline: str | None = None,
    url: str | None = None,
) -> Article:
    return make(
        source or a.source,
        a.body if body is None else body,
        a.published_date + timedelta(days=days),
        title=title or a.title,
        dateline=dateline,
        path=path,
        url=url,
    )


def deduplicate_pair_score(a: Article, b: Article) -> PairScore:
    """The verdict on two articles as verification gives it."""
    k = DedupConfig().shingle_size
    fa = unit_features(a.body, a.title, a.published_date, a.source, k)
    fb = unit_features(b.body, b.title, b.published_date, b.source, k)
    return verify(fa, fb, DedupConfig())


def groups(articles: list[Article], config: DedupConfig | None = None) -> list[list[str]]:
    result = deduplicate(articles, REGISTRY, config)
    by: dict[str, list[str]] = {}
    for a in articles:
        by.setdefault(result.membership[a.article_id].statement_id, []).append(a.raw_path)
    return sorted(sorted(g) for g in by.values())


def joined(articles: list[Article]) -> tuple[str | None, float | None]:
    """Match and similarity of the one non-canonical copy in a two-copy statement."""
    result = deduplicate(articles, REGISTRY)
    [statement] = result.statements
    [other] = [a for a in articles if a.article_id != statement.canonical_article_id]
    m = result.membership[other.article_id]
    return m.match, m.similarity


# ---- the shipped data -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> DedupResult:
    return deduplicate(SHIPPED, REGISTRY)


def test_shipped_data_group_sizes(shipped: DedupResult) -> None:
    assert len(SHIPPED) == 688
    assert len(shipped.statements) == 433
    assert Counter(s.article_count for s in shipped.statements) == {
        1: 256,
        2: 127,
        3: 30,
        4: 13,
        5: 6,
        6: 1,
    }
    assert shipped.stats.to_dict() == {
        "stage": "dedup",
        "total": 688,
        "kept": 433,
        "dropped": {"merged (exact)": 251, "merged (revised)": 4},
    }
    assert shipped.verified == {
        "outside-window": 88,
        "revised": 4,
        "short-text": 1,
        "substitution": 16,
        "texts-differ": 44,
    }


def test_shipped_data_real_republications_merge(shipped: DedupResult) -> None:
    """kcna.kp re-published four articles with revised translations the same day, under the
    same URL: revisions in place."""
    revised = sorted(
        (a.raw_path, shipped.membership[a.article_id].match)
        for a in SHIPPED
        if shipped.membership[a.article_id].match == "revised"
    )
    assert revised == [
        (f"{JSONL}#L253", "revised"),
        (f"{JSONL}#L294", "revised"),
        (f"{JSONL}#L591", "revised"),
        (f"{JSONL}#L619", "revised"),
    ]
    for line, other in (("L253", "L254"), ("L294", "L293"), ("L591", "L590"), ("L619", "L620")):
        a = next(x for x in SHIPPED if x.raw_path == f"{JSONL}#{line}")
        b = next(x for x in SHIPPED if x.raw_path == f"{JSONL}#{other}")
        assert (
            shipped.membership[a.article_id].statement_id
            == shipped.membership[b.article_id].statement_id
        )


def test_shipped_data_largest_group(shipped: DedupResult) -> None:
    [big] = [s for s in shipped.statements if s.article_count == 6]
    assert big.title == "Press Statement of Spokesman for DPRK Foreign Ministry"
    assert big.published_date == date(2024, 8, 18)
    members = sorted(
        a.raw_path
        for a in SHIPPED
        if shipped.membership[a.article_id].statement_id == big.statement_id
    )
    assert members == [f"{JSONL}#L{n}" for n in (449, 451, 457, 458, 468, 470)]


def test_result_does_not_depend_on_input_order(shipped: DedupResult) -> None:
    shuffled = list(SHIPPED)
    random.Random(7).shuffle(shuffled)
    again = deduplicate(shuffled, REGISTRY)
    assert again.statements == shipped.statements
    assert again.membership == shipped.membership


def test_what_find_candidates_found_holds_no_sketch(shipped: DedupResult) -> None:
    """A build drops its sketches once the candidates are found, so they are freed before
    verification (0.66 GB at a million articles): nothing found keeps them, and settling what
    was found gives what one call to `deduplicate` gives."""
    config = DedupConfig()
    sketches = sketch_table(ArticleTable.of(SHIPPED), config)
    keys, bands = weakref.ref(sketches.keys), weakref.ref(sketches.bands)
    found = find_candidates(SHIPPED, REGISTRY, config, sketches)
    del sketches
    assert (keys(), bands()) == (None, None)
    result = settle(found)
    assert result.statements == shipped.statements
    assert result.membership == shipped.membership
    assert result.verified == shipped.verified


# ---- must merge -------------------------------------------------------------------------------


def test_same_page_captured_twice_and_under_other_urls() -> None:
    a = seed_002()
    twice = replace(a, raw_path="kcna-again.txt")
    other_url = copy(a, path="kcna-other-url.txt", url="http://www.kcna.kp/en/article/q/other")
    assert groups([a, twice, other_url]) == [["kcna-again.txt", "kcna-other-url.txt", "kcna.txt"]]
    assert joined([a, other_url]) == ("exact", 1.0)


def _seed_paragraphs() -> list[str]:
    return seed_002().body.split("\n")


@pytest.mark.parametrize(
    ("case", "transform", "expected_match"),
    [
        ("dateline, end mark and stamp absent", lambda p: p, "exact"),
        ("byline paragraph", lambda p: [*p, "Political News Team"], "normalized"),
        (
            "lead-in",
            lambda p: ["The following is the full text of the statement:", *p],
            "normalized",
        ),
        (
            "curly quotes",
            lambda p: [x.replace('"', "“", 1).replace('"', "”", 1) for x in p],
            "normalized",
        ),
        (
            "DPRK spelled out",
            lambda p: [
                x.replace(
                    "DPRK Foreign Ministry",
                    "Democratic People's Republic of Korea (DPRK) Foreign Ministry",
                )
                for x in p
            ],
            "normalized",
        ),
        ("glued leader names", lambda p: [*p[:-1], p[-1] + " ComradeKim Jong Unsaid so."], None),
        ("case", lambda p: [x.upper() if i == 3 else x for i, x in enumerate(p)], "normalized"),
        (
            "paragraphs merged and split",
            lambda p: [
                p[0] + " " + p[1],
                *p[2:5],
                *re.split(r"(?<=\.) ", p[5], maxsplit=1),
                *p[6:],
            ],
            "normalized",
        ),
        (
            "a handful of edited words",
            lambda p: [
                x.replace("groundlessly", "baselessly")
                .replace("sinister", "evil")
                .replace("regret", "concern")
                .replace("reckless", "rash")
                for x in p
            ],
            "near",
        ),
    ],
)
def test_cross_source_copy_merges(case: str, transform, expected_match: str | None) -> None:
    original = seed_002()
    paragraphs = transform(_seed_paragraphs())
    body = split_body(paragraphs).text  # the parse stage's cleaning, as a real copy gets it
    assert body != original.body or case.startswith("dateline")
    mfa = copy(
        original,
        source="mfa",
        body=body,
        days=1,
        path="mfa.txt",
        title="Press Statement by Head of External Policy Office of DPRK FM",
    )
    if case == "glued leader names":
        # the original gets the same sentence spaced: after parsing both read the same
        spaced = split_body(
            [*_seed_paragraphs()[:-1], _seed_paragraphs()[-1] + " Comrade Kim Jong Un said so."]
        ).text
        original = copy(original, body=spaced, path="kcna.txt", dateline=original.dateline)
        expected_match = "exact"
    assert groups([original, mfa]) == [["kcna.txt", "mfa.txt"]]
    match, similarity = joined([original, mfa])
    assert match == expected_match
    if match == "near":
        assert similarity is not None and 0.8 < similarity < 1.0


def test_reworded_title_is_ignored() -> None:
    a = seed_002()
    b = copy(
        a,
        source="mfa",
        title="Press Statement by Head of External Policy Office Issued",
        path="mfa.txt",
    )
    assert groups([a, b]) == [["kcna.txt", "mfa.txt"]]


@pytest.mark.parametrize("fraction", [0.5, 0.6, 0.75, 0.85, 0.95])
def test_truncated_reprint_is_contained(fraction: float) -> None:
    a = seed_002()
    words = a.body.split(" ")
    short = copy(
        a,
        source="rodong",
        body=" ".join(words[: int(len(words) * fraction)]),
        days=1,
        path="rodong.txt",
    )
    assert groups([a, short]) == [["kcna.txt", "rodong.txt"]]
    match, similarity = joined([a, short])
    # at 95% of the text the copy is simply a near copy
    assert match == ("contained" if fraction < 0.9 else "near")
    assert similarity is not None and similarity > 0.8


def test_truncation_below_half_is_not_merged() -> None:
    a = seed_002()
    words = a.body.split(" ")
    short = copy(a, source="rodong", body=" ".join(words[: int(len(words) * 0.3)]), path="r.txt")
    assert groups([a, short]) == [["kcna.txt"], ["r.txt"]]


@pytest.mark.parametrize(("days", "merged"), [(0, True), (1, True), (7, True), (8, False)])
def test_copies_up_to_seven_days_apart(days: int, merged: bool) -> None:
    a = seed_002()
    weekly = copy(a, source="pyongyang-times", days=days, path="pt.txt")
    expected = [["kcna.txt", "pt.txt"]] if merged else [["kcna.txt"], ["pt.txt"]]
    assert groups([a, weekly]) == expected


def test_canonical_rule_priority_then_earliest_then_longest_then_id() -> None:
    body = "The same statement text, long enough to be a statement of its own kind."
    mfa_early = make("mfa", body, date(2024, 1, 1), path="mfa.txt")
    kcna_late = make("kcna-kp", body, date(2024, 1, 3), path="kcna-late.txt")
    kcna_early = make("kcna-kp", body, date(2024, 1, 2), path="kcna-early.txt", title="Other")
    kcna_longer = make(
        "kcna-kp",
        body.replace("The same", "The  same"),
        date(2024, 1, 2),
        path="kcna-early-longer.txt",
    )
    [s] = deduplicate([mfa_early, kcna_late, kcna_early, kcna_longer], REGISTRY).statements
    assert s.canonical_article_id == kcna_longer.article_id
    assert s.published_date == date(2024, 1, 1)  # the earliest copy, whatever the canonical
    [s2] = deduplicate([mfa_early, kcna_late], REGISTRY).statements
    assert s2.canonical_article_id == kcna_late.article_id
    twins = [
        make("kcna-kp", body, date(2024, 1, 2), path=f"{t}.txt", title=t)
        for t in ("Photo", "Picture", "Image")  # reworded titles, no name or number
    ]
    [s3] = deduplicate(twins, REGISTRY).statements
    assert s3.canonical_article_id == min(a.article_id for a in twins)


# ---- must not merge ---------------------------------------------------------------------------


def test_daily_series_stay_apart() -> None:
    reviews = [a for a in SHIPPED if a.title == "Press Review"]
    distinct = {match_key(a.body): a for a in reviews}
    assert len(distinct) == 18
    series = list(distinct.values())
    assert len(groups(series)) == 18


def test_same_day_statements_of_one_ministry_stay_apart() -> None:
    idp = parse_page(
        raw_file("000.txt", (RAW / "kcnawatch" / "000_b3793cfa3d749794.txt").read_bytes())
    )[0].draft
    assert idp is not None
    a = seed_002()
    b = make("mfa", idp.body.text, idp.published_date, title=idp.title, path="mfa-idp.txt")
    c = make(
        "mfa",
        real("Press Statement of Spokesperson for DPRK Foreign Ministry").body,
        a.published_date,
        title=a.title,
        path="mfa-third.txt",
    )
    assert a.published_date == b.published_date == date(2024, 9, 13)
    assert groups([a, b, c]) == [["kcna.txt"], ["mfa-idp.txt"], ["mfa-third.txt"]]


def _greeting(country: str, person: str, years: int) -> str:
    shared = real("Greetings to DPRK FM", date(2024, 7, 26)).body.split("\n")[1:]
    return "\n".join(
        [
            f"Kim Jong Un, president of the State Affairs of the DPRK, sent a message of "
            f"greeting to {person}, president of {country}, on the occasion of the {years}th "
            f"anniversary of the founding of {country}.",
            *shared,
        ]
    )


def test_template_messages_to_different_countries_stay_apart() -> None:
    day = date(2024, 7, 26)
    variants = [
        make(
            "kcna-kp",
            _greeting(c, p, 60),
            day,
            path=f"{c}.txt",
            title=f"Greetings to President of {c}",
        )
        for c, p in (
            ("Syria", "Bashar al-Assad"),
            ("Laos", "Thongloun Sisoulith"),
            ("Cuba", "Miguel Diaz-Canel"),
        )
    ]
    numbers = make("kcna-kp", _greeting("Syria", "Bashar al-Assad", 61), day, path="Syria-61.txt")
    reprint = copy(
        variants[0],
        source="rodong",
        days=1,
        path="Syria-rodong.txt",
        body=variants[0].body.replace("'", "’"),
    )
    assert groups([*variants, numbers, reprint]) == [
        ["Cuba.txt"],
        ["Laos.txt"],
        ["Syria-61.txt"],
        ["Syria-rodong.txt", "Syria.txt"],
    ]


def test_real_arrival_and_departure_notices_stay_apart() -> None:
    arrives = real("Foreign Delegation Arrives in Pyongyang")
    leaves = real("Foreign Delegation Leaves")
    assert (leaves.published_date - arrives.published_date).days == 7
    result = deduplicate([arrives, leaves], REGISTRY)
    assert len(result.statements) == 2
    assert result.verified == {"substitution": 1}
    [score] = [deduplicate_pair_score(arrives, leaves)]
    assert score.substitutions == (("Thursday", "Aug 8"),)


def test_reprint_after_the_window_is_a_new_statement() -> None:
    a = seed_002()
    anniversary = copy(a, days=365, path="a-year-later.txt")
    assert groups([a, anniversary]) == [["a-year-later.txt"], ["kcna.txt"]]


def test_no_chaining_through_a_bridge() -> None:
    """A~B and B~C, but A and C substitute names: C must not join A through B.

    A real 1,900-token report with a closing list of names; B drops the list, C names others.
    """
    base = real("Ceremony of Paektusan Hero Youth Shock Brigade's Departure for Rehabilitation")
    day = base.published_date

    def with_names(names: str) -> str:
        return base.body + f"\nIt was attended by officials named {names} and others."

    a = make("kcna-kp", with_names("Alpha Bravo Charlie Delta Echo"), day, path="a.txt")
    b = make("rodong", base.body, day, path="b.txt")
    c = make("voice-of-korea", with_names("Golf Hotel India Juliet Kilo"), day, path="c.txt")
    result = deduplicate([a, b, c], REGISTRY)
    assert groups([a, b, c]) == [["a.txt", "b.txt"], ["c.txt"]]
    assert result.verified["bridge-refused"] == 1
    assert result.membership[b.article_id].match == "near"


def test_a_fragment_that_is_no_opening_joins_neither_template() -> None:
    """B is the shared tail of two greetings to different countries: it cannot be attributed."""
    day = date(2024, 7, 26)
    a = make("kcna-kp", _greeting("Syria", "Bashar al-Assad", 60), day, path="a-syria.txt")
    c = make("mfa", _greeting("Laos", "Thongloun Sisoulith", 60), day, path="c-laos.txt")
    b = make("rodong", "\n".join(a.body.split("\n")[1:]), day, path="b-shared.txt")
    assert groups([a, b, c]) == [["a-syria.txt"], ["b-shared.txt"], ["c-laos.txt"]]


def test_statement_id_is_content_derived() -> None:
    a = make("kcna-kp", "Text one of a statement.", date(2024, 1, 1), path="a.txt")
    b = replace(a, raw_path="elsewhere/b.txt", article_id="a-0000000000000001")
    assert (
        deduplicate([a], REGISTRY).statements[0].statement_id
        == deduplicate([b], REGISTRY).statements[0].statement_id
    )


def test_config_must_be_consistent() -> None:
    with pytest.raises(ValueError, match="bands x rows"):
        DedupConfig(num_perm=128, bands=40, rows=3)
    with pytest.raises(ValueError, match=r"prefix_tokens \(2\) must be at least shingle_size"):
        DedupConfig(prefix_tokens=2)
    with pytest.raises(ValueError, match=r"shingle_size \(0\) must be at least 1"):
        DedupConfig(shingle_size=0)


@pytest.mark.parametrize("chunk", [1 << 12, 70, 1])  # 70 and 1: many blocks, long texts alone
def test_signatures_are_the_minima_of_the_permutations(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the definition, one text and one permutation at a time in Python integers: signature
    # [i, p] = min over the text's shingles x of ((a[p] * x + b[p]) mod 2**64) >> 32
    monkeypatch.setattr(minhash, "_CHUNK", chunk)
    hasher = minhash.MinHasher(8, 3)
    rng = np.random.default_rng(11)
    shingles = [rng.integers(0, 1 << 32, n, dtype=np.uint64) for n in (1, 5, 90, 2, 71, 3)]
    expected = [
        [
            min(((a * x + b) % (1 << 64)) >> 32 for x in s.tolist())
            for a, b in zip(hasher.a.tolist(), hasher.b.tolist(), strict=True)
        ]
        for s in shingles
    ]
    assert hasher.signatures(shingles).tolist() == expected


def test_token_hashes_are_blake2b_of_each_word_new_or_known() -> None:
    def blake(word: bytes) -> int:
        return int.from_bytes(hashlib.blake2b(word, digest_size=8).digest(), "little")

    hasher = minhash.TokenHasher()
    assert hasher([b"peace", b"war"]).tolist() == [blake(b"peace"), blake(b"war")]
    # known and new words in one call, a new one twice: each hashed where first looked up
    words = [b"war", b"\xea\xb9\x80", b"peace", b"\xea\xb9\x80", b"1950"]
    assert hasher(words).tolist() == [blake(w) for w in words]
    assert hasher([]).tolist() == []
    assert hasher([b"1950"]).dtype == np.uint64


@pytest.mark.parametrize(
    "texts",
    [
        [],
        [""],
        ["", " ", "a"],
        [" a ", "a  b", "'quoted' words", "Kim Jong Un's, 1,000 don't"],
        ["tab\tand\nnew\x0bline\x0c here", "--", "a\x1cb"],
        ["조선중앙통신 보도", "朝鲜中央通讯社 报道", "Ри Сон Гвон, 5 мая", " 日本 "],
    ],
)
def test_token_hashes_of_many_texts_are_each_texts_word_keys(texts: list[str]) -> None:
    hasher = minhash.TokenHasher()
    hashes, counts = hasher.texts([normalize.spaced_keys(t) for t in texts])
    expected = [minhash.TokenHasher()(normalize.word_keys(t)).tolist() for t in texts]
    assert counts.tolist() == [len(e) for e in expected]
    assert hashes.tolist() == [h for e in expected for h in e]
    assert hashes.dtype == np.uint64 and counts.dtype == np.int64


@given(st.lists(st.text(), max_size=6))
@settings(max_examples=200, deadline=None, derandomize=True)
def test_token_hashes_of_many_texts_match_one_at_a_time_for_any_text(texts: list[str]) -> None:
    hasher = minhash.TokenHasher()
    hashes, counts = hasher.texts([normalize.spaced_keys(t) for t in texts])
    words = [normalize.word_keys(t) for t in texts]
    assert counts.tolist() == [len(w) for w in words]
    assert hashes.tolist() == hasher([w for ws in words for w in ws]).tolist()


def test_token_hashes_stay_the_same_when_the_cache_starts_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(minhash, "MAX_CACHED_TOKENS", 3)
    hasher = minhash.TokenHasher()
    first = hasher([b"a", b"b", b"c", b"d"]).tolist()
    assert len(hasher._cache) == 4  # past the bound: the next call starts again
    assert hasher([b"e", b"a"]).tolist() == [
        int.from_bytes(hashlib.blake2b(b"e", digest_size=8).digest(), "little"),
        first[0],
    ]
    assert sorted(hasher._cache) == [b"a", b"e"]


@pytest.mark.parametrize(
    "counts",
    [[0], [1], [2], [3], [4], [300], [0, 0], [5, 0, 1, 2, 3, 7], [2, 9, 0], [3, 3, 3], []],
)
def test_texts_shingle_hashes_are_each_texts_own(counts: list[int]) -> None:
    # a batch's texts are shingled in one array: each text's shingles must be those it has
    # alone, windows never run across two texts, and short and empty texts are as shingle_hashes
    # makes them (padded; an empty text is the one shingle 0)
    k = 3
    rng = np.random.default_rng(sum(counts) + len(counts))
    texts = [rng.integers(1, 1 << 62, n, dtype=np.uint64) for n in counts]
    joined = np.concatenate(texts) if texts else np.empty(0, np.uint64)
    shingles, lengths = minhash.texts_shingle_hashes(joined, np.array(counts, np.int64), k)
    alone = [minhash.shingle_hashes(t, k) for t in texts]
    assert lengths.tolist() == [len(s) for s in alone] == [max(1, n - k + 1) for n in counts]
    assert shingles.tolist() == [x for s in alone for x in s.tolist()]


@pytest.mark.parametrize("chunk", [1 << 13, 70])  # 70: blocks that end inside the corpus
def test_opening_signatures_are_those_of_the_opening_alone(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # sketch_bodies takes the opening's signature from the whole text's permuted shingles: it
    # must be the signature the opening's own shingles give, whatever the text's length
    monkeypatch.setattr(minhash, "_CHUNK", chunk)
    config = DedupConfig()
    k, prefix = config.shingle_size, config.prefix_tokens
    rng = np.random.default_rng(7)
    token_counts = [0, 1, k - 1, k, k + 1, prefix - 1, prefix, prefix + 1, prefix + k, 300, 64, 2]
    hashes = [rng.integers(0, 1 << 62, n, dtype=np.uint64) for n in token_counts]
    full = [minhash.shingle_hashes(h, k) for h in hashes]
    openings = [minhash.shingle_hashes(h[:prefix], k) for h in hashes]
    hasher = minhash.MinHasher(config.num_perm, config.seed)
    lengths = np.array([max(1, min(len(h), prefix) - k + 1) for h in hashes])
    assert lengths.tolist() == [len(o) for o in openings]
    whole, opened = hasher.signatures_and_openings(full, lengths)
    assert opened is not None
    assert np.array_equal(whole, hasher.signatures(full))
    assert np.array_equal(opened, hasher.signatures(openings))
    for h, o in zip(full, openings, strict=True):  # the premise: an opening is a prefix
        assert np.array_equal(h[: len(o)], o)


@given(
    st.integers(1, 3).flatmap(
        lambda bands: st.tuples(
            st.just(bands),
            st.lists(st.lists(st.integers(0, 3), min_size=bands, max_size=bands), max_size=12),
        )
    )
)
def test_candidate_pairs_are_the_pairs_sharing_a_band_bucket(
    example: tuple[int, list[list[int]]],
) -> None:
    bands, rows = example
    keys = np.array(rows, dtype=np.uint64).reshape(len(rows), bands)
    expected = {
        (i, j)
        for i in range(len(rows))
        for j in range(i + 1, len(rows))
        if any(a == b for a, b in zip(rows[i], rows[j], strict=True))
    }
    pairs = pairs_of_codes(candidate_codes(keys), len(keys))
    assert [tuple(p) for p in pairs.tolist()] == sorted(expected)


def test_candidate_pairs_are_the_same_when_codes_are_compacted_band_by_band(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = np.random.default_rng(3).integers(0, 4, size=(60, 6)).astype(np.uint64)
    expected = sorted(
        (i, j)
        for i in range(60)
        for j in range(i + 1, 60)
        if any(a == b for a, b in zip(rows[i], rows[j], strict=True))
    )
    assert len(expected) == 1467
    monkeypatch.setattr(minhash, "COMPACT_CODES", 0)  # compact after every band
    pairs = pairs_of_codes(candidate_codes(rows), len(rows))
    assert [tuple(p) for p in pairs.tolist()] == expected


def test_candidate_pairs_over_chosen_rows_number_the_rows_as_chosen() -> None:
    keys = np.array([[1, 5], [2, 6], [1, 7], [3, 6], [9, 9]], dtype=np.uint64)
    # index 0 = row 3, 1 = row 2, 2 = row 1, 3 = row 0: rows 0~2 share band 0, rows 1~3 band 1
    pairs = pairs_of_codes(candidate_codes(keys, np.array([3, 2, 1, 0])), 4)
    assert pairs.tolist() == [[0, 2], [1, 3]]


@given(
    st.lists(st.lists(st.integers(0, 3), min_size=3, max_size=3), max_size=30),
    st.integers(0, 4),
    st.none() | st.lists(st.integers(0, 29), max_size=30),
)
def test_crowded_is_what_candidate_codes_asks_refine_about(
    rows: list[list[int]], crowd: int, chosen: list[int] | None
) -> None:
    keys = np.array(rows, dtype=np.uint64).reshape(len(rows), 3)
    # index i is row chosen[i] (a subset, an order, repeats), or row i
    picked = None if chosen is None else np.array([r for r in chosen if r < len(rows)], np.int64)
    asked: set[int] = set()

    def refine(units: np.ndarray) -> np.ndarray:
        asked.update(units.tolist())
        return np.zeros(len(units), np.uint64)

    candidate_codes(keys, picked, crowd, refine)
    # by brute force: an index is crowded when more than `crowd` indexes share its key in some
    # band
    of = list(range(len(rows))) if picked is None else picked.tolist()
    expected = {
        i
        for band in range(3)
        for i, r in enumerate(of)
        if sum(keys[s, band] == keys[r, band] for s in of) > crowd
    }
    assert crowded(keys, picked, crowd).tolist() == sorted(expected) == sorted(asked)


def _crowd_reads(
    texts: list[str], head_rows: list[int], config: DedupConfig
) -> tuple[np.ndarray, list[list[int]]]:
    reads: list[list[int]] = []

    def bodies_of(rows: list[int]) -> list[str]:
        reads.append(list(rows))
        return [texts[r] for r in rows]

    bands = sketch_bodies(texts, config).bands
    return candidate_pairs(bands, head_rows, [], config, bodies_of), reads


_GREETINGS = [
    f"Kim Jong Un sent a message of greetings to the President of Country {k} on its national "
    f"day, wishing the people of Country {k} prosperity and the friendly relations between the "
    f"two countries further development. Item {k}."
    for k in range(40)
]


def test_a_crowds_bodies_are_read_in_one_pass_in_row_order() -> None:
    """Asked for band by band, a crowd's bodies were read where each band's crowd lay, spread
    over the whole (mapped) table every time: ~90 s of the kernel's read-around at a million
    pages in a 4 GB memory group. Now all of them at once, in row order."""
    config = replace(DedupConfig(), crowd_size=4)
    head_rows = [(7 * u) % 40 for u in range(40)]  # unit u's head is row 7u mod 40
    pairs, reads = _crowd_reads(_GREETINGS, head_rows, config)
    assert reads == [list(range(40))]  # one read, every crowded row once, in row order
    assert len(pairs) == 0  # each text has its own number: the split leaves no two together


def test_a_crowds_bodies_are_read_a_slice_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(candidates, "_KEY_UNITS", 16)
    config = replace(DedupConfig(), crowd_size=4)
    _, reads = _crowd_reads(_GREETINGS, [(7 * u) % 40 for u in range(40)], config)
    assert reads == [list(range(16)), list(range(16, 32)), list(range(32, 40))]


def test_a_crowd_of_openings_only_is_split_too() -> None:
    """12 texts that share a 90-word opening and differ after it: a crowd in the opening's bands
    only, split by the texts' names and numbers like a crowd of whole texts."""
    rng = random.Random(1)
    words = [f"w{i}" for i in range(20)]
    opening = " ".join(rng.choice(words) for _ in range(90))
    texts = [
        f"{opening} Item {k}. " + " ".join(rng.choice(words) + str(k) for _ in range(200))
        for k in range(12)
    ]
    config = replace(DedupConfig(), crowd_size=4)
    bands = sketch_bodies(texts, config).bands
    rows = np.arange(12)
    assert crowded(bands[:, : config.bands], rows, 4).tolist() == []
    assert crowded(bands[:, config.bands :], rows, 4).tolist() == list(range(12))
    pairs, reads = _crowd_reads(texts, list(range(12)), config)
    assert reads == [list(range(12))]

    def keyed(units: np.ndarray) -> np.ndarray:  # each band's crowd keyed as it comes
        return np.array([names_and_numbers_key(texts[u]) for u in units.tolist()], np.uint64)

    codes = [candidate_codes(bands[:, b], rows, 4, keyed) for b in (slice(0, 40), slice(40, 80))]
    assert pairs.tolist() == pairs_of_codes(sorted_unique(np.concatenate(codes)), 12).tolist()
    # the pairs the whole texts' bands find (buckets of at most 4: what the shared opening gives)
    assert pairs.tolist() == [[0, 3], [0, 4], [0, 7], [1, 5], [1, 6], [2, 3], [3, 4], [5, 6]]


@given(st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 5)), st.sampled_from(["u8", "i8"]))
def test_sorted_unique_is_numpys_unique(values: list[int], dtype: str) -> None:
    array = np.array(values, dtype=np.uint64).astype(dtype)
    result = sorted_unique(array)
    assert result.dtype == array.dtype
    assert result.tolist() == np.unique(array).tolist()


@given(st.text(alphabet=st.sampled_from("ab1_' \n\u00e9\u00a0-")) | st.text())
def test_word_pattern_matches_as_the_plain_one(text: str) -> None:
    # normalize._WORD is written with possessive quantifiers for speed; the words must not change
    assert normalize._WORD.findall(text) == re.findall(r"\w+(?:'\w+)*", text)


# texts of the characters the fast paths treat specially: word characters of both cases, digits,
# underscore, apostrophes, the whitespace str.split() knows and bytes.split() does not (\x1c),
# sentence ends, quotes before names, and non-ASCII letters, digits and spaces
_TRICKY = (
    st.text(alphabet=st.sampled_from("aZb1_' '\n\t\x1c.!:\"([-Ié\u0130\u0663\u00a0 ")) | st.text()
)


@given(_TRICKY)
def test_word_keys_are_the_pattern_words_encoded(text: str) -> None:
    # ASCII texts are split by bytes.translate, not the regular expression
    assert normalize.word_keys(text) == [w.encode() for w in normalize.words_of(text)]


@given(_TRICKY)
def test_key_bytes_is_the_match_key_encoded(text: str) -> None:
    assert normalize.key_bytes(text) == normalize.key_of(text).encode()


# the country's name whole (in any case, with and without its abbreviation), broken off, and
# what may stand around it: joined, they make names run together and overlapping starts
_COUNTRY_PIECES = st.sampled_from(
    [
        "Democratic People's Republic of Korea",
        "DEMOCRATIC PEOPLES REPUBLIC OF KOREA",
        "democratic people's republic of korea (DPRK)",
        "Democratic People's Republic of Korea \n(dprk)",
        "Democratic People",
        "Democratic People's Republic",
        "Republic of Korea",
        "(DPRK)",
        "'s",
        " ",
        "x",
    ]
)


@given(st.lists(_COUNTRY_PIECES).map("".join) | st.text(alphabet=st.sampled_from("Dd'sP (K)")))
def test_country_name_folding_finds_what_the_pattern_finds(text: str) -> None:
    # ASCII texts are folded by str.find and a match at each find, not by re.sub
    assert normalize._dprk_ascii(text) == normalize._DPRK.sub("DPRK", text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'The DPRK\'s Kim Jong Un met "Li Qiang" on 3rd May 2024, the eighth time.',
            ({"3", "month:5", "2024", "8"}, {"dprk", "kim", "jong", "un", "li", "qiang"}),
        ),
        (
            "He said: Rodong Sinmun's 12km road. Pyongyang (KCNA) may march on.",
            ({"12"}, {"sinmun", "kcna"}),  # possessives folded
        ),
    ],
)
def test_text_tokens_numbers_and_names(text: str, expected: tuple[set[str], set[str]]) -> None:
    tokens = text_tokens(text)
    assert (set(tokens.numbers), set(tokens.names)) == expected


def test_text_tokens_split_chinese_and_japanese_into_characters() -> None:
    assert text_tokens("金正恩同志 2024年 ひらがな abc").tokens == (
        "金", "正", "恩", "同", "志", "2024", "年", "ひ", "ら", "が", "な", "abc",
    )  # fmt: skip
    assert normalize.words_of("金正恩 Kim") == ("金", "正", "恩", "kim")


@given(
    st.lists(
        st.tuples(
            st.integers(1, 3),  # priority
            st.integers(0, 3),  # days after the first date: ties are common
            st.text(max_size=6),  # body: its length in characters, non-ASCII included
            st.text(min_size=1, max_size=4),  # article id: any characters
        ),
        max_size=40,
        unique_by=lambda row: row[3],
    )
)
def test_rank_positions_order_rows_as_the_rank_tuple_does(
    rows: list[tuple[int, int, str, str]],
) -> None:
    from test_article_table import article

    from kcna_dataset.article_table import ArticleTable
    from kcna_dataset.stages.dedup import rank_positions

    table = ArticleTable.from_articles(
        article(1, article_id=i, published_date=date(2024, 1, 1 + d), body=body)
        for _, d, body, i in rows
    )
    by_tuple = sorted(
        range(len(rows)),
        key=lambda r: (rows[r][0], rows[r][1], -len(rows[r][2]), rows[r][3]),
    )
    positions = rank_positions(table, [p for p, *_ in rows])
    assert sorted(range(len(rows)), key=positions.__getitem__) == by_tuple


@pytest.mark.parametrize("together", [1, 2, 5, 256])
def test_texts_sketched_together_are_sketched_as_each_alone(
    together: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # sketch_bodies hashes, shingles and permutes its texts in shared arrays, `together` texts
    # at a time: each text's sketch must be the one its own words give, text by text
    from kcna_dataset.stages.dedup import normalize, sketch

    monkeypatch.setattr(sketch, "_SKETCH_TEXTS", together)
    config = DedupConfig()
    k = config.shingle_size
    bodies = [
        "",
        "One.",
        "Two words",
        # no word twice, in a text or across texts: each text's shingles and its opening's
        # are its own (texts sharing words could share every band key)
        *(" ".join(f"w{n}x{i}" for i in range(n)) + "." for n in (3, 63, 64, 65, 66, 200)),
        "조선중앙통신 보도 김정은 동지께서 현지지도하시였다",
        "Rodong Sinmun\nThe full text of the statement:\nIt said so.\nPolitical News Team",
    ]
    hasher = minhash.TokenHasher()
    permutations = minhash.MinHasher(config.num_perm, config.seed)
    expected_bands = []
    for body in bodies:
        text = normalize.comparison_text(body)
        hashes = hasher(normalize.word_keys(text))
        whole = permutations.signatures([minhash.shingle_hashes(hashes, k)])
        opening = permutations.signatures(
            [minhash.shingle_hashes(hashes[: config.prefix_tokens], k)]
        )
        expected_bands.append(
            [
                *minhash.band_keys(whole, config.bands, config.rows)[0].tolist(),
                *minhash.band_keys(opening, config.bands, config.rows)[0].tolist(),
            ]
        )
    sketched = sketch.sketch_bodies(bodies, config)
    assert len({tuple(b) for b in expected_bands}) == len(bodies)  # a swap would show
    assert sketched.bands.tolist() == expected_bands
    assert sketched.keys.tolist() == [
        hashlib.blake2b(
            normalize.key_bytes(normalize.comparison_text(body)), digest_size=16
        ).digest()
        for body in bodies
    ]


def test_sketches_gathered_and_reordered_in_place_equal_concat_and_take() -> None:
    """The build keeps one copy of the band keys (640 bytes an article): `gathered` empties
    the parts it copies, `reordered` permutes in the array's own memory; both give exactly
    what `concat` and `take` give."""
    from kcna_dataset.stages.dedup.sketch import Sketches, sketch_bodies

    config = DedupConfig()
    bodies = [f"Text number {n} says {'more ' * n}and ends." for n in range(23)]
    parts = [sketch_bodies(bodies[i : i + 5], config) for i in range(0, 23, 5)]
    whole = Sketches.concat(parts, config.bands)
    emptied = list(parts)
    gathered = Sketches.gathered(emptied, config.bands)
    assert emptied == []
    assert np.array_equal(gathered.keys, whole.keys)
    assert np.array_equal(gathered.bands, whole.bands)
    order = np.random.default_rng(7).permutation(23)
    taken = whole.take(order)
    reordered = gathered.reordered(order)
    assert reordered.bands is gathered.bands  # the same memory
    assert np.array_equal(reordered.keys, taken.keys)
    assert np.array_equal(reordered.bands, taken.bands)
    with pytest.raises(ValueError, match="a reordering of 23 rows has 22"):
        whole.reordered(order[:22])
    empty = Sketches.gathered([], config.bands)
    assert (empty.keys.shape, empty.bands.shape) == ((0,), (0, 2 * config.bands))
