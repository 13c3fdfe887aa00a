"""The rules of docs/DEDUP.md, one test each, in each script; exact groupings asserted.

The texts here are written for these tests (the benchmark corpus in bench/ has its own), so a
rule cannot pass because it was tuned on the texts it is judged by.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import numpy as np
from test_dedup import REGISTRY, SHIPPED, copy, groups, make, real

from kcna_dataset.config import DedupConfig
from kcna_dataset.language import detected_language, language_mismatch
from kcna_dataset.records import Article
from kcna_dataset.stages.dedup import deduplicate
from kcna_dataset.stages.dedup.align import opcodes
from kcna_dataset.stages.dedup.candidates import candidate_pairs
from kcna_dataset.stages.dedup.sketch import sketch_bodies, unit_features
from kcna_dataset.stages.dedup.tokens import text_tokens
from kcna_dataset.stages.dedup.verify import _aliases, _equivalent, verify

DAY = date(2024, 10, 7)

# ---- English: a long greeting (about 170 words), and a short report (about 60) ----------------

GREETING_EN = (
    "Kim Jong Un, general secretary of the WPK and president of the State Affairs of the DPRK, "
    "sent a message of greeting to the {adj} president on October 7.\n"
    "The message said that on the occasion of the national day the Korean people extend warm "
    "congratulations to the {adj} people, who have achieved great successes in the struggle to "
    "defend the sovereignty of their country and build a prosperous nation.\n"
    "It expressed the belief that the traditional relations of friendship and cooperation "
    "between the two countries, forged in the common struggle against imperialism and for "
    "independence, would grow stronger in the future as required by the new era.\n"
    "It sincerely wished the president and the friendly people bigger successes in their work "
    "for the peace and prosperity of the country, and good health and happiness to the "
    "president, and said that the Workers' Party of Korea and the government of the DPRK would "
    "always stand by their friends in the struggle for a just cause."
)


def greeting(adj: str) -> str:
    return GREETING_EN.format(adj=adj)


# two passages of GREETING_EN (Syrian) retranslated, as a revised translation rewrites them:
# (the text, its retranslation), for str.replace
RETRANSLATED_OPENING = (
    "The message said that on the occasion of the national day the Korean people extend "
    "warm congratulations to the Syrian people, who have achieved great successes in the "
    "struggle to defend",
    "On the national holiday, the message noted, the Korean people send their heartfelt "
    "felicitations to the Syrian people, who have scored big achievements in their fight "
    "for",
)
RETRANSLATED_BELIEF = (
    "It expressed the belief that the traditional relations of friendship and cooperation "
    "between the two countries, forged in the common struggle against imperialism and for "
    "independence, would grow stronger in the future as required by the new era.",
    "It voiced the conviction that the time-honoured ties of amity and collaboration "
    "between both nations, born in their shared fight against imperialism and for "
    "independence, would be further cemented in keeping with the demands of the new age.",
)


def test_rule1_the_same_thing_written_another_way_merges() -> None:
    """Oct./October, WPK spelled out, DPRK spelled out, a weekday added, `Kim Jong Un` with
    honorifics: a cross-outlet copy (no URL identity) still merges."""
    a = make("kcna-kp", greeting("Syrian"), DAY, path="kcna.txt", title="Message to Syria")
    rewritten = (
        greeting("Syrian")
        .replace("Kim Jong Un, general", "The respected Comrade Kim Jong Un, general")
        .replace("of the WPK and", "of the Workers' Party of Korea and")
        .replace("on October 7.", "on Monday, Oct. 7.")
        .replace(
            "government of the DPRK", "government of the Democratic People's Republic of Korea"
        )
    )
    b = make("rodong", rewritten, DAY, path="rodong.txt", title="Message Sent to Syria")
    assert groups([a, b]) == [["kcna.txt", "rodong.txt"]]


def test_rule1_numbers_written_as_words_or_ordinals_are_the_same() -> None:
    x = text_tokens("the Eighth Congress on the 8th, the eighth day of Sept. 17")
    y = text_tokens("the 8th Congress on the 8, the 8 day of September 17")
    assert [op for op in opcodes(x.tokens, y.tokens) if op[0] != "equal"] == []
    assert x.tokens[1] == "8" and x.tokens[-2] == "month:9"


def test_rule2_one_substituted_country_in_a_long_text_separates() -> None:
    """~170 words, one adjective differs (twice): two statements at any length."""
    a = make("kcna-kp", greeting("Syrian"), DAY, path="syria.txt", title="Message")
    b = make("rodong", greeting("Lao"), DAY, path="lao.txt", title="Message")
    result = deduplicate([a, b], REGISTRY)
    assert groups([a, b]) == [["lao.txt"], ["syria.txt"]]
    assert result.verified == {"substitution": 1}


def test_rule2_a_name_dropped_or_added_is_an_edit() -> None:
    a = make("kcna-kp", greeting("Syrian"), DAY, path="a.txt", title="Message")
    dropped = greeting("Syrian").replace("to the Syrian people, who", "to the people, who")
    added = greeting("Syrian").replace("the Korean people", "the Korean people in Pyongyang")
    b = make("rodong", dropped, DAY, path="b.txt", title="Message")
    c = make("mfa", added, DAY, path="c.txt", title="Message")
    assert groups([a, b, c]) == [["a.txt", "b.txt", "c.txt"]]


def test_rule2_a_substituted_name_or_number_in_the_title_separates() -> None:
    # the bodies are the same; only the titles tell the statements apart
    body = greeting("friendly")
    a = make("kcna-kp", body, DAY, path="a.txt", title="Greetings on 75th Anniversary")
    b = make("rodong", body, DAY, path="b.txt", title="Greetings on 76th Anniversary")
    # a sentence-case title shows its names by their capitals
    c = make("mfa", body, DAY, path="c.txt", title="Message of greeting sent to Syria")
    d = make("naenara", body, DAY, path="d.txt", title="Message of greeting sent to Laos")
    # a title reworded without a substitution is no conflict
    e = make("voice-of-korea", body, DAY, path="e.txt", title="Anniversary Greetings Sent")
    assert groups([a, b, c, d, e]) == [["a.txt", "e.txt"], ["b.txt"], ["c.txt"], ["d.txt"]]


def test_rule2_a_substituted_number_separates() -> None:
    a = make("kcna-kp", greeting("Syrian"), DAY, path="a.txt")
    b = make("rodong", greeting("Syrian").replace("October 7", "October 9"), DAY, path="b.txt")
    assert groups([a, b]) == [["a.txt"], ["b.txt"]]


def test_rule3_a_revision_under_one_url_merges_whatever_its_similarity() -> None:
    url = "http://www.kcna.kp/en/article/q/0123456789abcdef.kcmsf"
    first = make("kcna-kp", greeting("Syrian"), DAY, path="v1.txt", url=url)
    # a retranslation: half the wording redone, one name swapped for a title
    second_text = (
        greeting("Syrian")
        .replace("Kim Jong Un", "The General Secretary")
        .replace(
            "The message said that on the occasion of the national day",
            "In his message he noted that marking the national holiday",
        )
    )
    second_text = second_text.replace(
        "It expressed the belief that the traditional relations",
        "He voiced confidence that the time-honoured ties",
    )
    second = make("kcna-kp", second_text, DAY, path="v2.txt", url=url.replace("http:", "https:"))
    other_day = make("kcna-kp", second_text, date(2024, 10, 8), path="v3.txt", url=url)
    result = deduplicate([first, second], REGISTRY)
    [statement] = result.statements
    assert statement.canonical_article_id == second.article_id  # the longer text
    assert result.membership[first.article_id].match == "revised"
    assert statement.revision_count == 1
    # the same URL on another day is not a revision in place
    assert deduplicate([first, other_day], REGISTRY).verified.get("revised") is None


def test_rule3_another_articles_body_under_one_url_stays_apart() -> None:
    url = "http://www.kcna.kp/en/article/q/0123456789abcdef.kcmsf"
    first = make("kcna-kp", greeting("Syrian"), DAY, path="a.txt", url=url)
    mixed_up = make("kcna-kp", real("Foreign Delegation Leaves").body, DAY, path="b.txt", url=url)
    result = deduplicate([first, mixed_up], REGISTRY)
    assert len(result.statements) == 2
    assert result.verified == {"url-reused": 1}


def test_rule3_a_page_revision_same_outlet_date_and_title_merges() -> None:
    # pages carry no URL: one outlet, one date, the same title, a moderately similar text
    text = greeting("Syrian")
    retranslated = (
        text.replace(*RETRANSLATED_OPENING)
        .replace(*RETRANSLATED_BELIEF)
        .replace("It sincerely wished", "The message heartily wished")
        .replace("bigger successes in their work", "greater achievements in their endeavours")
    )
    a = make("kcna-kp", text, DAY, path="a.txt", title="Kim Jong Un Sends Message to President")
    b = make(
        "kcna-kp", retranslated, DAY, path="b.txt", title="Kim Jong Un Sends Message to President"
    )
    score = verify(_features(a), _features(b), DedupConfig())
    assert score.jaccard < DedupConfig().near_threshold  # not similar enough as a copy
    assert score.match == "revised"
    assert groups([a, b]) == [["a.txt", "b.txt"]]


SHORT_EN = (
    "A delegation of the Ministry of Culture led by Minister Kim Il Guk left here by air on "
    "Monday to take part in the celebrations of World Day of Teachers. It was seen off at the "
    "airport by officials of the ministry and members of the embassy staff in Pyongyang."
)
SHORT_RETURN_EN = (
    "The delegation of the Ministry of Culture led by Minister Kim Il Guk returned home by air "
    "on Monday after taking part in the celebrations of World Day of Teachers. It was greeted at "
    "the airport by officials of the ministry."
)


def test_rule4_short_reports_a_week_apart_stay_apart() -> None:
    leaves = make(
        "kcna-kp", SHORT_EN, DAY, path="leaves.txt", title="Cultural Delegation Leaves for Moscow"
    )
    back = make(
        "kcna-kp",
        SHORT_RETURN_EN,
        date(2024, 10, 14),
        path="back.txt",
        title="Cultural Delegation Back Home from Moscow",
    )
    result = deduplicate([leaves, back], REGISTRY)
    assert groups([leaves, back]) == [["back.txt"], ["leaves.txt"]]
    assert result.verified == {"short-text": 1}


def test_rule4_a_short_copy_with_a_few_edits_merges() -> None:
    text = SHORT_EN
    edited = (
        text.replace("World Day of Teachers", "also Day of Teachers")
        .replace("by air", "by plane")
        .replace("officials of the ministry", "officials of the Ministry")
    )
    a = make("kcna-kp", text, DAY, path="a.txt", title="Delegation Leaves")
    b = make("rodong", edited, DAY, path="b.txt", title="Cultural Delegation Leaves Pyongyang")
    assert groups([a, b]) == [["a.txt", "b.txt"]]


def test_rule4_a_short_truncated_copy_with_its_title_merges() -> None:
    text = SHORT_EN
    a = make("kcna-kp", text, DAY, path="a.txt", title="Cultural Delegation Leaves")
    b = make(
        "rodong",
        text[: int(len(text) * 0.7)],
        DAY,
        path="b.txt",
        title="Cultural Delegation Leaves",
    )
    assert groups([a, b]) == [["a.txt", "b.txt"]]


def test_rule5_bodies_without_letters_are_not_copies() -> None:
    a = make("kcna-kp", "... --- ...", DAY, path="a.txt", title="Photo: Parade")
    b = make("rodong", "... --- ...", DAY, path="b.txt", title="Photo: Exhibition")
    c = make("kcna-kp", "- - -", DAY, path="c.txt", title="Video")
    same_record = copy(a, path="a-again.txt", url="https://www.kcna.kp/en/x")
    assert groups([a, b, c, same_record]) == [["a-again.txt", "a.txt"], ["b.txt"], ["c.txt"]]


def test_a_text_without_letters_is_judged_by_its_earliest_copy_in_any_row_order() -> None:
    """Copies of one comparison text where only some have letters in their bodies (a lead-in
    that the comparison drops): whether the text has letters is asked of the earliest copy
    (date, then id), so the outcome does not depend on the order of the rows (`build` gives
    dedup its rows in release order, `duplicates` in path order)."""
    lead_in = "The following is the full text of the statement:\n... --- ..."

    def both_orders(rows: list[Article]) -> list[list[str]]:
        first, second = groups(rows), groups(rows[::-1])
        assert first == second
        return first

    # the earliest copy has no letters: the two stay apart under their titles
    plain = make("kcna-kp", "... --- ...", DAY, path="b.txt", title="Photo of a parade")
    later = make(
        "rodong", lead_in, DAY + timedelta(days=1), path="a.txt", title="Photo of the parade"
    )
    assert both_orders([plain, later]) == [["a.txt"], ["b.txt"]]
    # the earliest copy has letters: one text, whose titles differ by no name or number
    earlier = make(
        "rodong", lead_in, DAY - timedelta(days=1), path="a.txt", title="Photo of the parade"
    )
    assert both_orders([plain, earlier]) == [["a.txt", "b.txt"]]
    # one date: the smaller id is the earlier copy (here the one with letters)
    same_day = make("rodong", lead_in, DAY, path="a.txt", title="Photo of the parade")
    assert same_day.article_id < plain.article_id
    assert both_orders([plain, same_day]) == [["a.txt", "b.txt"]]


# ---- Korean, Chinese, Russian -----------------------------------------------------------------

GREETING_KO = (
    "조선민주주의인민공화국 국무위원장 김정은동지께서 {country} 대통령에게 축전을 보내시였다.\n"
    "축전에서는 {country} 창건 75돐에 즈음하여 조선민주주의인민공화국 정부와 인민의 이름으로 "
    "대통령과 정부, 인민에게 열렬한 축하와 따뜻한 인사를 보낸다고 하였다.\n"
    "축전은 두 나라 사이의 전통적인 친선협조관계가 앞으로 더욱 강화발전되리라는 확신을 "
    "표명하고 대통령이 나라의 번영을 위한 사업에서 보다 큰 성과를 거둘것을 축원하였다.\n"
    "축전은 또한 두 나라 인민들이 자주와 정의를 위한 공동의 투쟁에서 언제나 굳게 손잡고 "
    "나아갈것이라고 강조하였다."
)
GREETING_ZH = (
    "朝鲜劳动党总书记、国务委员长金正恩同志向{country}总统致贺电，祝贺{country}国庆七十五周年。"
    "贺电说，值此{country}国庆之际，我谨代表朝鲜政府和人民，向总统阁下并通过您向贵国政府和"
    "人民致以热烈的祝贺和良好的祝愿。\n"
    "贺电表示，相信两国之间的传统友好合作关系将得到进一步加强和发展，祝愿总统阁下在为国家"
    "繁荣所进行的工作中取得更大成就。"
)
GREETING_RU = (
    "Председатель Госсовета КНДР Ким Чен Ын направил поздравительную телеграмму Президенту "
    "{country} по случаю 75-й годовщины основания государства.\n"
    "В телеграмме говорится, что от имени правительства и народа КНДР он тепло поздравляет "
    "Президента, правительство и народ {country}. Выражается уверенность в том, что "
    "традиционные отношения дружбы и сотрудничества между двумя странами будут и впредь "
    "укрепляться и развиваться в соответствии с требованиями новой эпохи.\n"
    "В телеграмме выражается пожелание Президенту больших успехов в работе во имя "
    "процветания страны и благополучия народа."
)


def test_rule5_korean_greetings_to_two_countries_stay_apart_and_copies_merge() -> None:
    cuba = make(
        "kcna-kp-ko",
        GREETING_KO.format(country="꾸바공화국"),
        DAY,
        path="ko-cuba.txt",
        title="김정은동지께서 꾸바공화국 대통령에게 축전",
    )
    vietnam = make(
        "kcna-kp-ko",
        GREETING_KO.format(country="윁남사회주의공화국"),
        DAY,
        path="ko-vietnam.txt",
        title="김정은동지께서 윁남사회주의공화국 대통령에게 축전",
    )
    # Rodong's copy: a particle changed, a word added, a paragraph joined
    reprint = (
        GREETING_KO.format(country="꾸바공화국")
        .replace("대통령에게 축전을", "대통령께 축전을")
        .replace("보다 큰 성과를", "보다 큰 새로운 성과를")
        .replace("하였다.\n축전은 두", "하였다. 축전은 두")
    )
    copy_ = make(
        "rodong-ko", reprint, DAY, path="ko-cuba-rodong.txt", title="꾸바공화국 대통령에게 축전"
    )
    assert groups([cuba, vietnam, copy_]) == [
        ["ko-cuba-rodong.txt", "ko-cuba.txt"],
        ["ko-vietnam.txt"],
    ]


def test_rule5_chinese_greetings_to_two_countries_stay_apart_and_copies_merge() -> None:
    cuba = make(
        "kcna-kp-zh",
        GREETING_ZH.format(country="古巴"),
        DAY,
        path="zh-cuba.txt",
        title="金正恩同志向古巴总统致贺电",
    )
    laos = make(
        "kcna-kp-zh",
        GREETING_ZH.format(country="老挝"),
        DAY,
        path="zh-laos.txt",
        title="金正恩同志向老挝总统致贺电",
    )
    truncated = GREETING_ZH.format(country="古巴").split("\n")[0]  # the first paragraph, 60%
    copy_ = make(
        "kcna-kp-zh", truncated, DAY, path="zh-cuba-page.txt", title="金正恩同志向古巴总统致贺电"
    )
    assert groups([cuba, laos, copy_]) == [["zh-cuba-page.txt", "zh-cuba.txt"], ["zh-laos.txt"]]
    # characters are the tokens: the substitution is found there
    score = verify(_features(cuba), _features(laos), DedupConfig())
    # three places in the body, one in the title
    assert score.substitutions == (("古 巴", "老 挝"),) * 4


def test_rule5_russian_greetings_to_two_countries_stay_apart_and_copies_merge() -> None:
    cuba = make(
        "kcna-kp-ru",
        GREETING_RU.format(country="Кубы"),
        DAY,
        path="ru-cuba.txt",
        title="Поздравительная телеграмма Президенту Кубы",
    )
    laos = make(
        "kcna-kp-ru",
        GREETING_RU.format(country="Лаоса"),
        DAY,
        path="ru-laos.txt",
        title="Поздравительная телеграмма Президенту Лаоса",
    )
    edited = GREETING_RU.format(country="Кубы").replace("тепло поздравляет", "сердечно поздравляет")
    edited = edited.replace(
        "Председатель Госсовета КНДР Ким Чен Ын", "Уважаемый товарищ Ким Чен Ын"
    )
    copy_ = make(
        "kcna-kp-ru", edited, DAY, path="ru-cuba-2.txt", title="Телеграмма Президенту Кубы"
    )
    assert groups([cuba, laos, copy_]) == [["ru-cuba-2.txt", "ru-cuba.txt"], ["ru-laos.txt"]]


def test_rule5_a_record_in_another_language_is_detected() -> None:
    assert detected_language(GREETING_KO) == "ko"
    assert detected_language(GREETING_ZH) == "zh"
    assert detected_language(GREETING_RU) == "ru"
    assert detected_language(greeting("Syrian")) == "en"
    assert detected_language("El presidente de la República y los ministros del gobierno") == "es"
    assert detected_language("... ---") is None


def test_rule5_an_outlet_is_told_its_text_is_in_another_language() -> None:
    english, spanish = (
        greeting("Syrian"),
        "El presidente de la República y los ministros del gobierno",
    )
    # English with a few Spanish words (` y `, ` con `) is still English; fewer than three
    # common words of either tells nothing
    english_y = "Kim y Kim met with the delegation of the party and the state con la gente."
    japanese = "朝鮮民主主義人民共和国の金正恩国務委員長は、シリアの大統領に祝電を送った。"
    cases = {
        (english, "en"): None,
        (english, "es"): "en",
        (english, "ko"): "en",
        (english, "fr"): None,  # a language this cannot tell
        (english_y, "en"): None,
        (english_y, "es"): "en",
        (english + " y los del", "en"): None,  # three Spanish words among many English ones
        (spanish, "en"): "es",
        (spanish, "es"): None,
        ("Kim y Kim con la del que", "en"): "es",
        ("Kim y Kim con the del", "en"): "es",  # es 3 against en 1
        ("the y of los", "en"): None,  # 2 and 2: English
        ("the of y los", "es"): "en",  # the same tie, told to a Spanish outlet
        ("the of y", "es"): "en",  # 2 against 1: three words are enough
        ("the of", "es"): None,  # two are not
        ("the", "es"): None,
        ("y los del the", "es"): None,  # 3 against 1: Spanish
        ("the y los", "en"): "es",
        ("y los", "en"): None,  # too few to tell
        ("y los", "ko"): None,
        ("The delegation of Korea and the 한국 party", "ko"): "en",  # Latin letters outnumber
        (GREETING_KO, "en"): "ko",
        (GREETING_KO, "ko"): None,
        (GREETING_ZH, "ja"): None,  # kanji-only passages of a Japanese outlet
        (GREETING_ZH, "en"): "zh",
        (japanese, "en"): "ja",
        (japanese, "zh"): "ja",
        (japanese, "ja"): None,
        (GREETING_RU, "ru"): None,
        (GREETING_RU, "es"): "ru",
        ("", "en"): None,
    }
    found = {case: language_mismatch(*case) for case in cases}
    assert found == cases


# ---- Rule 6: bounded cost ---------------------------------------------------------------------


def test_rule6_a_crowd_of_one_template_costs_near_linear_pairs() -> None:
    """600 texts of one template on one date, each with another number: every pair would be a
    candidate (179,700); the crowd is split by names and numbers, none is merged."""
    base = greeting("Syrian")
    crowd = [
        make("kcna-kp", base.replace("October 7", f"October 7, item {k}"), DAY, path=f"{k}.txt")
        for k in range(600)
    ]
    twin = copy(crowd[5], source="rodong", path="5-rodong.txt")  # one real copy among them
    result = deduplicate([*crowd, twin], REGISTRY)
    assert len(result.statements) == 600
    assert result.membership[twin.article_id].statement_id == (
        result.membership[crowd[5].article_id].statement_id
    )
    config = DedupConfig()
    sketches = sketch_bodies([a.body for a in crowd], config)
    rows = list(range(600))
    bounded = candidate_pairs(
        sketches.bands, rows, [], config, lambda r: [crowd[i].body for i in r]
    )
    unbounded = candidate_pairs(
        sketches.bands, rows, [], replace(config, crowd_size=1000), lambda r: []
    )
    assert len(unbounded) == 600 * 599 // 2
    assert len(bounded) < 600  # near linear: what the split leaves together
    assert result.candidates == len(bounded)
    # the crowd's keys computed by the map given (a pool's in a build): the same pairs
    mapped: list[int] = []

    def pool_map(fn: Any, items: Any) -> list[Any]:
        items = list(items)
        mapped.append(len(items))
        return [fn(x) for x in reversed(items)][::-1]

    through_map = candidate_pairs(
        sketches.bands, rows, [], config, lambda r: [crowd[i].body for i in r], pool_map
    )
    assert np.array_equal(through_map, bounded)
    assert sum(mapped) == 600  # each text's key once, whatever the bands that crowd it


def test_alignment_is_bounded_on_repetitive_text() -> None:
    a = ["the", "and"] * 20_000
    b = ["and", "the"] * 20_000
    ops = opcodes(a, b)  # difflib without autojunk would take minutes here
    assert ops[0][0] in ("insert", "delete", "replace", "equal")
    assert sum(i2 - i1 for tag, i1, i2, _, _ in ops if tag != "insert") == len(a)


def _features(a: Any) -> Any:
    return unit_features(a.body, a.title, a.published_date, a.source, DedupConfig().shingle_size)


def test_rule1_real_retranslations_merge_without_their_url() -> None:
    """The four real revisions in raw/ (one URL, two texts) as pages would carry them: no URL.
    Their substituted-looking places are other forms of one name: `Party`/`WPK` (WPK spelled
    out in the text), `Republic's`/`DPRK`, `Marshal`/`Kim Jong Un` (both in both texts),
    `Economic`/`Economy`."""
    by_url: dict[str, list[Article]] = {}
    for a in SHIPPED:
        by_url.setdefault(f"{a.url} {a.published_date}", []).append(a)
    revisions = [
        sorted(v, key=lambda a: a.raw_path)
        for v in by_url.values()
        if len({a.body for a in v}) == 2 and v[0].url is not None
    ]
    assert len(revisions) == 4
    pages = [[replace(a, url=None) for a in pair] for pair in revisions]
    # one distinct body of each version is enough: exact twins only repeat it
    firsts = [
        [next(a for a in pair if a.body == body) for body in {a.body for a in pair}]
        for pair in pages
    ]
    result = deduplicate([a for pair in firsts for a in pair], REGISTRY)
    assert len(result.statements) == 4
    assert sorted(m.match or "canonical" for m in result.membership.values()) == [
        "canonical", "canonical", "canonical", "canonical", "near", "near", "near", "near",
    ]  # fmt: skip


def test_rule1_other_forms_of_one_name() -> None:
    x = text_tokens("The Workers' Party of Korea met. The WPK said.")
    aliases = _aliases(x, text_tokens("The Party said."))
    assert aliases["wpk"] == {"workers", "party", "korea"}
    assert _equivalent("party", "wpk", aliases)
    assert _equivalent("republic", "dprk", aliases)
    assert _equivalent("economy", "economic", aliases)
    assert _equivalent("syria", "syrian", aliases) and _equivalent("lao", "laos", aliases)
    assert _equivalent("month:10", "10", aliases)
    assert not _equivalent("austria", "australia", aliases)
    assert not _equivalent("iran", "iraq", aliases)
    assert not _equivalent("syrian", "lao", aliases)


def test_rule1_digits_glued_to_a_word_are_two_tokens() -> None:
    # the sites' markup glues footnote digits to names; a number keeps its ordinal or unit
    assert text_tokens("the 4Kim Jong Un, 240mm, 8th and MiG29").tokens == (
        "the", "4", "kim", "jong", "un", "240", "8", "and", "mig", "29",
    )  # fmt: skip


def test_rule2_a_chinese_name_sharing_a_character_is_a_substitution() -> None:
    mongolia = make("kcna-kp-zh", GREETING_ZH.format(country="蒙古"), DAY, path="mn.txt",
                    title="金正恩同志向蒙古总统致贺电")  # fmt: skip
    cuba = make("kcna-kp-zh", GREETING_ZH.format(country="古巴"), DAY, path="cu.txt",
                title="金正恩同志向古巴总统致贺电")  # fmt: skip
    assert groups([mongolia, cuba]) == [["cu.txt"], ["mn.txt"]]


def test_rule4_a_short_truncated_copy_with_edits_measured_by_alignment() -> None:
    """A 45-word text cut to 25 words with two edited words: the edits spoil six of its
    shingles (containment below 0.8); the alignment still finds 23 of its 25 words in the
    longer text."""
    words = SHORT_EN.split(" ")[:25]
    words[1], words[20] = "group", "have"
    cut = " ".join(words)
    a = make("kcna-kp", SHORT_EN, DAY, path="a.txt", title="Cultural Delegation Leaves")
    b = make("mfa", cut, DAY, path="b.txt", title="Cultural Delegation Leaves")  # rule 4
    score = verify(_features(b), _features(a), DedupConfig())
    assert score.containment < DedupConfig().containment_threshold
    assert score.match == "contained"
    assert groups([a, b]) == [["a.txt", "b.txt"]]


# ---- attacks on the rules (an independent review's reproducers) --------------------------------

FILL = (
    "\nThe two sides exchanged views on the expansion of exchange and cooperation in various "
    "fields including the economy, culture and education, and on the regional situation."
)


def _pair(x: str, y: str, **kw: str) -> list[list[str]]:
    a = make("kcna-kp", x + FILL, DAY, path="a.txt", **kw)
    b = make("rodong", y + FILL, DAY, path="b.txt", **kw)
    return groups([a, b])


APART = [["a.txt"], ["b.txt"]]
TOGETHER = [["a.txt", "b.txt"]]


def test_numbers_are_exact_and_names_keep_their_endings_apart() -> None:
    ship = "The DPRK supplied {} tons of fertilizer to the farms of the region last year."
    assert _pair(ship.format("1,000"), ship.format("10,000")) == APART
    assert _pair(ship.format("100"), ship.format("1000")) == APART
    niger = "It sent a message to the president of {} on the national day of the country."
    assert _pair(niger.format("Niger"), niger.format("Nigeria")) == APART
    assert _pair(niger.format("Malay"), niger.format("Malaysia")) == APART
    assert _pair(niger.format("Syria"), niger.format("Syrian Arab Republic")) == TOGETHER


def test_one_character_substitutions_in_scripts_without_case() -> None:
    ko = "조선로동당 총비서이신 {} 동지께서 현지지도하시였다. 인민들은 열렬히 환영하였다."
    assert _pair(ko.format("김정은"), ko.format("김정일")) == APART
    zh = "{}政府代表团应邀访问朝鲜，双方就发展两国关系交换了意见。"
    assert _pair(zh.format("中国"), zh.format("泰国")) == APART
    ja = "{}の代表団が平壌に到着した。代表団は各地を参観する予定である。"
    assert _pair(ja.format("イラン"), ja.format("イラク")) == APART
    # a particle for another is an edit
    assert _pair(ko.format("김정은"), ko.format("김정은").replace("동지께서", "동지가")) == TOGETHER


def test_a_name_phrase_is_one_name() -> None:
    """`Kim Jong Il` for `Kim Jong Un`, though `Il` occurs in `Kim Il Sung` in both."""
    text = "A floral basket in the name of {} was laid before the statue of President Kim Il Sung."
    assert _pair(text.format("Kim Jong Un"), text.format("Kim Jong Il")) == APART


def test_names_or_numbers_the_other_way_round_are_a_substitution() -> None:
    sent = "{} sent a message of greeting to {} on the occasion of the anniversary."
    x = sent.format("Kim Jong Un", "Vladimir Putin")
    y = sent.format("Vladimir Putin", "Kim Jong Un")
    assert _pair(x, y) == APART
    medals = "The team won {} gold and {} silver medals at the international championships."
    assert _pair(medals.format(3, 5), medals.format(5, 3)) == APART


def test_a_text_in_capitals_still_shows_its_substituted_name() -> None:
    a = make("kcna-kp", greeting("Syrian").upper(), DAY, path="a.txt")
    b = make("rodong", greeting("Lao"), DAY, path="b.txt")
    assert groups([a, b]) == APART


def test_a_substitution_under_one_url_is_a_scraper_mix_up() -> None:
    url = "http://www.kcna.kp/en/article/q/0123456789abcdef.kcmsf"
    a = make("kcna-kp", greeting("Syrian"), DAY, path="a.txt", url=url)
    b = make("kcna-kp", greeting("Lao"), DAY, path="b.txt", url=url)
    result = deduplicate([a, b], REGISTRY)
    assert groups([a, b]) == APART
    assert result.verified == {"url-reused": 1}


def test_a_revision_does_not_let_in_a_copy_that_conflicts_with_the_canonical_copy() -> None:
    url = "http://www.kcna.kp/en/article/q/0123456789abcdef.kcmsf"
    a = make("kcna-kp", greeting("Syrian"), DAY, path="a.txt", url=url)
    revision = greeting("Syrian").replace("to the Syrian people, who", "to the people, who")
    revision = revision.replace("Syrian president", "president")
    b = make("kcna-kp", revision, DAY, path="b.txt", url=url)
    c = make("rodong", greeting("Lao"), DAY, path="c.txt")
    assert groups([a, b, c]) == [["a.txt", "b.txt"], ["c.txt"]]


def test_rule1_compound_numbers_acronym_possessives_and_juche_years() -> None:
    day = "It marked the {} anniversary of the founding of the {} on a grand scale this year."
    assert _pair(day.format("twenty-first", "KPA"), day.format("21st", "KPA")) == TOGETHER
    army = "The {} units displayed their might at the parade in the capital city of Pyongyang."
    assert _pair(army.format("KPA's"), army.format("Korean People's Army's")) == TOGETHER
    year = "The congress held in Juche {} reviewed the work of the year in all fields."
    assert _pair(year.format(113), year.format(2024)) == TOGETHER


def test_url_keys_in_arrow_are_url_key_in_python() -> None:
    """The build makes URL keys in Arrow, --explain in Python: one pattern, the same keys."""
    import pyarrow as arrow

    from kcna_dataset.stages.dedup.candidates import url_key, url_keys

    urls = [
        "http://www.kcna.kp/en/article/q/0123.kcmsf",
        "https://WWW.KCNA.kp/en/article/q/0123.kcmsf/",
        " kcna.kp/en/article/q/0123.kcmsf#top",
        "http://rodong.rep.kp/ko/index.php?MTVAMjAyNEAx",
        "http://[::1/x",
    ]
    keys = url_keys(
        arrow.chunked_array([["kcna-kp"] * len(urls)]),
        arrow.chunked_array([[DAY] * len(urls)]),
        arrow.chunked_array([urls]),
    ).to_pylist()
    assert keys == [url_key("kcna-kp", DAY, u) for u in urls]
    assert keys[:3] == ["kcna-kp 2024-10-07 kcna.kp/en/article/q/0123.kcmsf"] * 3


def test_rule3_a_revision_in_place_merges_the_copies_of_both_versions() -> None:
    """Each version of a revised article has a copy saved as a page (no URL) that ranks first
    (longer): the two statements the copies started are one article, joined by the URL."""
    url = "http://www.kcna.kp/en/article/q/fedcba9876543210.kcmsf"
    v1_text = greeting("Syrian")
    v2_text = (
        v1_text.replace(*RETRANSLATED_OPENING)
        .replace(*RETRANSLATED_BELIEF)
        .replace(
            "It sincerely wished the president and the friendly people bigger successes in "
            "their work for the peace and prosperity of the country, and good health and "
            "happiness to the president",
            "The message heartily hoped that the head of state and the fraternal nation would "
            "reap ever larger fruits in their efforts for a peaceful and thriving homeland, and "
            "wished him sound health and a happy life",
        )
    )
    v1 = make("kcna-kp", v1_text, DAY, path="v1.txt", url=url, title="Message to Syria")
    v2 = make("kcna-kp", v2_text, DAY, path="v2.txt", url=url, title="Greetings to Syrian Leader")
    v1_page = make("kcna-kp", v1_text + " (end)", DAY, path="v1-page.txt", title="Message to Syria")
    v2_page = make(
        "kcna-kp",
        v2_text + " The message was sent on the day.",
        DAY,
        path="v2-page.txt",
        title="Greetings to Syrian Leader",
    )
    articles = [v1, v2, v1_page, v2_page]
    assert groups(articles) == [["v1-page.txt", "v1.txt", "v2-page.txt", "v2.txt"]]
    result = deduplicate(articles, REGISTRY)
    assert result.verified["versions-merged"] == 1
    assert result.membership[v1.article_id].match == "revised" or (
        result.membership[v2.article_id].match == "revised"
    )
    # another outlet's copy of a sibling greeting (another country) is not let in by the URL
    lao = make("rodong", greeting("Lao") + " (end)", DAY, path="lao.txt", title="Message to Laos")
    assert ["lao.txt"] in groups([*articles, lao])


def test_rule2_a_number_where_the_other_has_a_name_is_a_substitution() -> None:
    """`The 8th Plenary Meeting` / `The Enlarged Plenary Meeting`, `the Chongnyon Hotel` /
    `the April 25 Hotel`: a number standing where the other text has a name (or the other way
    round) separates two statements as a name for a name does."""
    report = (
        "The {m} Plenary Meeting of the 8th Central Committee of the Workers' Party of Korea was "
        "held in Pyongyang on October 7. Kim Jong Un, general secretary of the WPK, guided the "
        "meeting. The meeting reviewed the implementation of the decisions on the economic work "
        "of this year and discussed the tasks for improving the living standards of the people. "
        "It adopted a resolution on the matter after a thorough examination of the reports made "
        "by the departments concerned, and the participants pledged to carry out the tasks set "
        "forth at the meeting without fail, with a firm resolve to fulfil the goals of the "
        "five-year plan by all means."
    )
    title = "Plenary Meeting of WPK Central Committee Held"
    a = make("kcna-kp", report.format(m="8th"), DAY, path="eighth.txt", title=title)
    b = make("rodong", report.format(m="Enlarged"), DAY, path="enlarged.txt", title=title)
    assert verify(_features(a), _features(b), DedupConfig()).substitutions == (
        ("8th", "Enlarged Plenary"),
    )
    assert groups([a, b]) == [["eighth.txt"], ["enlarged.txt"]]
    reception = "\nA reception was given at the {} Hotel on the occasion."
    c = make("kcna-kp", greeting("Syrian") + reception.format("Chongnyon"), DAY, path="c.txt")
    d = make("rodong", greeting("Syrian") + reception.format("April 25"), DAY, path="d.txt")
    assert groups([c, d]) == [["c.txt"], ["d.txt"]]


V2_HEAVY = (
    "Kim Jong Un, general secretary of the WPK and president of the State Affairs of the DPRK, "
    "on October 7 greeted the Syrian president in a message.\n"
    "Marking the national day, the message said, the Korean people cordially felicitate the "
    "Syrian people, which has scored big feats in its fight for the independence of the land "
    "and a thriving homeland.\n"
    "It voiced confidence that the time-honoured ties of amity and collaboration between both "
    "nations, born in their shared fight against imperialism and for independence, will be "
    "further cemented as the new age demands.\n"
    "It hoped the president and the fraternal people would reap ever larger fruits for a "
    "peaceful and thriving homeland, wished him sound health and a happy life, and stated that "
    "the Workers' Party of Korea and the government of the DPRK will invariably side with their "
    "friends in a just struggle."
)


def test_rule3_a_revision_sharing_little_text_still_joins_the_other_versions_statement() -> None:
    """The later version shares too little with the first version's page copy to bridge to it
    as a copy (Jaccard < bridge_floor): the URL says it is that article, and no substitution
    or date parts them, so both versions' statements are one."""
    url = "http://www.kcna.kp/en/article/q/fedcba9876543210.kcmsf"
    v1_text = greeting("Syrian")
    v1 = make("kcna-kp", v1_text, DAY, path="v1.txt", url=url, title="Message to Syria")
    v2 = make("kcna-kp", V2_HEAVY, DAY, path="v2.txt", url=url, title="Greetings to Syrian Leader")
    v1_page = make("kcna-kp", v1_text + " (end)", DAY, path="v1-page.txt", title="Message to Syria")
    v2_page = make(
        "kcna-kp",
        V2_HEAVY + " The message was sent on the day, and it was read out.",
        DAY,
        path="v2-page.txt",
        title="Greetings to Syrian Leader",
    )
    score = verify(_features(v1), _features(v2), DedupConfig(), same_url=True)
    assert score.match == "revised" and score.jaccard < DedupConfig().bridge_floor
    articles = [v1, v2, v1_page, v2_page]
    assert groups(articles) == [["v1-page.txt", "v1.txt", "v2-page.txt", "v2.txt"]]
    result = deduplicate(articles, REGISTRY)
    assert result.verified["versions-merged"] == 1
    assert result.membership[v2.article_id].match == "revised"
    # a day later the same URL is no revision in place: the four are two statements
    later = [
        v1,
        copy(v2, days=1, path="v2.txt", url=url),
        v1_page,
        copy(v2_page, days=1, path="v2-page.txt"),
    ]
    assert groups(later) == [["v1-page.txt", "v1.txt"], ["v2-page.txt", "v2.txt"]]


