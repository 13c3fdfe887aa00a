"""kcna.kp conventions: dateline, end mark, stamp, glued leader names, titles."""

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kcna_dataset.stages.parse.page import _paragraphs
from kcna_dataset.stages.parse.text import (
    Body,
    clean_paragraph,
    clean_title,
    split_body,
    stamp_date,
    unglue_leader_names,
)


@pytest.mark.parametrize(
    ("glued", "spaced"),
    [
        ("ComradeKim Jong Unreceived", "Comrade Kim Jong Un received"),
        ("HEKim Jong Unand", "HE Kim Jong Un and"),
        ("PresidentKim Il Sungand", "President Kim Il Sung and"),
        ("ChairmanKim Jong Ilon", "Chairman Kim Jong Il on"),
        ("Kim Il SungUniversity", "Kim Il Sung University"),
        ("Kim Jong IlFoundation", "Kim Jong Il Foundation"),
        ("Kim Jong Ununderlined", "Kim Jong Un underlined"),
        ("Kim Jong Illed", "Kim Jong Il led"),
        ("wishedKim Jong Ungood health", "wished Kim Jong Un good health"),
        ("respected Comrade Kim Jong Un, chairman", "respected Comrade Kim Jong Un, chairman"),
        ("Kim Jong Un's", "Kim Jong Un's"),
        ("Kim Il Sungism", "Kim Il Sungism"),
        ("Kim Yo Jong said", "Kim Yo Jong said"),
    ],
)
def test_unglue_leader_names(glued: str, spaced: str) -> None:
    assert unglue_leader_names(glued) == spaced


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (
            "Floral Tribute Paid to Statues of President Kim Il Sung and Chairman Kim Jong Il\n\n"
            "[Juche113.1.2.]",
            "Floral Tribute Paid to Statues of President Kim Il Sung and Chairman Kim Jong Il",
        ),
        (
            "Noble Ideal of Respected Comrade Kim Jong Un\n[Juche113.1.17.]",
            "Noble Ideal of Respected Comrade Kim Jong Un",
        ),
        ("Floral Tribute Paid\n\n[2024.02.11.]", "Floral Tribute Paid"),
        ("  Press\u00a0Review  ", "Press Review"),
        ("Press  Statement\tof\u00a0\u00a0Kim Yo Jong", "Press Statement of Kim Yo Jong"),
        ("Title [with brackets] kept", "Title [with brackets] kept"),
    ],
)
def test_clean_title(raw: str, clean: str) -> None:
    assert clean_title(raw) == clean


def test_split_body_moves_conventions_into_fields() -> None:
    body = split_body(
        [
            "Pyongyang, September 13 (KCNA) -- The head of the office said:",
            "",
            "We will as ever support the just cause.\u00a0-0-",
            "www.kcna.kp (Juche113.9.13.)",
        ]
    )
    assert body == Body(
        text="The head of the office said:\nWe will as ever support the just cause.",
        dateline="Pyongyang, September 13 (KCNA)",
        end_mark=True,
        stamp="www.kcna.kp (Juche113.9.13.)",
    )


def test_split_body_dateline_without_space_and_glued_name() -> None:
    body = split_body(
        [
            "Pyongyang, January 12 (KCNA) --Kim Jong Un, president of the State"
            " Affairs, sent a message toKim Jong Unand ComradeKim Jong Unreceived it. -0-"
        ]
    )
    assert body == Body(
        text="Kim Jong Un, president of the State Affairs, sent a message to Kim Jong Un and"
        " Comrade Kim Jong Un received it.",
        dateline="Pyongyang, January 12 (KCNA)",
        end_mark=True,
        stamp=None,
    )


