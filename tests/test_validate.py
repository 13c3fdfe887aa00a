"""Validate stage: every rule yields its exact code and line; every file is accounted for."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path

import pytest
from helpers import RAW, REPO, TODAY, jsonl_line, page, write

from kcna_dataset.exceptions import UsageError
from kcna_dataset.report import ValidationReport
from kcna_dataset.stages import record_rules
from kcna_dataset.validate import validate_paths


def validate_one(tmp_path: Path, name: str, content: str | bytes) -> ValidationReport:
    write(tmp_path, name, content)
    return validate_paths([tmp_path], today=TODAY)


def errors(report: ValidationReport) -> list[tuple[str, str, int | None, str]]:
    return [(f.path, x.code, x.line, x.message) for f in report.files for x in f.errors]


def test_valid_page(tmp_path: Path) -> None:
    report = validate_one(tmp_path, "p.txt", page())
    assert report.valid
    assert report.summary == {
        "files": 1,
        "files_read": 1,
        "files_ignored": 0,
        "files_invalid": 0,
        "records": 1,
        "accepted": 1,
        "rejected": 0,
        "errors": 0,
        "warnings": 0,
    }
    [article] = report.articles
    assert (article.source, article.raw_path, article.line) == ("kcna-kp", "p.txt", None)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            page(listing="Someday"),
            (
                "listing-date-invalid",
                1,
                "line 1 should be the listing date written twice, like "
                "'January 25, 2026Jan 25, 2026'; found 'Someday'",
            ),
        ),
        (
            page(listing="November 17, 2025Nov 18, 2025"),
            (
                "listing-date-invalid",
                1,
                "line 1 should be the listing date written twice, like "
                "'January 25, 2026Jan 25, 2026'; found 'November 17, 2025Nov 18, 2025'",
            ),
        ),
        (
            page().replace("KCNA KCNA.kp (En)", "Rodong"),
            ("source-line-invalid", 2, "line 2 should be 'KCNA <source label>'; found 'Rodong'"),
        ),
        (
            page(title="Date: 13/09/2024 | Source: KCNA.kp (En)"),
            ("title-missing", 4, "no title before the 'Date:' line"),
        ),
        (
            page(date_field="13/09/2024 Source KCNA"),
            (
                "meta-line-missing",
                6,
                "no 'Date: DD/MM/YYYY | Source: <label> | ...' line after the title",
            ),
        ),
        (
            page(date_field="31/02/2024"),
            ("date-invalid", 6, "'31/02/2024' is not a real date (DD/MM/YYYY)"),
        ),
        (
            page(date_field="09/13/2024"),
            ("date-invalid", 6, "'09/13/2024' is not a real date (DD/MM/YYYY)"),
        ),
        (
            page(date_field="13/09/2026"),
            (
                "date-after-listing",
                6,
                "published date 2026-09-13 is after the listing date 2025-11-17",
            ),
        ),
        (
            page(date_field="13/09/1940"),
            (
                "date-out-of-range",
                6,
                "published date 1940-09-13 is before KCNA's founding (1946-12-05)",
            ),
        ),
        (
            page(label="Daily NK (En)", line_label="Daily NK (En)"),
            ("source-unknown", 2, "unknown source 'Daily NK (En)'"),
        ),
        (
            page(line_label="Rodong Sinmun (En)"),
            (
                "source-mismatch",
                2,
                "line 2 names source 'Rodong Sinmun (En)' but the Date line says 'KCNA.kp (En)'",
            ),
        ),
        (page(body=[]), ("body-empty", 8, "the body is empty")),
        (
            page(body=["-0-", "www.kcna.kp (Juche113.9.13.)"]),
            ("body-empty", 8, "the body is empty"),
        ),
        ("", ("file-empty", None, "the file is empty")),
        ("\n \n", ("file-empty", None, "the file is empty")),
    ],
)
def test_page_rule(tmp_path: Path, content: str, expected: tuple[str, int | None, str]) -> None:
    report = validate_one(tmp_path, "p.txt", content)
    assert not report.valid
    assert errors(report) == [("p.txt", *expected)]
    assert list(report.articles) == []
    assert [(r.raw_path, r.code) for r in report.rejections] == [("p.txt", expected[0])]


def test_future_date_is_rejected(tmp_path: Path) -> None:
    content = page(listing="December 31, 2027Dec 31, 2027", date_field="01/12/2027")
    report = validate_one(tmp_path, "p.txt", content)
    assert errors(report) == [
        (
            "p.txt",
            "date-out-of-range",
            1,
            "listing date 2027-12-31 is in the future (today in Pyongyang is 2026-11-23)",
        ),
        (
            "p.txt",
            "date-out-of-range",
            6,
            "published date 2027-12-01 is in the future (today in Pyongyang is 2026-11-23)",
        ),
    ]


def test_a_listing_date_out_of_range_is_rejected(tmp_path: Path) -> None:
    """Year 9999 on the listing line became the release's `created` and citation year."""
    content = page(listing="December 31, 9999Dec 31, 9999")
    report = validate_one(tmp_path, "p.txt", content)
    assert errors(report) == [
        (
            "p.txt",
            "date-out-of-range",
            1,
            "listing date 9999-12-31 is in the future (today in Pyongyang is 2026-11-23)",
        )
    ]