def test_rule3_a_short_copy_of_the_revision_joins_through_it() -> None:
    """A short truncated copy of the second version: near-identical to that version (same
    title, its opening), but rule 4 finds too little in common with the first version, the
    canonical copy. The revision is the same article: only a substitution or the window
    would keep the copy out."""
    url = "http://www.kcna.kp/en/article/q/00ff00ff00ff00ff.kcmsf"
    v1 = make("kcna-kp", greeting("Syrian"), DAY, path="v1.txt", url=url, title="Message to Syria")
    v2_title = "Kim Jong Un Greets Syrian President"
    v2_text = greeting("Syrian").replace(*RETRANSLATED_OPENING)
    v2 = make("kcna-kp", v2_text, DAY, path="v2.txt", url=url, title=v2_title)
    opening = " ".join(v2_text.split(" ")[:80]) + "."
    short = make("rodong", opening, DAY, path="short.txt", title=v2_title)
    assert verify(_features(v1), _features(short), DedupConfig()).conflict_kind == "short-text"
    assert verify(_features(v2), _features(short), DedupConfig()).match == "contained"
    result = deduplicate([v1, v2, short], REGISTRY)
    assert groups([v1, v2, short]) == [["short.txt", "v1.txt", "v2.txt"]]
    assert result.membership[short.article_id].match == "contained"


