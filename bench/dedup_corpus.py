"""A labelled dedup corpus made from the real texts in raw/, with ground truth.

Every real statement becomes one cluster (the real revisions in place, one URL with two texts,
are labelled by their URL). Copies are added with the transformations outlets apply (each a
`case`), and hard negatives are added that must stay apart. The transformations are written
from what outlets do (reprints, retranslations, truncations, templates), not from the rules of
kcna_dataset/stages/dedup/verify.py: a case is a way the data arrives, whatever rule decides it.
Pairwise precision / recall / F1 are computed against the labels, overall and per case.

    from bench.dedup_corpus import generate, pairwise_scores
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from bench.multiscript_texts import COUNTRIES, GREETINGS, REPORTS, SOURCES
from kcna_dataset.records import Article, article_id_for
from kcna_dataset.sources import SourceRegistry
from kcna_dataset.stages.dedup import match_key
from kcna_dataset.validate import validate_paths

RAW = Path(__file__).resolve().parent.parent / "raw"

MERGE_CASES = (
    "recapture",
    "conventions",
    "byline",
    "lead-in",
    "quotes",
    "dprk-expanded",
    "case",
    "paragraphs",
    "edited-words",
    "reworded-title",
    "truncated",
    "days-apart",
    "cross-source",
    "revision-url",
    "rewritten",
    "page-revision",
    "short-edited",
    "truncated-edited",
    "ko-copy",
    "zh-copy",
    "ru-copy",
)
NEGATIVE_CASES = (
    "template",
    "template-one-name",
    "daily-series",
    "same-day-statements",
    "reprint-after-window",
    "departure-return",
    "ko-template",
    "zh-template",
    "ru-template",
    "no-letters",
)

_FUNCTION_WORDS = [
    "the",
    "a",
    "an",
    "of",
    "and",
    "to",
    "in",
    "on",
    "for",
    "with",
    "by",
    "at",
    "from",
    "as",
    "is",
    "was",
    "were",
    "be",
    "that",
    "this",
    "which",
    "who",
    "its",
    "it",
    "their",
    "his",
    "her",
    "they",
    "we",
    "our",
]
# number words, ordinals, months and weekdays: an edit that writes one where the text had
# another changes a date or a number, which by the rules (docs/DEDUP.md, rule 2) is another
# statement, so the copies of a "same statement" case never edit them (the generator's own
# list, not the tool's)
_NUMBER_WORDS = (  # split below
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred thousand million billion first second third fourth fifth sixth seventh eighth "
    "ninth tenth eleventh twelfth twentieth thirtieth hundredth thousandth once twice "
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday"
)
_STOP = frozenset([*_FUNCTION_WORDS, *_NUMBER_WORDS.split()])
_SOURCES = ("kcna-jp", "mfa", "rodong", "naenara", "pyongyang-times", "voice-of-korea")
_BYLINES = ("Rodong Sinmun", "Political News Team", "Rodong News Team", "Kim Myong Chol")
_LEAD_INS = ("The following is the full text of the statement:", "The full text of the article:")
_COUNTRIES = (
    "Syria",
    "Laos",
    "Cuba",
    "Vietnam",
    "Nigeria",
    "Mongolia",
    "Belarus",
    "Iran",
    "Nicaragua",
    "Venezuela",
    "Cambodia",
    "Indonesia",
    "Egypt",
    "Angola",
    "Uganda",
)
_PEOPLE = (
    "Fayssal Mekdad",
    "Thongloun Sisoulith",
    "Miguel Diaz-Canel",
    "To Lam",
    "Bola Tinubu",
    "Ukhnaagiin Khurelsukh",
    "Alexander Lukashenko",
    "Daniel Ortega",
    "Nicolas Maduro",
    "Hun Manet",
    "Joko Widodo",
    "Abdel Fattah al-Sisi",
)


@dataclass(frozen=True, slots=True)
class Labelled:
    article: Article
    cluster: str
    case: str


def _with(
    a: Article,
    *,
    source: str | None = None,
    body: str | None = None,
    title: str | None = None,
    days: int = 0,
    tag: str,
    url: str | None = "",
) -> Article:
    source = source or a.source
    published = a.published_date + timedelta(days=days)
    title = title or a.title
    body = body if body is not None else a.body
    if url == "":  # another copy: a URL of its own
        url = f"https://example.org/{source}/{tag}"
    return replace(
        a,
        article_id=article_id_for(source, url, title, published, None, None, body),
        source=source,
        source_label=source,
        title=title,
        published_date=published,
        body=body,
        url=url,
        raw_path=f"generated/{tag}",
        listed_date=None,
    )


def _edit_words(body: str, rng: random.Random, n: int, vocabulary: Sequence[str]) -> str:
    words = body.split(" ")
    slots = [i for i, w in enumerate(words) if w.isalpha() and w.islower() and w not in _STOP]
    for i in rng.sample(slots, min(n, len(slots))):
        words[i] = rng.choice(vocabulary)
    return " ".join(words)


def _truncate(body: str, rng: random.Random) -> str:
    words = body.split(" ")
    keep = max(1, int(len(words) * rng.uniform(0.5, 0.9)))
    return " ".join(words[:keep]).rstrip(",;:") + "."


def _paragraphs(body: str, rng: random.Random) -> str:
    paras = body.split("\n")
    if len(paras) > 1 and rng.random() < 0.5:  # merge two
        i = rng.randrange(len(paras) - 1)
        paras[i : i + 2] = [paras[i] + " " + paras[i + 1]]
    else:  # split one at a sentence end
        i = max(range(len(paras)), key=lambda k: len(paras[k]))
        parts = re.split(r"(?<=\.) ", paras[i], maxsplit=1)
        paras[i : i + 1] = parts
    return "\n".join(paras)


def _case(body: str, rng: random.Random) -> str:
    words = body.split(" ")
    for i in rng.sample(range(len(words)), max(1, len(words) // 20)):
        words[i] = words[i].upper() if rng.random() < 0.5 else words[i].lower()
    return " ".join(words)


# Wording a retranslation changes (each pair seen between revised kcna.kp texts or between
# outlets' translations of one statement), applied in either direction.
_REWORDINGS = (
    ("congratulations", "greetings"),
    ("weapons-grade", "weapon-grade"),
    ("splendour", "splendor"),
    ("took place", "was held"),
    ("courageous", "vigorous"),
    ("stressed", "underscored"),
    ("noted", "pointed out"),
    ("expressed", "voiced"),
    ("firmly", "resolutely"),
    ("great", "big"),
    ("important", "significant"),
    ("further", "more"),
    ("strengthen", "consolidate"),
    ("development", "progress"),
    ("people", "masses"),
    ("officials", "functionaries"),
    ("said", "stated"),
    ("also", "besides"),
    ("successes", "achievements"),
    ("struggle", "fight"),
)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip


def _same_thing_another_way(body: str, rng: random.Random) -> str:
    """What a retranslation writes another way: month abbreviations, the Party's name spelled
    out, an honorific, a weekday beside a date, an ordinal in words."""
    for month in _MONTHS[:4] + _MONTHS[7:]:
        if rng.random() < 0.7:
            body = re.sub(rf"\b{month} (\d)", f"{month[:3]}. \\1", body)
    if rng.random() < 0.7:
        body = body.replace("WPK", "Workers' Party of Korea", 1)
    if rng.random() < 0.5:
        body = body.replace("Kim Jong Un", "the respected Comrade Kim Jong Un", 1)
    if rng.random() < 0.5:
        body = re.sub(r"\bon (\w+\.? \d{1,2})\b", r"on Monday, \1", body, count=1)
    if rng.random() < 0.5:
        body = re.sub(r"\b8th\b", "eighth", body)
    return body


def _retranslate(body: str, rng: random.Random, share: float) -> str:
    """A revised translation: the rewordings above and `share` of the remaining lower-case
    words swapped for near-synonyms (another word of the text), paragraphs re-cut."""
    body = _same_thing_another_way(body, rng)
    for old, new in _REWORDINGS:
        if rng.random() < 0.6:
            body = body.replace(old, new) if rng.random() < 0.5 else body.replace(new, old)
    words = body.split(" ")
    plain = [i for i, w in enumerate(words) if w.isalpha() and w.islower() and w not in _STOP]
    pool = [words[i] for i in plain]
    for i in rng.sample(plain, int(len(plain) * share)):
        words[i] = rng.choice(pool)
    return _paragraphs(" ".join(words), rng)


def _edits_with_a_dropped_name(body: str, rng: random.Random, vocabulary: Sequence[str]) -> str:
    """About one edited word in 30 (three or four in 100), one of them a capitalised word
    (`World Day` -> `also Day`)."""
    words = body.split(" ")
    caps = [i for i, w in enumerate(words[1:], 1) if w[:1].isupper() and w.isalpha()]
    if caps:
        words[rng.choice(caps)] = "also"
    more = max(0, round(len(words) / 30) - 1)
    return _edit_words(" ".join(words), rng, more, vocabulary) if more else " ".join(words)


def copy_for(
    case: str, a: Article, rng: random.Random, vocabulary: Sequence[str], tag: str
) -> Article:
    """One copy of `a` that differs from it as `case` says."""
    other = rng.choice(_SOURCES)
    match case:
        case "recapture":
            return _with(a, tag=tag)
        case "conventions":  # dateline, end mark and stamp went into fields; copy has none
            return replace(
                _with(a, source=other, tag=tag), dateline=None, end_mark=False, stamp=None
            )
        case "byline":
            return _with(a, source="rodong", body=a.body + "\n" + rng.choice(_BYLINES), tag=tag)
        case "lead-in":
            return _with(a, source="mfa", body=rng.choice(_LEAD_INS) + "\n" + a.body, tag=tag)
        case "quotes":
            curly = re.sub(r'"([^"]*)"', "“\\1”", a.body).replace("'", "’")
            return _with(a, source=other, body=curly, tag=tag)
        case "dprk-expanded":
            body = re.sub(
                r"\bDPRK\b", "Democratic People’s Republic of Korea (DPRK)", a.body, count=2
            )
            body = body.replace("Democratic People's Republic of Korea", "DPRK")
            return _with(a, source="mfa", body=body, tag=tag)
        case "case":
            return _with(a, source=other, body=_case(a.body, rng), tag=tag)
        case "paragraphs":
            return _with(a, source=other, body=_paragraphs(a.body, rng), tag=tag)
        case "edited-words":
            # a handful: 1-5 words, at most one per 25 words (a 20-word flash gets one)
            edits = min(rng.randint(1, 5), max(1, len(a.body.split(" ")) // 25))
            body = _edit_words(a.body, rng, edits, vocabulary)
            return _with(a, source=other, body=body, tag=tag)
        case "reworded-title":
            title = a.title.replace("Statement of", "Statement by") + " Issued"
            return _with(a, source=other, title=title, tag=tag)
        case "truncated":
            return _with(a, source=other, body=_truncate(a.body, rng), tag=tag)
        case "days-apart":
            return _with(a, source="pyongyang-times", days=rng.randint(1, 7), tag=tag)
        case "cross-source":  # several at once, as a Foreign Ministry or Rodong copy arrives
            body = re.sub(r'"([^"]*)"', "“\\1”", a.body)
            edits = min(rng.randint(0, 3), len(a.body.split(" ")) // 25)
            body = _paragraphs(_edit_words(body, rng, edits, vocabulary), rng)
            body = rng.choice(_LEAD_INS) + "\n" + body + "\n" + rng.choice(_BYLINES)
            return _with(
                a,
                source=other,
                body=body,
                days=rng.randint(0, 2),
                title=a.title + " Issued",
                tag=tag,
            )
        case "revision-url":  # the outlet revises its text in place: same URL, same day
            return _with(a, body=_retranslate(a.body, rng, 0.25), tag=tag, url=a.url)
        case "rewritten":  # another outlet's translation: written another way, a few edits
            return _with(a, source=other, body=_retranslate(a.body, rng, 0.04), tag=tag)
        case "page-revision":  # a revision in place saved as a page: no URL, same title
            return _with(a, body=_retranslate(a.body, rng, 0.15), tag=tag, url=None)
        case "short-edited":
            return _with(
                a, source=other, body=_edits_with_a_dropped_name(a.body, rng, vocabulary), tag=tag
            )
        case "truncated-edited":
            words = a.body.split(" ")
            keep = " ".join(words[: max(1, int(len(words) * rng.uniform(0.65, 0.85)))])
            edits = max(1, round(len(words) / 40))  # about one in 40 words, as a reprint edits
            body = _edit_words(keep, rng, edits, vocabulary).rstrip(",;:") + "."
            return _with(a, source=other, body=body, tag=tag)
    raise ValueError(case)


def _template_variants(a: Article, rng: random.Random, n: int, tag: str) -> list[Article]:
    """Greetings sent to n countries the same day: one shared text, different names and numbers.

    The shared part is the real message `a` minus its first paragraph (which names the
    sender and recipient); each variant writes its own first paragraph.
    """
    shared = "\n".join(a.body.split("\n")[1:])
    out = []
    people = rng.sample(_PEOPLE, n)
    for k, country in enumerate(rng.sample(_COUNTRIES, n)):
        opening = (
            f"Kim Jong Un, president of the State Affairs of the DPRK, sent a message of "
            f"greeting to {people[k]}, president of {country}, on the occasion of the "
            f"{rng.randint(30, 80)}th anniversary of the founding of {country}."
        )
        out.append(
            _with(
                a,
                body=opening + "\n" + shared,
                title=f"Greetings to President of {country}",
                tag=f"{tag}-{k}",
            )
        )
    return out


def _is_message(a: Article) -> bool:
    return (
        bool(re.search(r"Greeting|Congratulat|Message|Condolence", a.title))
        and a.body.count("\n") >= 1
        and len(a.body) < 2500
    )


def base_articles(raw: Path = RAW) -> list[Labelled]:
    """The real texts, one per comparison key; the real revisions in place (one outlet, one
    URL, one date, two texts) labelled as one statement by their URL."""
    report = validate_paths([raw])
    seen: dict[str, Article] = {}
    for a in sorted(report.articles, key=lambda a: a.article_id):
        seen.setdefault(match_key(a.body), a)
    articles = sorted(seen.values(), key=lambda a: (a.published_date, a.article_id))
    cluster = {a.article_id: a.article_id for a in articles}
    first_at: dict[tuple[str, str, object], str] = {}
    for a in articles:
        if a.url:
            key = (a.source, a.url, a.published_date)
            cluster[a.article_id] = first_at.setdefault(key, a.article_id)
    return [Labelled(a, cluster[a.article_id], "real") for a in articles]


def _script_article(
    body: str, title: str, source: str, tag: str, published: date, registry: SourceRegistry
) -> Article:
    url = f"https://example.org/{source}/{tag}"
    return Article(
        article_id=article_id_for(source, url, title, published, None, None, body),
        source=source,
        source_label=registry.by_slug(source).label,
        title=title,
        published_date=published,
        listed_date=None,
        dateline=None,
        body=body,
        end_mark=False,
        stamp=None,
        topic=None,
        url=url,
        raw_path=f"generated/{tag}",
        raw_sha256="0" * 64,
    )


def _script_copies(
    a: Article,
    n: int,
    tag: str,
    outlets: Sequence[str],
    rng: random.Random,
    registry: SourceRegistry,
) -> list[Article]:
    """Copies as a reprint makes them: a sentence (paragraph) dropped, paragraphs joined, the
    opening 70%; 0-2 days later, from the language's outlets."""
    paras = a.body.split("\n")
    made = []
    for k in range(n):
        kind = k % 3
        if kind == 0 and len(paras) > 2:
            body = "\n".join(paras[:-2] + paras[-1:])
        elif kind == 1:
            body = " ".join(paras)
        else:
            body = a.body[: int(len(a.body) * 0.7)]
        published = a.published_date + timedelta(days=rng.randint(0, 2))
        made.append(
            _script_article(body, a.title, rng.choice(outlets), f"{tag}-{k}", published, registry)
        )
    return made


