"""Every code in the error catalogue, each from a minimal bad file: exact code, line and column."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from helpers import TODAY, jsonl_line, page, write

from kcna_dataset.findings import CATALOGUE, Severity
from kcna_dataset.limits import MAX_FILE_BYTES, MAX_RECORD_BYTES
from kcna_dataset.records import Article
from kcna_dataset.stages.table_rules import check_table
from kcna_dataset.validate import validate_paths

Findings = list[tuple[str, str, int | None, int | None]]


def findings(root: Path) -> Findings:
    report = validate_paths([root], today=TODAY)
    return [(f.path, x.code, x.line, x.column) for f in report.files for x in f.findings]


def body_page(*paragraphs: str, **kw: Any) -> str:
    return page(body=list(paragraphs), **kw)


def big_page(root: Path) -> None:
    with (root / "big.txt").open("wb") as f:
        f.truncate(MAX_FILE_BYTES[".txt"] + 1)


def outside_link(root: Path) -> None:
    outside = root.parent / "outside.txt"
    outside.write_text(page(), encoding="utf-8")
    (root / "linked.txt").symlink_to(outside)


def broken_link(root: Path) -> None:
    (root / "gone.txt").symlink_to(root / "missing-target.txt")


# code -> (how to make the bad input under root, the findings expected)
CASES: dict[str, tuple[Callable[[Path], object], Findings]] = {
    "file-unreadable": (broken_link, [("gone.txt", "file-unreadable", None, None)]),
    "file-binary": (
        lambda r: write(r, "p.txt", b"Jan\x00uary"),
        [("p.txt", "file-binary", None, None)],
    ),
    "file-too-large": (big_page, [("big.txt", "file-too-large", None, None)]),
    "encoding-invalid": (
        lambda r: write(r, "p.txt", page().encode().replace(b"First", b"\xffF")),
        [("p.txt", "encoding-invalid", 8, None)],
    ),
    "encoding-utf16": (
        lambda r: write(r, "p.txt", page().encode("utf-16")),
        [("p.txt", "encoding-utf16", None, None)],
    ),
    "control-characters": (
        lambda r: write(r, "p.txt", page().replace("First", "Fi\x07rst")),
        [("p.txt", "control-characters", 8, 37)],
    ),
    "surrogate-character": (
        lambda r: write(r, "r.jsonl", jsonl_line(headline="Half \ud800 Of It") + "\n"),
        [("r.jsonl", "surrogate-character", 1, 6)],
    ),
    "file-empty": (lambda r: write(r, "p.txt", ""), [("p.txt", "file-empty", None, None)]),
    "file-type-unsupported": (
        lambda r: write(r, "p.pdf", b"%PDF-1.4"),
        [("p.pdf", "file-type-unsupported", None, None)],
    ),
    "symlink-outside": (outside_link, [("linked.txt", "symlink-outside", None, None)]),
    "html-instead-of-text": (
        lambda r: write(r, "p.txt", "<!DOCTYPE html>\n<html><body>x"),
        [("p.txt", "html-instead-of-text", 1, None)],
    ),
    "listing-date-invalid": (
        lambda r: write(r, "p.txt", page(listing="Yesterday")),
        [("p.txt", "listing-date-invalid", 1, None)],
    ),
    "source-line-invalid": (
        lambda r: write(r, "p.txt", page().replace("KCNA KCNA.kp (En)", "KCNA.kp")),
        [("p.txt", "source-line-invalid", 2, None)],
    ),
    "title-missing": (
        lambda r: write(r, "p.txt", page(title="Date: 13/09/2024 | Source: x")),
        [("p.txt", "title-missing", 4, None)],
    ),
    "meta-line-missing": (
        lambda r: write(r, "p.txt", page(date_field="13 Sept 2024 Source")),
        [("p.txt", "meta-line-missing", 6, None)],
    ),
    "navigation-in-body": (
        lambda r: write(
            r,
            "p.txt",
            body_page(
                "Text of the statement.",
                "Other Headline",
                "Other Headline",
                "November 16, 2025",
                navigation=False,
            ),
        ),
        [("p.txt", "navigation-in-body", 12, None)],
    ),
    "date-invalid": (
        lambda r: write(r, "p.txt", page(date_field="31/02/2024")),
        [("p.txt", "date-invalid", 6, None)],
    ),
    "date-out-of-range": (
        lambda r: write(r, "p.txt", body_page("Text.", date_field="01/01/1945")),
        [("p.txt", "date-out-of-range", 6, None)],
    ),
    "date-after-listing": (
        lambda r: write(r, "p.txt", body_page("Text.", date_field="18/11/2025")),
        [("p.txt", "date-after-listing", 6, None)],
    ),
    "date-swapped": (
        # `Date: 02/01/2018` read as MM/DD would be 1 February, which the dateline says
        lambda r: write(
            r,
            "p.txt",
            body_page("Pyongyang, February 1 (KCNA) -- Text. -0-", date_field="02/01/2018"),
        ),
        [("p.txt", "date-swapped", 6, None)],
    ),
    "dateline-mismatch": (
        lambda r: write(r, "p.txt", body_page("Pyongyang, September 11 (KCNA) -- Text. -0-")),
        [("p.txt", "dateline-mismatch", 6, None)],
    ),
    "stamp-mismatch": (
        lambda r: write(
            r,
            "p.txt",
            body_page(
                "Pyongyang, September 13 (KCNA) -- Text. -0-", "www.kcna.kp (Juche113.9.14.)"
            ),
        ),
        [("p.txt", "stamp-mismatch", 6, None)],
    ),
    "source-mismatch": (
        lambda r: write(r, "p.txt", page(line_label="Naenara (En)")),
        [("p.txt", "source-mismatch", 2, None)],
    ),
    "source-unknown": (
        lambda r: write(r, "p.txt", page(label="X (En)", line_label="X (En)")),
        [("p.txt", "source-unknown", 2, None)],
    ),
    "title-empty": (
        lambda r: write(r, "p.txt", page(title="[Juche113.1.2.]")),
        [("p.txt", "title-empty", 4, None)],
    ),
    "body-empty": (
        lambda r: write(r, "p.txt", body_page("-0-")),
        [("p.txt", "body-empty", 8, None)],
    ),
    "language-mismatch": (
        lambda r: write(
            r,
            "r.jsonl",
            jsonl_line(story_text="조선민주주의인민공화국 국무위원장께서 축전을 보내시였다.")
            + "\n",
        ),
        [("r.jsonl", "language-mismatch", 1, None)],
    ),
    "duplicate-record": (
        lambda r: write(r, "r.jsonl", f"{jsonl_line()}\n{jsonl_line()}\n"),
        [("r.jsonl", "duplicate-record", 2, None)],
    ),
    "jsonl-malformed": (
        lambda r: write(r, "r.jsonl", f"{jsonl_line()}\n{{'a': 1}}\n"),
        [("r.jsonl", "jsonl-malformed", 2, 2)],
    ),
    "json-malformed": (
        lambda r: write(r, "r.json", f"[\n{jsonl_line()}\n{jsonl_line()}\n]\n"),
        [("r.json", "json-malformed", 3, 1)],
    ),
    "csv-malformed": (
        lambda r: write(r, "r.csv", 'headline,date,link,story_text\n"a,2024-01-01,x,y\n'),
        [("r.csv", "csv-malformed", 2, None)],
    ),
    "field-repeated": (
        lambda r: write(r, "r.jsonl", jsonl_line()[:-1] + ', "headline": "Again"}\n'),
        [("r.jsonl", "field-repeated", 1, None)],
    ),
    "record-too-large": (
        lambda r: write(r, "r.jsonl", jsonl_line(story_text="x " * MAX_RECORD_BYTES) + "\n"),
        [("r.jsonl", "record-too-large", 1, None)],
    ),
    "csv-header": (
        lambda r: write(r, "r.csv", "date,url,title,body\n2024-01-31,x,y,z\n"),
        [("r.csv", "csv-header", 1, None)],
    ),
    "field-missing": (
        lambda r: write(r, "r.jsonl", jsonl_line(link=...) + "\n"),
        [("r.jsonl", "field-missing", 1, None)],
    ),
    "field-type": (
        lambda r: write(r, "r.jsonl", jsonl_line(topic=["a", "b"]) + "\n"),
        [("r.jsonl", "field-type", 1, None)],
    ),
}
# reachable only when a record passes the record rules but breaks the declared schema: tested
# below through check_table, the stage that emits it
NOT_FROM_FILES = {"schema-violation"}


def test_every_code_has_a_case() -> None:
    assert set(CASES) | NOT_FROM_FILES == set(CATALOGUE)


@pytest.mark.parametrize("code", sorted(CASES))
def test_code(tmp_path: Path, code: str) -> None:
    root = tmp_path / "raw"
    root.mkdir()
    make, expected = CASES[code]
    make(root)
    assert findings(root) == expected
    report = validate_paths([root], today=TODAY)
    kept = CATALOGUE[code].severity is Severity.WARNING
    assert report.valid is kept
    assert report.summary["accepted"] == (
        report.summary["records"] if kept else report.summary["records"] - 1
    )


def test_schema_violation_from_the_declared_schema() -> None:
    article = Article(
        article_id="a-0123456789abcdef",
        source="NOT A SLUG",
        source_label="x",
        title="t",
        published_date=date(2024, 1, 1),
        listed_date=None,
        dateline=None,
        body="b",
        end_mark=False,
        stamp=None,
        topic=None,
        url=None,
        raw_path="r.jsonl#L7",
        raw_sha256="0" * 64,
        line=7,
    )
    [(index, [found])] = check_table([article]).items()
    assert (index, found.code, found.path, found.line) == (0, "schema-violation", "r.jsonl", 7)
    assert found.message == "field 'source': pattern failed for value 'NOT A SLUG'"


def test_messages_and_hints_for_the_date_diagnoses(tmp_path: Path) -> None:
    CASES["date-swapped"][0](tmp_path)
    [f] = validate_paths([tmp_path], today=TODAY).files
    [x] = f.errors
    assert x.message == (
        "published date 2018-01-02 disagrees with the dateline (Pyongyang, "
        "February 1 (KCNA)); with day and month swapped they agree"
    )
    assert x.hint == (
        "The date was read as MM/DD: KCNA Watch's Date: is DD/MM/YYYY, so swap day and month."
    )


def test_csv_records_parse_like_jsonl(tmp_path: Path) -> None:
    rows = [json.loads(jsonl_line(headline=f"H{i}")) for i in range(2)]
    rows[1]["story_text"] = "Line one,\nline two. -0-"
    lines = ["headline,date,link,topic,story_text"]
    for r in rows:
        cells = [r[k] for k in ("headline", "date", "link", "topic", "story_text")]
        lines.append(",".join('"' + c.replace('"', '""') + '"' for c in cells))
    write(tmp_path, "r.csv", "\r\n".join(lines) + "\r\n")
    report = validate_paths([tmp_path], today=TODAY)
    assert report.valid
    assert [(a.raw_path, a.title, a.body) for a in report.articles] == [
        ("r.csv#L2", "H0", "A paragraph.\nAnother paragraph."),
        ("r.csv#L4", "H1", "Line one,\nline two."),  # record 1 spans lines 2-3
    ]


def test_odd_file_names_and_deep_trees(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*[f"level {i}" for i in range(40)])
    write(deep, "Überschrift mit Leerzeichen — 평양.txt", page())
    report = validate_paths([tmp_path], today=TODAY)
    assert report.valid and report.summary["accepted"] == 1
    assert report.files[0].path.endswith("level 39/Überschrift mit Leerzeichen — 평양.txt")


def test_folder_links_are_listed_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "raw"
    write(root, "a.txt", page())
    os.symlink(tmp_path, root / "loop")  # would recurse forever if followed
    report = validate_paths([root], today=TODAY)
    assert [(f.path, f.status, f.reason) for f in report.files] == [
        ("a.txt", "valid", None),
        ("loop", "ignored", "symbolic link to a folder (not followed)"),
    ]


def test_tens_of_thousands_of_files_are_all_accounted_for(tmp_path: Path) -> None:
    for i in range(20_000):
        (tmp_path / f"{i:05d}.txt").write_bytes(b"")
    report = validate_paths([tmp_path], today=TODAY)
    s = report.summary
    assert (s["files"], s["records"], s["rejected"], s["errors"]) == (
        20_000,
        20_000,
        20_000,
        20_000,
    )
    assert {r.code for r in report.rejections} == {"file-empty"}