# (from an independent review) two press statements of one day sharing their first paragraph
FM_OPEN = (
    "A spokesperson for the DPRK Foreign Ministry issued a press statement on October 7 in "
    "connection with the reckless moves of the U.S. and its followers, which are getting ever"
    " more undisguised with each passing day and are pushing the situation of the region to "
    "an extremely dangerous phase, the press statement said, noting that the DPRK has "
    "repeatedly warned against such moves and that the international community is following "
    "them with deep concern. The spokesperson recalled that the country has always made every"
    " possible effort to ease the tension and to preserve peace and stability, and that its "
    "good faith has been answered only with pressure and threats.\n"
)
FM_SANCTIONS = (
    "The U.S. has recently slapped new sanctions on a number of individuals and trading "
    "companies, claiming that they helped the DPRK earn foreign currency in an illegal way. "
    "This is a product of the inveterate hostile policy pursued by the U.S. to strangle the "
    "economy of the country and make its people suffer, and it will never be tolerated. "
    "Sanctions have never worked and will never work, however desperately the U.S. may cling "
    "to them, and the people have grown stronger under the harshest blockade in history, "
    "turning every trial into a chance for a new leap forward. Those who still pin hope on "
    "such pressure had better understand that their calculation is wrong from start to "
    "finish, and that the way to peace lies in respect for sovereignty and nowhere else, the "
    "spokesperson said."
)
FM_DRILLS = (
    "The U.S. has recently staged large-scale joint military drills near the waters off the "
    "peninsula, mobilizing aircraft carriers, nuclear submarines and strategic bombers in an "
    "unprecedented way. This is a dangerous provocation simulating a preemptive attack on the"
    " country, and it seriously threatens the security environment of the region. Such drills"
    " only raise the tension to the brink of war, and the army is fully ready to counter any "
    "attempt at aggression with overwhelming force, whatever form it may take and wherever it"
    " may come from. The spokesperson warned that every one of those who take part in the "
    "drills will be held to account, and that the region does not need aircraft carriers and "
    "bombers but an end to the policy of confrontation, the spokesperson said."
)