def _multiscript(rng: random.Random, copies: int, day: date) -> list[Labelled]:
    """Korean, Chinese and Russian: greetings to several countries on one day (each a statement
    of its own, `<lang>-template`) and copies of news reports and of one greeting
    (`<lang>-copy`)."""
    out: list[Labelled] = []
    registry = SourceRegistry.load()
    for lang in ("ko", "zh", "ru"):
        outlets = SOURCES[lang]
        n = max(1, copies // 4)
        for r, report in enumerate(REPORTS[lang]):
            title, body = report.split("\n", 1)
            original = _script_article(body, title, outlets[0], f"{lang}-report-{r}", day, registry)
            out.append(Labelled(original, original.article_id, f"{lang}-copy"))
            for c in _script_copies(original, n, f"{lang}-report-{r}-copy", outlets, rng, registry):
                out.append(Labelled(c, original.article_id, f"{lang}-copy"))
        number = rng.randint(2, 28)
        greetings = []
        for country in rng.sample(COUNTRIES[lang], 4):
            text = GREETINGS[lang].format(country=country, number=number)
            if lang == "ko":
                title, text = text.split("\n", 1)
            else:
                title = f"{country} {number}"
            tag = f"{lang}-greeting-{country}"
            greetings.append(_script_article(text, title, outlets[0], tag, day, registry))
        for g in greetings:
            out.append(Labelled(g, g.article_id, f"{lang}-template"))
        first = greetings[0]
        for c in _script_copies(first, n, f"{lang}-greeting-copy", outlets, rng, registry):
            out.append(Labelled(c, first.article_id, f"{lang}-copy"))
    return out


# demonyms and countries a real message's one name is swapped for (template-one-name)
_NAMES = ("Syrian", "Lao", "Cuban", "Vietnamese", "Nigerian", "Mongolian", "Belarusian",
          "Iranian", "Nicaraguan", "Venezuelan", "Cambodian", "Indonesian", "Egyptian")  # fmt: skip
# delegations a short report sends out and brings home (departure-return)
_DELEGATIONS = ("Ministry of Culture", "Ministry of Public Health", "Kim Il Sung University",
                "Korean Journalists Union", "Ministry of External Economic Relations",
                "Central Committee of the Korean Children's Union")  # fmt: skip
_DESTINATIONS = ("Moscow", "Beijing", "Hanoi", "Vientiane", "Havana", "Minsk", "Tehran")


def _departure_and_return(rng: random.Random, k: int, day: date) -> list[Labelled]:
    # one delegation to one city at a time: pair k takes its own combination
    who = _DELEGATIONS[k % len(_DELEGATIONS)]
    where = _DESTINATIONS[(k // len(_DELEGATIONS) + k) % len(_DESTINATIONS)]
    event = rng.choice(("an international festival", "a scientific symposium", "talks"))
    leaves = (
        f"A delegation of the {who} led by its head left here by air to take part in {event} "
        f"in {where}. It was seen off at the airport by officials concerned and members of the "
        f"foreign embassy in Pyongyang."
    )
    back = (
        f"The delegation of the {who} returned home by air after taking part in {event} in "
        f"{where}. It was greeted at the airport by officials concerned."
    )
    base = Article(
        article_id="",
        source="kcna-kp",
        source_label="KCNA.kp (En)",
        title="",
        published_date=day,
        listed_date=None,
        dateline=None,
        body="",
        end_mark=False,
        stamp=None,
        topic=None,
        url=None,
        raw_path="",
        raw_sha256="0" * 64,
    )
    x = _with(base, body=leaves, title=f"Delegation Leaves for {where}", tag=f"leaves-{k}")
    y = _with(
        base, body=back, title="Delegation Back Home", days=rng.randint(5, 7), tag=f"back-{k}"
    )
    return [
        Labelled(x, x.article_id, "departure-return"),
        Labelled(y, y.article_id, "departure-return"),
    ]


def _one_name_swapped(a: Article, rng: random.Random, tag: str) -> Article | None:
    """The same long message with one name (every occurrence of it) another: the template sent
    to another country."""
    present = [n for n in _NAMES if re.search(rf"\b{n}\b", a.body)]
    if not present:
        return None
    old = present[0]
    new = rng.choice([n for n in _NAMES if n != old and n not in a.body])
    body = re.sub(rf"\b{old}\b", new, a.body)
    return _with(a, body=body, title=a.title.replace(old, new), tag=tag, url=None)


def generate(copies_per_case: int = 40, seed: int = 0, raw: Path = RAW) -> list[Labelled]:
    rng = random.Random(seed)
    base = base_articles(raw)
    real = [b.article for b in base]
    vocabulary = sorted(
        {
            w
            for a in real
            for w in a.body.split(" ")
            if w.isalpha() and w.islower() and w not in _STOP and len(w) > 3
        }
    )
    label_of = {b.article.article_id: b.cluster for b in base}
    pools = {
        "revision-url": [a for a in real if a.url],
        "short-edited": [a for a in real if 20 <= len(a.body.split()) < 100],
    }
    # the long real texts a one-name variant is made of get no copies: a copy that lacks the
    # swapped name (a truncation) would fit both, and no label could say which
    named = [
        a
        for a in real
        if len(a.body.split()) >= 150 and any(re.search(rf"\b{n}\b", a.body) for n in _NAMES)
    ]
    swapped_bases = rng.sample(named, min(len(named), max(1, copies_per_case // 4)))
    real_for_copies = [a for a in real if a not in swapped_bases]
    out = list(base)
    n = 0
    for case in MERGE_CASES:
        if case.endswith("-copy"):
            continue  # the other scripts' copies come with their texts below
        pool = [a for a in pools.get(case, real) if a not in swapped_bases]
        for a in rng.sample(pool, min(len(pool), copies_per_case)):
            n += 1
            copied = copy_for(case, a, rng, vocabulary, f"{case}-{n}")
            out.append(Labelled(copied, label_of[a.article_id], case))
    messages = [a for a in real if _is_message(a)]
    for k, a in enumerate(rng.sample(messages, min(len(messages), max(1, copies_per_case // 5)))):
        variants = _template_variants(a, rng, 5, f"template-{k}")
        for v in variants:
            out.append(Labelled(v, v.article_id, "template"))
        # a cross-source copy of one variant must still join that variant
        twin = copy_for("quotes", variants[0], rng, vocabulary, f"template-{k}-copy")
        out.append(Labelled(twin, variants[0].article_id, "template"))
    # a long real text with a demonym, sent again with another one
    for k, a in enumerate(swapped_bases):
        swapped = _one_name_swapped(a, rng, f"one-name-{k}")
        if swapped is not None:
            out.append(Labelled(swapped, swapped.article_id, "template-one-name"))
    series = [b for b in base if b.article.title in ("Press Review", "Review of Rodong Sinmun")]
    out = [replace(b, case="daily-series") if b in series else b for b in out]
    # the negatives that re-date real texts draw disjoint texts, so that no two re-dated
    # copies of one text land within a week of each other
    picked = rng.sample(real_for_copies, 2 * copies_per_case)
    same_day, reprinted = picked[:copies_per_case], picked[copies_per_case:]
    for k, (a, b) in enumerate(zip(same_day[::2], same_day[1::2], strict=True)):
        title = "Press Statement of Spokesperson for DPRK Foreign Ministry"
        # a day well away from both originals, so neither text is a copy of its own original
        day = max(a.published_date, b.published_date) + timedelta(days=30 + k)
        x = _with(a, title=title, tag=f"same-day-{k}-a")
        y = _with(b, title=title, tag=f"same-day-{k}-b")
        x, y = replace(x, published_date=day), replace(y, published_date=day)
        out += [
            Labelled(x, x.article_id, "same-day-statements"),
            Labelled(y, y.article_id, "same-day-statements"),
        ]
    for k, a in enumerate(reprinted):
        later = _with(a, days=rng.randint(30, 400), tag=f"reprint-{k}")
        out.append(Labelled(later, later.article_id, "reprint-after-window"))
    first_day = min(a.published_date for a in real)
    for k in range(max(1, copies_per_case // 4)):
        out += _departure_and_return(rng, k, first_day + timedelta(days=3 * k))
    out += _multiscript(rng, copies_per_case, first_day)
    for k, title in enumerate(("Photo: Parade", "Photo: Exhibition", "Video: Concert")):
        blank = _with(real[0], body="* * *", title=title, tag=f"no-letters-{k}")
        out.append(Labelled(blank, blank.article_id, "no-letters"))
    return out


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise_scores(
    items: Sequence[Labelled], predicted: dict[str, str], cases: Iterable[str] | None = None
) -> dict[str, dict[str, float]]:
    """Pairwise precision/recall/F1, overall and per case (pairs touching that case's copies)."""

    def score(subset: Sequence[Labelled]) -> dict[str, float]:
        truth = Counter(x.cluster for x in subset)
        pred = Counter(predicted[x.article.article_id] for x in subset)
        both = Counter((x.cluster, predicted[x.article.article_id]) for x in subset)
        tp = sum(_pairs(n) for n in both.values())
        pred_pairs, true_pairs = (
            sum(_pairs(n) for n in pred.values()),
            sum(_pairs(n) for n in truth.values()),
        )
        precision = tp / pred_pairs if pred_pairs else 1.0
        recall = tp / true_pairs if true_pairs else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "true_pairs": true_pairs,
            "false_merges": pred_pairs - tp,
            "missed": true_pairs - tp,
        }

    out = {"overall": score(items)}
    mates: dict[str, list[str]] = defaultdict(list)
    together: dict[str, list[str]] = defaultdict(list)
    for x in items:
        mates[x.cluster].append(x.article.article_id)
        together[predicted[x.article.article_id]].append(x.article.article_id)
    truth_of = {x.article.article_id: x.cluster for x in items}
    for case in cases or sorted({x.case for x in items}):
        # pairs that involve one of this case's articles: its true mates, its predicted company
        tp = fp = fn = 0
        for x in (x for x in items if x.case == case):
            me = x.article.article_id
            predicted_with = {a for a in together[predicted[me]] if a != me}
            true_with = {a for a in mates[x.cluster] if a != me}
            tp += len(predicted_with & true_with)
            fp += sum(1 for a in predicted_with if truth_of[a] != x.cluster)
            fn += len(true_with - predicted_with)
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[case] = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "true_pairs": tp + fn,
            "false_merges": fp,
            "missed": fn,
        }
    return out
