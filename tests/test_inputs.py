"""Inputs researchers already have (issue 19): JSON-array archive snapshots with epoch dates,
findings summarised when they repeat, rejections that say what was kept out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
from helpers import REPO, TODAY, jsonl_line, write
from typer.testing import CliRunner

from kcna_dataset.build import build
from kcna_dataset.cli import app
from kcna_dataset.validate import validate_paths

# three real records from two daily snapshots of the stiles/north-korea-news kcna.kp archive
# (CC0): one article and its same-day retranslation (that copy has `date_str: null` beside its
# epoch `date`), and a photo page scraped without text
EXCERPT = REPO / "tests" / "fixtures" / "archive-excerpt.json"
ARCHIVE_URL = "http://www.kcna.kp/en/article/q/a713c2df6798b0f051a4fac14e5953be.kcmsf"


def _record(**fields: object) -> dict[str, object]:
    return json.loads(jsonl_line(**fields))


def test_a_real_archive_snapshot_is_read_with_its_epoch_dates(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(EXCERPT, raw / "headlines_2024-08-05.json")
    out = tmp_path / "dist"
    result = build(raw, out, today=TODAY, skip_invalid=True)
    articles = pq.read_table(out / "1.0.0" / "data" / "articles.parquet").to_pylist()
    assert sorted((a["raw_path"], str(a["published_date"]), a["match"]) for a in articles) == [
        ("headlines_2024-08-05.json#L18", "2024-08-05", None),  # the longer retranslation
        ("headlines_2024-08-05.json#L2", "2024-08-05", "revised"),
    ]
    assert {a["statement_id"] for a in articles} == {
        result.tables["statements"]["statement_id"][0].as_py()
    }
    [rejected] = pq.read_table(out / "1.0.0" / "data" / "rejections.parquet").to_pylist()
    assert (rejected["raw_path"], rejected["code"], rejected["url"]) == (
        "headlines_2024-08-05.json#L10",
        "field-missing",
        "http://www.kcna.kp/en/media/photo/q/f881de26603fd14d71f2ad4f0dce87aa.kcmsf",
    )
    assert rejected["title"] == "Russian Schoolchildren's Camping Group Visits Several Places Here"


def test_json_array_records_epoch_and_iso_dates_and_a_broken_array(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    records = [
        _record(date="1706659200000", date_str="2024-01-31", headline="Epoch As Text"),
        _record(date=1706659200000, headline="Epoch As Number"),
        _record(date=None, date_str="2024-01-31", headline="Only Date Str"),
        _record(date="2024-01-31", headline="ISO Date"),
        _record(date=20240131, headline="Not A Date"),
        ["not", "an", "object"],
        # date-times (the date as written) and epochs as floats, as archives and pandas write
        _record(date="2024-01-31T23:30:00Z", headline="Date Time Z"),
        _record(date="2024-01-31 00:00:00", headline="Date Time Space"),
        # 2024-01-30 in UTC: the date as written is the one the source gave
        _record(date="2024-01-31T08:00:00+09:00", headline="Date Time Offset"),
        _record(date=1706659200000.0, headline="Epoch As Float"),
        _record(date="1706659200000.0", headline="Epoch As Float Text"),
        _record(date=1706659200000.5, headline="Epoch With A Fraction"),
        _record(date="2024-01-30T25:00:00", headline="Hour 25"),
    ]
    text = "[" + ",\n".join(json.dumps(r) for r in records) + "]"
    write(raw, "a.json", text)
    # a comma missing after the second record: the two before it are read, the rest is not
    others = [
        _record(date="1706659200000", headline="Other One", story_text="Other text one."),
        _record(date="2024-01-30", headline="Other Two", story_text="Other text two."),
        _record(date="2024-01-29", headline="Other Three", story_text="Other text three."),
    ]
    broken = "[\n" + json.dumps(others[0]) + ",\n" + json.dumps(others[1]) + "\n"
    broken += json.dumps(others[2]) + "\n]\n"
    write(raw, "b.json", broken)
    write(raw, "c.json", json.dumps(others[0]))
    report = validate_paths([raw], today=TODAY)
    assert sorted((a.raw_path, a.title, str(a.published_date)) for a in report.articles) == [
        ("a.json#L1", "Epoch As Text", "2024-01-31"),
        ("a.json#L10", "Epoch As Float", "2024-01-31"),
        ("a.json#L11", "Epoch As Float Text", "2024-01-31"),
        ("a.json#L2", "Epoch As Number", "2024-01-31"),
        ("a.json#L3", "Only Date Str", "2024-01-31"),
        ("a.json#L4", "ISO Date", "2024-01-31"),
        ("a.json#L7", "Date Time Z", "2024-01-31"),
        ("a.json#L8", "Date Time Space", "2024-01-31"),
        ("a.json#L9", "Date Time Offset", "2024-01-31"),
        ("b.json#L2", "Other One", "2024-01-31"),
        ("b.json#L3", "Other Two", "2024-01-30"),
    ]
    left = len(broken) - broken.index(json.dumps(others[2]))
    assert [
        (f.path, x.code, x.line, x.column, x.message) for f in report.files for x in f.findings
    ] == [
        (
            "a.json",
            "date-invalid",
            5,
            None,
            "20240131 is not a real date "
            "(YYYY-MM-DD or an ISO date-time, or milliseconds since 1970 UTC)",
        ),
        ("a.json", "json-malformed", 6, None, "not a JSON array of records: found a JSON array"),
        (
            "a.json",
            "date-invalid",
            12,
            None,
            "1706659200000.5 is not a real date "
            "(YYYY-MM-DD or an ISO date-time, or milliseconds since 1970 UTC)",
        ),
        (
            "a.json",
            "date-invalid",
            13,
            None,
            "'2024-01-30T25:00:00' is not a real date "
            "(YYYY-MM-DD or an ISO date-time, or milliseconds since 1970 UTC)",
        ),
        (
            "b.json",
            "json-malformed",
            4,
            1,
            f"not a JSON array of records: ',' or ']' expected, found '{{'; the {left:,} "
            "characters from here on were not read",
        ),
        (
            "c.json",
            "json-malformed",
            1,
            1,
            "not a JSON array of records: a .json file holds one array of records, found a "
            "JSON object",
        ),
    ]


def test_repeated_findings_are_summarised_per_file_and_code(tmp_path: Path) -> None:
    """A re-scraped archive repeats its records in every snapshot: 3 findings of a code in a
    file are shown, the rest counted on one line; --format json keeps them all."""
    raw = tmp_path / "raw"
    line = jsonl_line()
    write(raw, "r.jsonl", "\n".join([line] * 7) + "\n")
    result = CliRunner().invoke(app, ["validate", str(raw)])
    lines = result.output.splitlines()
    assert [x.split(": warning")[0] for x in lines[:3]] == ["r.jsonl:2", "r.jsonl:3", "r.jsonl:4"]
    assert (
        lines[3]
        == "r.jsonl: warning duplicate-record: 3 more (lines 5, 6, 7); all of them: --format json"
    )
    as_json = CliRunner().invoke(app, ["validate", str(raw), "--format", "json"])
    [file] = json.loads(as_json.output)["files"]
    assert [x["line"] for x in file["warnings"]] == [2, 3, 4, 5, 6, 7]


def test_build_given_a_file_as_raw_says_so(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    path = write(raw, "r.jsonl", jsonl_line() + "\n")
    result = CliRunner().invoke(app, ["build", "--raw", str(path), "--out", str(tmp_path / "d")])
    assert result.exit_code == 2
    assert " ".join(result.output.split()) == (
        f"Error: --raw {path} is a file, not a folder Hint: Pass the folder that holds it "
        f"(--raw {raw}), or put the file in a folder of its own; `kcna-dataset validate FILE` "
        "checks one file."
    )


def test_a_successful_build_shows_its_warnings_by_code(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write(raw, "r.jsonl", "\n".join([jsonl_line()] * 3) + "\n")
    out = tmp_path / "dist"
    result = CliRunner().invoke(app, ["build", "--raw", str(raw), "--out", str(out), "--json"])
    assert json.loads(result.output)["warnings"] == {"duplicate-record": 2}
    again = CliRunner().invoke(
        app, ["build", "--raw", str(raw), "--out", str(out), "--version", "1.0.1"]
    )
    assert "warnings: duplicate-record 2 (each one: kcna-dataset validate)" in again.output


RODONG_CSV = (
    "date,url,title,body\n"
    "2024-01-31,http://www.rodong.rep.kp/en/index.php?MTJAMjAyNC0wMS0zMS1IMDAx,"
    'Party Plenary Meeting Held,"The plenary meeting was held in Pyongyang.\nIt discussed '
    'the tasks of the year."\n'
)


def test_other_field_names_are_mapped_and_a_wrong_header_names_every_missing_field(
    tmp_path: Path,
) -> None:
    """A Rodong Sinmun CSV with `date,url,title,body` got only `field-missing 'headline'`: the
    header's error names every missing field and the expected ones; `--map` reads the file as
    it is."""
    raw = tmp_path / "raw"
    write(raw, "rodong.csv", RODONG_CSV)
    write(
        raw,
        "r.jsonl",
        json.dumps(
            {
                "title": "Mapped",
                "date": "2024-01-31",
                "url": ARCHIVE_URL,
                "body": "A mapped record.",
            }
        )
        + "\n",
    )
    result = CliRunner().invoke(app, ["validate", str(raw)])
    assert result.exit_code == 1
    assert result.output.splitlines()[-2] == (
        "rodong.csv:1: error csv-header: the header lacks headline, link, story_text "
        "(expected headline, date, link, story_text; it has date, url, title, body); its 1 "
        "row was not read — hint: Rename those columns, or name yours with --map, e.g. "
        "--map headline=title --map story_text=body --map link=url."
    )
    # a map naming a column the file lacks: the error speaks of the names the user gave
    typo = ["--map", "headline=title", "--map", "story_text=text", "--map", "link=url"]
    result = CliRunner().invoke(app, ["validate", str(raw), *typo])
    assert result.output.splitlines()[-2] == (
        "rodong.csv:1: error csv-header: the header lacks text (for story_text) (expected "
        "title (for headline), date, url (for link), text (for story_text); it has date, url, "
        "title, body); its 1 row was not read — hint: Rename those columns, or name yours "
        "with --map, e.g. --map headline=title --map story_text=body --map link=url."
    )
    mapped = ["--map", "headline=title", "--map", "story_text=body", "--map", "link=url"]
    result = CliRunner().invoke(app, ["validate", str(raw), *mapped])
    assert (result.exit_code, result.output.splitlines()[-1]) == (
        0,
        "valid: 2 records in 2 files: 2 accepted, 0 rejected; 0 errors, 0 warnings",
    )
    report = validate_paths(
        [raw],
        today=TODAY,
        field_map=(("headline", "title"), ("story_text", "body"), ("link", "url")),
    )
    assert sorted((a.source, a.title, a.body) for a in report.articles) == [
        ("kcna-kp", "Mapped", "A mapped record."),
        (
            "rodong",
            "Party Plenary Meeting Held",
            "The plenary meeting was held in Pyongyang.\nIt discussed the tasks of the year.",
        ),
    ]
    out = tmp_path / "dist"
    built = CliRunner().invoke(
        app, ["build", "--raw", str(raw), "--out", str(out), "--no-cache", *mapped]
    )
    assert built.exit_code == 0, built.output
    # as a European Excel saves it: semicolons (and tabs, bars) are read as the header shows
    for name, delimiter in (("semicolons.csv", ";"), ("tabs.csv", "\t")):
        write(tmp_path / "other", name, RODONG_CSV.replace(",", delimiter))
    report = validate_paths(
        [tmp_path / "other"],
        today=TODAY,
        field_map=(("headline", "title"), ("story_text", "body"), ("link", "url")),
    )
    assert [(a.raw_path, a.title) for a in report.articles] == [
        ("semicolons.csv#L2", "Party Plenary Meeting Held"),
        ("tabs.csv#L2", "Party Plenary Meeting Held"),
    ]
    wrong = CliRunner().invoke(app, ["validate", str(raw), "--map", "title"])
    assert wrong.exit_code == 2
    assert wrong.output.startswith("Error: --map 'title' is not FIELD=THEIR_NAME with FIELD one of")


def _minified(n: int) -> str:
    records = [
        _record(
            headline=f"Record {k}", story_text=f"Text number {k}. " * 20, link=f"{ARCHIVE_URL}?{k}"
        )
        for k in range(n)
    ]
    return json.dumps(records)  # one line


def test_a_minified_array_locates_each_record_and_rebuilds(tmp_path: Path) -> None:
    """(from a review) every record of a one-line array was `min.json#L1`: findings could not
    be told apart, and the next build's comparison crashed on the repeated key."""
    raw = tmp_path / "raw"
    write(raw, "min.json", _minified(3))
    report = validate_paths([raw], today=TODAY)
    assert sorted(a.raw_path for a in report.articles) == [
        "min.json#L1",
        f"min.json#L1:{_minified(3).index('}, {') + 4}",  # 1-based columns
        f"min.json#L1:{_minified(3).rindex('}, {') + 4}",
    ]
    out = tmp_path / "dist"
    build(raw, out, today=TODAY)
    write(raw, "min.json", _minified(4))
    assert build(raw, out, today=TODAY).version == "1.1.0"
    bad = json.loads(_minified(2))
    bad[1]["story_text"] = ""
    write(raw, "min.json", json.dumps(bad))
    found = [
        (x.code, x.line, x.column)
        for f in validate_paths([raw], today=TODAY).files
        for x in f.findings
    ]
    assert found == [("field-missing", 1, json.dumps(bad).index("}, {") + 4)]


