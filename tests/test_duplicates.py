"""`kcna-dataset duplicates`: groups and explanations, text and JSON, via CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import RAW
from typer.testing import CliRunner

from kcna_dataset.cli import app
from kcna_dataset.duplicates import DuplicatesReport, find_duplicates

runner = CliRunner()
JSONL = "kcna-kp/kcna-kp-en-2023-12_2024-08.jsonl"
REVISED = "a-52dcab732da3bc7b"  # line 294: a revised translation of line 293, same day
ORIGINAL = "a-1011bbc765350995"  # line 293


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> DuplicatesReport:
    return find_duplicates(RAW, tmp_path_factory.mktemp("no-releases"))


def test_groups(report: DuplicatesReport) -> None:
    groups = report.groups()
    assert len(groups) == 177
    assert [g["copies"] for g in groups[:3]] == [6, 5, 5]
    [revised] = [g for g in groups if any(a["article_id"] == REVISED for a in g["articles"])]
    assert [
        (a["article_id"], a["match"], a["similarity"], a["raw_path"]) for a in revised["articles"]
    ] == [
        (ORIGINAL, None, None, f"{JSONL}#L293"),
        (REVISED, "near", 0.5129, f"{JSONL}#L294"),
    ]


def test_explain_near_copy(report: DuplicatesReport) -> None:
    e = report.explain(REVISED)
    assert e["explanation"] == f"verified as near against {ORIGINAL} (the canonical copy)"
    assert e["evidence"] == {
        "against": ORIGINAL,
        "match": "near",
        "reason": "same statement",
        "jaccard": 0.5129,
        "containment": 0.6837,
        "length_ratio": 0.9798,
        "date_gap_days": 0,
        "numbers_differing": [],
        "names_differing": ["city"],
    }
    assert e["differences"][:3] == [
        {"op": "replace", "removed": "long course", "added": "history"},
        {"op": "insert", "removed": "", "added": "the"},
        {"op": "replace", "removed": "courageous", "added": "vigorous"},
    ]
    assert e["changes"] == 162


def test_explain_canonical_and_exact(report: DuplicatesReport) -> None:
    assert report.explain(ORIGINAL)["explanation"].startswith("the canonical copy: lowest source")
    exact = next(a for g in report.groups() for a in g["articles"] if a["match"] == "exact")
    assert report.explain(exact["article_id"])["explanation"] == (
        "its body is identical to the canonical copy's"
    )


def test_cli_explain_text(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["duplicates", "--raw", str(RAW), "--out", str(tmp_path), "--explain", REVISED]
    )
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[:6] == [
        f"article    {REVISED}  kcna-kp  2024-08-07  {JSONL}#L294",
        "statement  s-9b31fd81c9e85193  (2 copies)  Ceremony of Paektusan Hero Youth Shock "
        "Brigade's Departure for Rehabilitation Sites in North Phyongan Province Takes Place",
        f"canonical  {ORIGINAL}  (date gap 0 days)",
        f"why        verified as near against {ORIGINAL} (the canonical copy)",
        "scores     jaccard 0.5129, containment 0.6837, length ratio 0.9798, date gap 0 days",
        "differing  numbers: none; names: city",
    ]
    assert lines[7] == "  - 'long course' + 'history'"


def test_cli_json_equals_library(tmp_path: Path, report: DuplicatesReport) -> None:
    result = runner.invoke(
        app, ["duplicates", "--raw", str(RAW), "--out", str(tmp_path), "--format", "json"]
    )
    assert result.exit_code == 0
    assert json.loads(result.output) == json.loads(json.dumps(report.to_dict()))
    result = runner.invoke(
        app,
        [
            "duplicates",
            "--raw",
            str(RAW),
            "--out",
            str(tmp_path),
            "--explain",
            REVISED,
            "--format",
            "json",
        ],
    )
    assert json.loads(result.output) == report.explain(REVISED)


def test_cli_groups_summary_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["duplicates", "--raw", str(RAW), "--out", str(tmp_path)])
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == (
        "177 statements with copies; 688 articles, 433 statements; 153 candidate pairs verified:"
        " names-differ 1, near 4, numbers-differ 16, outside-window 88, texts-differ 44"
    )


def test_cli_unknown_article_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "duplicates",
            "--raw",
            str(RAW),
            "--out",
            str(tmp_path),
            "--explain",
            "a-0000000000000000",
        ],
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "Error: no article 'a-0000000000000000' among the valid input records"
    )