def test_split_body_without_conventions_keeps_everything() -> None:
    paras = [
        "One day in May Juche 106 (2017), the respected ComradeKim Jong Unmet officials.",
        "He said “people first”.",
    ]
    assert split_body(paras) == Body(
        text="One day in May Juche 106 (2017), the respected Comrade Kim Jong Un met officials.\n"
        "He said “people first”.",
        dateline=None,
        end_mark=False,
        stamp=None,
    )


def test_split_body_end_mark_on_its_own_line_and_2025_stamp() -> None:
    body = split_body(["Text.", "-0-", "www.kcna.kp (2025.12.14.)"])
    assert body == Body("Text.", None, True, "www.kcna.kp (2025.12.14.)")


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("www.kcna.kp (Juche113.9.13.)", date(2024, 9, 13)),
        ("www.kcna.kp (Juche112.12.1.)", date(2023, 12, 1)),
        ("www.kcna.kp (2025.12.14.)", date(2025, 12, 14)),
        ("www.kcna.kp (Juche113.2.30.)", None),
        ("not a stamp", None),
    ],
)
def test_stamp_date(stamp: str, expected: date | None) -> None:
    assert stamp_date(stamp) == expected


@given(st.text(alphabet=st.sampled_from("ab \t\u00a0\u2007\u202f\nx"), max_size=30))
def test_clean_paragraph_folds_every_run_of_spaces(raw: str) -> None:
    # the shipped pattern skips lone plain spaces (speed); the result is the plain definition's
    assert clean_paragraph(raw) == re.sub(r"[ \t\u00a0\u2007\u202f]+", " ", raw).strip()


def test_clean_paragraph_examples() -> None:
    assert clean_paragraph("  a\u00a0\u00a0b \tc\u202fd  ") == "a b c d"


_GLUE_PIECES = st.sampled_from(
    ["Kim ", "Kim", "Il Sung", "Jong Il", "Jong Un", "x", "E", " ", "ism", "ists", "s", "'", "1"]
)


@given(st.lists(_GLUE_PIECES, max_size=12).map("".join))
def test_unglue_matches_the_plain_look_around_patterns(text: str) -> None:
    # the module's patterns start with the literal `Kim ` for speed; these are the plain forms
    names = "Kim Il Sung|Kim Jong Il|Kim Jong Un"
    before = re.sub(rf"(?<=[A-Za-z])(?=(?:{names}))", " ", text)
    expected = re.sub(rf"(?<=(?:{names}))(?=[A-Za-z])(?!(?:ism|ist)s?\b)", " ", before)
    assert unglue_leader_names(text) == expected


# a page's lines: glued names, every kind of space clean_paragraph folds, blank lines
_PAGE_LINES = st.lists(
    st.lists(
        _GLUE_PIECES | st.sampled_from(["\t", "\u00a0", "\u2007", "\u202f", "  ", "\u3000", "-0-"]),
        max_size=8,
    ).map("".join),
    max_size=8,
)


@given(_PAGE_LINES)
def test_a_pages_paragraphs_need_no_second_cleaning(lines: list[str]) -> None:
    # parse_page cleans each line as it joins them into paragraphs, and split_body then only
    # unglues names: the same body as cleaning them again
    paragraphs = _paragraphs(lines)
    assert split_body(paragraphs, cleaned=True) == split_body(paragraphs)


# the end mark as a regular expression: the reference split_body implements with str methods
END_MARK = re.compile(r"\s*-0-\s*$")


@given(st.lists(st.sampled_from(["-0-", " ", "\u00a0", "a", "-", "0", "\n"]), max_size=8))
def test_end_mark_found_as_by_the_pattern_alone(pieces: list[str]) -> None:
    last = "".join(pieces)
    body = split_body(["First.", last])
    # the regular expression split_body implements with str methods, on the paragraph cleaned
    cleaned = clean_paragraph(last)
    found = END_MARK.search(cleaned) is not None
    kept = [p for p in ("First.", END_MARK.sub("", cleaned) if found else cleaned) if p]
    assert (body.end_mark, body.text) == (found, "\n".join(kept))