def test_review_findings_on_record_files(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    # a repeated key inside a nested object is not a repeated field of the record
    nested = json.loads(jsonl_line())
    text = json.dumps(nested)[:-1] + ', "meta": {"id": 1, "id": 2}}'
    write(raw, "n.jsonl", text + "\n")
    # epoch digits are ASCII digits
    write(raw, "d.json", json.dumps([_record(date="١٧٢٢٨١٦٠٠٠٠٠٠", headline="Arabic Digits")]))
    # a header-only CSV with a warning is empty, and keeps the warning
    write(raw, "h.csv", "headline,headline,date,link,story_text\n")
    report = validate_paths([raw], today=TODAY)
    assert [(f.path, x.code) for f in report.files for x in f.findings] == [
        ("d.json", "date-invalid"),
        ("h.csv", "file-empty"),
        ("h.csv", "field-repeated"),
    ]
    for pairs, message in (
        (["headline=title", "headline=topic"], "--map gives the field 'headline' twice"),
        (["headline=title", "topic=title"], "--map gives the name 'title' twice"),
    ):
        result = CliRunner().invoke(
            app, ["validate", str(raw), *[x for p in pairs for x in ("--map", p)]]
        )
        assert result.exit_code == 2 and result.output.startswith(f"Error: {message}")


def test_files_without_records_say_what_they_hold(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write(raw, "a.json", "[]\n")
    write(raw, "b.csv", "headline,date,link,topic,story_text\n")
    write(raw, "c.jsonl", "\ufeff\n\n")
    write(raw, "d.json", "[" + json.dumps(_record()) + "]x")  # one stray character after it
    report = validate_paths([raw], today=TODAY)
    assert [(f.path, x.code, x.message) for f in report.files for x in f.findings] == [
        ("a.json", "file-empty", "the file is empty (an empty JSON array: no records)"),
        ("b.csv", "file-empty", "the file is empty (a header and no rows)"),
        ("c.jsonl", "file-empty", "the file is empty (blank lines only)"),
        (
            "d.json",
            "json-malformed",
            "not a JSON array of records: text after the array's closing bracket; the 1 "
            "character from here on was not read",
        ),
    ]


def test_a_lone_surrogate_rejects_its_record_only(tmp_path: Path) -> None:
    r"""`"\ud800"` in a JSON string is half a character: it crashed validate (the article id
    encodes the text) and a --skip-invalid build (the rejection's title)."""
    raw = tmp_path / "raw"
    lines = [
        jsonl_line(headline="Bad \ud800 Title"),
        jsonl_line(headline="Fine", link=f"{ARCHIVE_URL}?fine"),
        jsonl_line(headline="Bad \ud800 Date", date="31/31/2024", link=f"{ARCHIVE_URL}?d"),
    ]
    write(raw, "s.jsonl", "\n".join(lines) + "\n")
    report = validate_paths([raw], today=TODAY)
    assert [a.title for a in report.articles] == ["Fine"]
    assert [(r.line, r.code, r.title) for r in report.rejections] == [
        (1, "surrogate-character", "Bad \\ud800 Title"),
        (3, "surrogate-character", "Bad \\ud800 Date"),
    ]
    result = build(raw, tmp_path / "dist", today=TODAY, skip_invalid=True)
    rejected = pq.read_table(result.published / "data" / "rejections.parquet")
    assert rejected.column("title").to_pylist() == ["Bad \\ud800 Title", "Bad \\ud800 Date"]


def test_a_semicolon_header_that_lacks_a_field_names_that_field(tmp_path: Path) -> None:
    write(tmp_path, "s.csv", "headline;date;link;topic\nT;2024-01-31;http://www.kcna.kp/x;L\n")
    [finding] = [x for f in validate_paths([tmp_path], today=TODAY).files for x in f.findings]
    assert finding.message == (
        "the header lacks story_text (expected headline, date, link, story_text; it has "
        "headline, date, link, topic); its 1 row was not read"
    )