def test_rule3_a_truncated_capture_under_one_url_does_not_merge_two_statements() -> None:
    """kcna.kp's second capture of a URL holds only the opening of the text, which a second
    statement of that day shares: it joins its URL's statement, and merges nothing (its match
    to the other statement is a truncation, no evidence that the two are one article)."""
    url = "http://www.kcna.kp/en/article/q/1111aaaa2222bbbb.kcmsf"
    sanctions, drills = FM_OPEN + FM_SANCTIONS, FM_OPEN + FM_DRILLS
    title_p, title_q = (
        "FM Spokesperson Denounces New Sanctions",
        "FM Spokesperson Warns against War Drills",
    )
    p_page = make("kcna-kp", sanctions + " (end)", DAY, path="p_page.txt", title=title_p)
    q_page = make("kcna-kp", drills + " (end)", DAY, path="q_page.txt", title=title_q)
    first = make("kcna-kp", sanctions, DAY, path="r1.jsonl", url=url, title=title_p)
    opening = FM_OPEN + " ".join(FM_SANCTIONS.split()[:8])
    second = make("kcna-kp", opening, DAY, path="r2.jsonl", url=url, title=title_p)
    result = deduplicate([first, second, p_page, q_page], REGISTRY)
    assert groups([first, second, p_page, q_page]) == [
        ["p_page.txt", "r1.jsonl", "r2.jsonl"],
        ["q_page.txt"],
    ]
    assert "versions-merged" not in result.verified