def test_today_is_pyongyangs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 20:00 UTC on 2026-11-23 it is already 2026-11-24 in Pyongyang (UTC+9): an article
    dated the 24th is not in the future."""

    class Clock(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            return datetime(2026, 11, 23, 20, 0, tzinfo=UTC).astimezone(tz)

    monkeypatch.setattr(record_rules, "datetime", Clock)
    assert record_rules.pyongyang_today() == date(2026, 11, 24)
    root = tmp_path / "raw"
    write(root, "p.txt", page(listing="November 24, 2026Nov 24, 2026", date_field="24/11/2026"))
    report = validate_paths([root])  # today: the clock's, in Pyongyang
    assert (report.valid, len(report.articles)) == (True, 1)


def test_not_utf8_names_line_and_offset(tmp_path: Path) -> None:
    data = page().encode("utf-8").replace(b"Second paragraph", b"Second \xff paragraph")
    report = validate_one(tmp_path, "p.txt", data)
    offset = data.index(b"\xff")
    assert errors(report) == [
        ("p.txt", "encoding-invalid", 10, f"not UTF-8: undecodable byte at offset {offset}")
    ]


def test_unsupported_file_type(tmp_path: Path) -> None:
    report = validate_one(tmp_path, "sub/page.html", "<html></html>")
    assert errors(report) == [
        ("sub/page.html", "file-type-unsupported", None, "unsupported file type '.html'")
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            '{"headline": "x", ',
            (
                "jsonl-malformed",
                2,
                "not a JSON object: Expecting property name enclosed in double quotes",
            ),
        ),
        ("[1, 2]", ("jsonl-malformed", 2, "not a JSON object: found a JSON array")),
        (
            jsonl_line(headline=...),
            ("field-missing", 2, "required field 'headline' is missing or empty"),
        ),
        (
            jsonl_line(story_text="  "),
            ("field-missing", 2, "required field 'story_text' is missing or empty"),
        ),
        (
            jsonl_line(date=20240131),
            (
                "date-invalid",
                2,
                "20240131 is not a real date "
                "(YYYY-MM-DD or an ISO date-time, or milliseconds since 1970 UTC)",
            ),
        ),
        (
            jsonl_line(date="2024-02-30"),
            (
                "date-invalid",
                2,
                "'2024-02-30' is not a real date "
                "(YYYY-MM-DD or an ISO date-time, or milliseconds since 1970 UTC)",
            ),
        ),
        (
            jsonl_line(date="31/01/2024"),
            (
                "date-invalid",
                2,
                "'31/01/2024' is not a real date "
                "(YYYY-MM-DD or an ISO date-time, or milliseconds since 1970 UTC)",
            ),
        ),
        (
            jsonl_line(link="https://www.dailynk.com/english/x"),
            ("source-unknown", 2, "unknown source 'link https://www.dailynk.com/english/x'"),
        ),
        (jsonl_line(story_text="-0-"), ("body-empty", 2, "the body is empty")),
    ],
)
def test_jsonl_rule(tmp_path: Path, line: str, expected: tuple[str, int, str]) -> None:
    report = validate_one(
        tmp_path, "r.jsonl", f"{jsonl_line()}\n{line}\n{jsonl_line(headline='3')}\n"
    )
    assert errors(report) == [("r.jsonl", *expected)]
    assert [(r.raw_path, r.line, r.code) for r in report.rejections] == [
        ("r.jsonl#L2", 2, expected[0])
    ]
    assert [a.raw_path for a in report.articles] == ["r.jsonl#L1", "r.jsonl#L3"]
    assert (report.summary["records"], report.summary["accepted"], report.summary["rejected"]) == (
        3,
        2,
        1,
    )


def test_jsonl_bad_bytes_reject_only_their_line(tmp_path: Path) -> None:
    data = f"{jsonl_line()}\n".encode() + b'{"headline": "\xc3\x28"}\n'
    report = validate_one(tmp_path, "r.jsonl", data)
    assert errors(report) == [
        ("r.jsonl", "encoding-invalid", 2, "not UTF-8: undecodable byte at offset 14")
    ]
    assert report.summary["accepted"] == 1


def test_several_problems_in_one_record_are_all_reported(tmp_path: Path) -> None:
    content = page(label="Daily NK (En)", date_field="13/09/2026", body=[])
    report = validate_one(tmp_path, "p.txt", content)
    assert [(code, line) for _, code, line, _ in errors(report)] == [
        ("source-mismatch", 2),
        ("source-unknown", 2),
        ("date-after-listing", 6),
        ("body-empty", 8),
    ]
    assert report.summary["rejected"] == 1


def test_every_file_is_accounted_for(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "good.txt").write_text(page(), encoding="utf-8")
    (tmp_path / "a" / "bad.txt").write_text(page(date_field="31/02/2024"), encoding="utf-8")
    (tmp_path / "records.jsonl").write_text(f"{jsonl_line()}\nnot json\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("notes", encoding="utf-8")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x01")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    report = validate_paths([tmp_path], today=TODAY)
    statuses = [
        (f.path, f.status, f.records, f.accepted, f.rejected, f.reason) for f in report.files
    ]
    assert statuses == [
        (".DS_Store", "ignored", 0, 0, 0, "hidden file"),
        ("README.md", "ignored", 0, 0, 0, "documentation"),
        ("a/bad.txt", "invalid", 1, 0, 1, None),
        ("a/good.txt", "valid", 1, 1, 0, None),
        ("image.png", "invalid", 1, 0, 1, None),
        ("records.jsonl", "invalid", 2, 1, 1, None),
    ]
    s = report.summary
    assert s["records"] == s["accepted"] + s["rejected"] == 5
    assert (s["files"], s["files_read"], s["files_ignored"], s["files_invalid"]) == (6, 4, 2, 3)
    assert (s["errors"], s["warnings"]) == (3, 0)
    assert s["errors"] == sum(len(f.errors) for f in report.files)
    assert [st.to_dict() for st in report.stats] == [
        {
            "stage": "read",
            "total": 6,
            "kept": 4,
            "dropped": {"ignored (documentation)": 1, "ignored (hidden file)": 1},
        },
        {
            "stage": "parse",
            "total": 5,
            "kept": 2,
            "dropped": {"date-invalid": 1, "file-type-unsupported": 1, "jsonl-malformed": 1},
        },
        {"stage": "validate", "total": 2, "kept": 2, "dropped": {}},
    ]


def test_shipped_raw_is_valid() -> None:
    report = validate_paths([RAW], today=TODAY)
    assert report.valid
    assert [(f.path, f.status) for f in report.files if f.status == "ignored"] == [
        ("README.md", "ignored")
    ]
    assert report.summary == {
        "files": 6,
        "files_read": 5,
        "files_ignored": 1,
        "files_invalid": 0,
        "records": 688,
        "accepted": 688,
        "rejected": 0,
        "errors": 0,
        "warnings": 2,
    }
    [jsonl] = [f for f in report.files if f.path.endswith(".jsonl")]
    assert [(w.code, w.line) for w in jsonl.warnings] == [
        ("duplicate-record", 26),
        ("dateline-mismatch", 28),
    ]


def test_json_report_structure_is_stable(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(page(), encoding="utf-8")
    (tmp_path / "bad.txt").write_text(page(date_field="31/02/2024"), encoding="utf-8")
    parsed = json.loads(json.dumps(validate_paths([tmp_path], today=TODAY).to_dict()))
    assert list(parsed) == ["valid", "summary", "files"]
    assert parsed["valid"] is False
    assert list(parsed["summary"]) == [
        "files",
        "files_read",
        "files_ignored",
        "files_invalid",
        "records",
        "accepted",
        "rejected",
        "errors",
        "warnings",
    ]
    assert [list(f) for f in parsed["files"]] == [
        ["path", "status", "valid", "records", "accepted", "rejected", "errors", "warnings"]
    ] * 2
    assert parsed["files"][0]["errors"] == [
        {
            "code": "date-invalid",
            "severity": "error",
            "message": "'31/02/2024' is not a real date (DD/MM/YYYY)",
            "line": 6,
            "column": None,
            "hint": "KCNA Watch pages write Date: as day/month/year (01/02/2018 is 1 "
            "February 2018); scraper records as YYYY-MM-DD, an ISO date-time (its date is taken "
            "as written) or milliseconds since 1970 UTC.",
            "params": {"value": "31/02/2024", "form": "DD/MM/YYYY"},
        }
    ]
    assert parsed["files"][1] == {
        "path": "good.txt",
        "status": "valid",
        "valid": True,
        "records": 1,
        "accepted": 1,
        "rejected": 0,
        "errors": [],
        "warnings": [],
    }


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file or folder"):
        validate_paths([tmp_path / "nope"])


def test_identical_records_get_numbered_ids(tmp_path: Path) -> None:
    line = jsonl_line()
    report = validate_one(tmp_path, "r.jsonl", f"{line}\n{line}\n{line}\n")
    ids = [a.article_id for a in report.articles]
    assert ids[1:] == [f"{ids[0]}-2", f"{ids[0]}-3"]
    assert len(ids[0]) == 18


def test_the_shipped_raw_folder_is_valid() -> None:
    """raw/ grows (CONTRIBUTING invites files): the tests count tests/fixtures/corpus, and of
    raw/ itself ask only that every file in it is valid."""
    report = validate_paths([REPO / "raw"], today=TODAY)
    problems = [(f.path, x.code) for f in report.files for x in f.findings if x.severity == "error"]
    assert (report.valid, problems) == (True, [])
    assert {f.status for f in report.files} <= {"valid", "ignored"}


def test_two_folders_with_a_file_of_one_name_are_two_files(tmp_path: Path) -> None:
    """`validate A B` merged A/x.txt and B/x.txt into one report `x.txt` of two records."""
    write(tmp_path / "A", "x.txt", page())
    write(tmp_path / "B", "x.txt", page(label="Nope (En)", line_label="Nope (En)"))
    report = validate_paths([tmp_path / "A", tmp_path / "B"], today=TODAY)
    a, b = (tmp_path / "A").as_posix(), (tmp_path / "B").as_posix()
    assert [(f.path, f.status, f.records) for f in report.files] == [
        (f"{a}/x.txt", "valid", 1),
        (f"{b}/x.txt", "invalid", 1),
    ]
