"""A labelled dedup corpus made from the real texts in raw/, with ground truth.

Every real statement becomes one cluster. Copies are added with the transformations the
deduplicator must see through (each a `case`), and hard negatives are added that it must keep
apart. Pairwise precision / recall / F1 are computed against the labels, overall and per case.

    from bench.dedup_corpus import generate, pairwise_scores
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from kcna_dataset.dedup import match_key
from kcna_dataset.records import Article, article_id_for
from kcna_dataset.validate import validate_paths

RAW = Path(__file__).resolve().parent.parent / "raw"

# Real pairs in raw/ that are one statement re-published with edits (checked by reading their
# token diffs: a revised translation of the same text, same day, same link or same event).
REAL_SAME_STATEMENT = [
    ("Ceremony for Celebrating Transfer of New-Type", "Ceremony for Celebrating Transfer and"),
    (
        "Ceremony of Paektusan Hero Youth Shock Brigade's Departure for Rehabilitation",
        "Ceremony of Paektusan Hero Youth Shock Brigade's Departure for Flood-hit",
    ),
    (
        "Respected Comrade Kim Jong Un Inspects Regional-Industry",
        "Respected Comrade Kim Jong Un Inspects Construction of Regional",
    ),
    (
        "Respected Comrade Kim Jong Un Oversees Test-firing",
        "Respected Comrade Kim Jong Un Oversees Test-fire",
    ),
]

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
)
NEGATIVE_CASES = ("template", "daily-series", "same-day-statements", "reprint-after-window")

_STOP = frozenset(
    [
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
)
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
) -> Article:
    source = source or a.source
    published = a.published_date + timedelta(days=days)
    title = title or a.title
    body = body if body is not None else a.body
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
    """The real texts, one per comparison key, labelled with the real same-statement pairs."""
    report = validate_paths([raw])
    seen: dict[str, Article] = {}
    for a in sorted(report.articles, key=lambda a: a.article_id):
        seen.setdefault(match_key(a.body), a)
    articles = sorted(seen.values(), key=lambda a: (a.published_date, a.article_id))
    cluster = {a.article_id: a.article_id for a in articles}
    for x, y in REAL_SAME_STATEMENT:
        [ax] = [a for a in articles if a.title.startswith(x)]
        [ay] = [a for a in articles if a.title.startswith(y)]
        cluster[ay.article_id] = cluster[ax.article_id]
    return [Labelled(a, cluster[a.article_id], "real") for a in articles]


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
    out = list(base)
    n = 0
    for case in MERGE_CASES:
        for a in rng.sample(real, copies_per_case):
            n += 1
            label = next(b.cluster for b in base if b.article is a)
            out.append(Labelled(copy_for(case, a, rng, vocabulary, f"{case}-{n}"), label, case))
    messages = [a for a in real if _is_message(a)]
    for k, a in enumerate(rng.sample(messages, min(len(messages), max(1, copies_per_case // 5)))):
        variants = _template_variants(a, rng, 5, f"template-{k}")
        for v in variants:
            out.append(Labelled(v, v.article_id, "template"))
        # a cross-source copy of one variant must still join that variant
        twin = copy_for("quotes", variants[0], rng, vocabulary, f"template-{k}-copy")
        out.append(Labelled(twin, variants[0].article_id, "template"))
    series = [b for b in base if b.article.title in ("Press Review", "Review of Rodong Sinmun")]
    out = [replace(b, case="daily-series") if b in series else b for b in out]
    # the negatives that re-date real texts draw disjoint texts, so that no two re-dated
    # copies of one text land within a week of each other
    picked = rng.sample(real, 2 * copies_per_case)
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
