"""The parse stage, pinned field by field on the four real KCNA Watch pages, and JSONL."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from helpers import RAW, jsonl_line, page, raw_file
from hypothesis import given
from hypothesis import strategies as st

from kcna_dataset.stages.parse import ParsedRecord, decode, parse_file, parse_jsonl, parse_page
from kcna_dataset.stages.parse import page as page_module


def parse_seed(name: str) -> ParsedRecord:
    path = RAW / "kcnawatch" / name
    [record] = parse_page(raw_file(name, path.read_bytes()))
    assert record.findings == ()
    assert record.draft is not None
    return record


SEEDS = {
    "000_b3793cfa3d749794.txt": {
        "title": "Press Statement by Spokesperson for Institute for Disarmament and Peace of DPRK"
        " Foreign Ministry",
        "published_date": date(2024, 9, 13),
        "listed_date": date(2026, 1, 25),
        "source_label": "Ministry of Foreign Affairs (EN)",
        "dateline": None,
        "end_mark": False,
        "stamp": None,
        "paragraphs": 13,
        "chars": 3439,
        "first": "A spokesperson for the Institute for Disarmament and Peace of the Ministry of "
        "Foreign Affairs of the Democratic People’s Republic of Korea (DPRK) released a "
        "press statement: “Collective cooperation against the DPRK will be accompanied by"
        " the formation and strengthening of strategic axis for improving the security "
        "environment of the region” on September 13.",
        "last": "The DPRK will steadily take a new strategic counteraction to contain and frustrate"
        " the reckless confrontation moves of the hostile forces to disturb peace and "
        "stability on the Korean peninsula by mobilizing an illegal war organization.",
    },
    "001_44d148d78e3fb80b.txt": {
        "title": "Press Statement of Spokesperson for DPRK Foreign Ministry Issued",
        "published_date": date(2023, 2, 2),
        "listed_date": date(2025, 5, 13),
        "source_label": "Ministry of Foreign Affairs (EN)",
        "dateline": None,
        "end_mark": False,
        "stamp": None,
        "paragraphs": 17,
        "chars": 3799,
        "first": "A spokesperson for the Foreign Ministry of the Democratic People’s Republic of "
        "Korea (DPRK) issued the following press statement on February 2:",
        "last": "The DPRK will defend peace and security of the Korean peninsula and the region in"
        " a responsible manner with powerful deterrent until the U.S. and its vassal "
        "forces’ hostile policy and military threat are rooted out.",
    },
    "002_bd9edb1427167513.txt": {
        "title": "Press Statement of Head of External Policy Office of DPRK Foreign Ministry",
        "published_date": date(2024, 9, 13),
        "listed_date": date(2025, 11, 17),
        "source_label": "KCNA.kp (En)",
        "dateline": "Pyongyang, September 13 (KCNA)",
        "end_mark": True,
        "stamp": "www.kcna.kp (Juche113.9.13.)",
        "paragraphs": 12,
        "chars": 3364,
        "first": "The head of the External Policy Office of the Foreign Ministry of the Democratic"
        " People's Republic of Korea released the following press statement \"The U.S. "
        "instigating NATO and agents to confrontation with Russia is a serious threat to "
        'Europe" on September 13:',
        "last": "We will as ever invariably support the just cause of the Russian people who are "
        "striving to defend sovereignty and build a fair and multipolar world, smashing the"
        " imperialists' hegemonic policy and high-handed practices.",
    },
    "004_2161d094e835a8a6.txt": {
        "title": "DPRK Foreign Minister Sends Letter to UN Secretary General",
        # `Date: 01/02/2018` is day/month: 1 February, as the dateline confirms
        "published_date": date(2018, 2, 1),
        "listed_date": date(2026, 1, 14),
        "source_label": "KCNA.kp (En)",
        "dateline": "Pyongyang, February 1 (KCNA)",
        "end_mark": True,
        "stamp": None,
        "paragraphs": 14,
        "chars": 3968,
        "first": "Ri Yong Ho, minister of Foreign Affairs of the Democratic People's Republic of "
        "Korea, on Wednesday sent a letter to Antonio Manuel de Oliveira Guterres, "
        "secretary general of the United Nations.",
        "last": "And as an immediate step forward, I would like to request you to take up at the "
        "UN Security Council, in line with Rule 6 Chapter 2 of the UNSC Rules of Procedure,"
        " the issue of welcoming the process of improved inter-Korean relations and "
        "discouraging the neighboring countries from disturbing the process.",
    },
}


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_page_fields(name: str) -> None:
    expected = SEEDS[name]
    d = parse_seed(name).draft
    assert d is not None
    paragraphs = d.body.text.split("\n")
    assert d.title == expected["title"]
    assert d.published_date == expected["published_date"]
    assert d.listed_date == expected["listed_date"]
    assert d.source_label == expected["source_label"]
    assert d.line_label == expected["source_label"]
    assert d.body.dateline == expected["dateline"]
    assert d.body.end_mark is expected["end_mark"]
    assert d.body.stamp == expected["stamp"]
    assert len(paragraphs) == expected["paragraphs"]
    assert len(d.body.text) == expected["chars"]
    assert paragraphs[0] == expected["first"]
    assert paragraphs[-1] == expected["last"]
    assert d.url is None and d.topic is None
    assert d.lines == {
        "listed_date": 1,
        "source_label": 2,
        "title": 4,
        "published_date": 6,
        "body": 8,
    }


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_body_has_no_navigation(name: str) -> None:
    d = parse_seed(name).draft
    assert d is not None
    assert "More From" not in d.body.text
    assert "More Articles" not in d.body.text
    assert "\n\n" not in d.body.text
    assert "-0-" not in d.body.text
    assert "www.kcna.kp" not in d.body.text


def test_seed_keeps_curly_quotes_as_published() -> None:
    d = parse_seed("000_b3793cfa3d749794.txt").draft
    assert d is not None
    assert d.body.text.count("“UN Command”") == 6
    assert '"UN Command"' not in d.body.text


def test_seed_glued_name_repaired_in_body() -> None:
    d = parse_seed("004_2161d094e835a8a6.txt").draft
    assert d is not None
    assert "respected Comrade Kim Jong Un, chairman" in d.body.text


def test_page_crlf_and_bom_parse_like_lf() -> None:
    text = page()
    lf = parse_page(raw_file("p.txt", text))[0].draft
    crlf = parse_page(raw_file("p.txt", "\ufeff" + text.replace("\n", "\r\n")))[0].draft
    assert lf == crlf
    assert lf is not None and lf.body.text == (
        "First paragraph of the statement.\nSecond paragraph of the statement."
    )


def test_page_without_navigation_ends_at_end_of_file() -> None:
    d = parse_page(raw_file("p.txt", page(navigation=False)))[0].draft
    assert d is not None
    assert d.body.text == "First paragraph of the statement.\nSecond paragraph of the statement."


def test_jsonl_real_first_record() -> None:
    path = RAW / "kcna-kp" / "kcna-kp-en-2023-12_2024-08.jsonl"
    records = parse_jsonl(raw_file("kcna-kp/x.jsonl", path.read_bytes()))
    assert len(records) == 684
    assert all(r.findings == () for r in records)
    first = records[0]
    assert first.raw_path == "kcna-kp/x.jsonl#L1"
    assert first.line == 1
    d = first.draft
    assert d is not None
    assert d.title == "Japan's Discharge of Nuclear-polluted Water Is Crime: KCNA Commentary"
    assert d.published_date == date(2023, 12, 24)
    assert d.url == (
        "http://www.kcna.kp/en/article/q/a514ed40309b181ae5964d720a691ec6e75a696ae9"
        "bf8bd88b1e0b525ae929596724453633323eef1047b895f648adc7.kcmsf"
    )
    assert d.topic == "News Commentary"
    assert d.body.dateline == "Pyongyang, December 24 (KCNA)"
    assert d.body.end_mark is True
    assert d.body.text.startswith("Japan continues discharging nuclear-contaminated water into")
    assert d.body.text.endswith("can never evade its responsibility for the heinous crime.")
    assert d.source_label is None and d.listed_date is None


def test_jsonl_adapter_cleans_title_and_body() -> None:
    line = jsonl_line(
        headline="Floral Tribute Paid\n\n[Juche113.2.11.]",
        story_text="Pyongyang, February 11 (KCNA) --PresidentKim Il Sungand"
        "\n\nChairmanKim Jong Ilwere honoured.\u00a0-0-",
    )
    [record] = parse_jsonl(raw_file("a.jsonl", line + "\n"))
    d = record.draft
    assert d is not None
    assert d.title == "Floral Tribute Paid"
    assert d.body.text == "President Kim Il Sung and\nChairman Kim Jong Il were honoured."
    assert (d.body.dateline, d.body.end_mark) == ("Pyongyang, February 11 (KCNA)", True)


def test_jsonl_line_numbers_skip_blank_lines_and_hash_the_line() -> None:
    one, two = jsonl_line(headline="One"), jsonl_line(headline="Two")
    records = parse_jsonl(raw_file("a.jsonl", f"{one}\n\n{two}\r\n"))
    assert [(r.raw_path, r.line) for r in records] == [("a.jsonl#L1", 1), ("a.jsonl#L3", 3)]
    assert records[1].raw_sha256 == raw_file("x", two).sha256


def test_parse_file_dispatches_on_suffix() -> None:
    [record] = parse_file(raw_file("notes/readme.xml", "<a/>\n"))
    assert record.draft is None
    assert [(f.code, f.message) for f in record.findings] == [
        ("file-type-unsupported", "unsupported file type '.xml'")
    ]


_MONTH_FORMS = [
    *(date(2024, m, 1).strftime("%B") for m in range(1, 13)),
    *(date(2024, m, 1).strftime("%b") for m in range(1, 13)),
    "Sept",
    "Janu",
    "Foo",
]


@pytest.mark.parametrize("month", _MONTH_FORMS)
def test_listing_dates_are_read_as_strptime_reads_them(month: str) -> None:
    """The listing line's two dates are read without strptime (two calls a page cost ~40 us):
    held to strptime's %B and %b over every month name and abbreviation, a few that are
    neither, every day from 0 to 33 (with and without a leading zero), days and years in Arabic-
    Indic digits, and years 0000 and 2024."""
    # digits of other scripts too: strptime's %d wants an ASCII first digit, \\d anywhere else
    other_digits = ["\u0665", "0\u0665", "1\u0665", "\u0663\u0661", "\u0661"]
    for day in [*map(str, range(34)), *(f"{d:02d}" for d in range(10)), *other_digits]:
        for year in ("0000", "2024", "\u0662\u0660\u0662\u0664"):
            text = f"{month} {day}, {year}"
            for form, months in (
                ("%B", page_module._MONTHS),
                ("%b", page_module._MONTH_ABBREVIATIONS),
            ):
                try:
                    expected: date | None = datetime.strptime(text, f"{form} %d, %Y").date()
                except ValueError:
                    expected = None
                assert page_module._month_day_year(text, months) == expected, (text, form)


@given(st.text(alphabet=st.characters(max_codepoint=0x2000), max_size=60))
def test_control_characters_are_found_as_the_regex_finds_them(text: str) -> None:
    """The ASCII fast path of control_character agrees with the plain regex search."""
    expected = next(
        (m.start() for p in (decode._CONTROL, decode._SURROGATE) if (m := p.search(text))), None
    )
    found = decode.control_character(text, "x.txt")
    assert (found is None) == (expected is None)
    if found is not None and expected is not None:
        assert found.column == expected - (text[:expected].rfind("\n") + 1) + 1
