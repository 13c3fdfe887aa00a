"""`kcna-dataset duplicates`: groups and explanations, text and JSON, via CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import RAW
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
        (REVISED, "revised", 0.5129, f"{JSONL}#L294"),
    ]


def test_explain_revised_copy(report: DuplicatesReport) -> None:
    e = report.explain(REVISED)
    assert e["explanation"] == f"verified as revised against {ORIGINAL} (the canonical copy)"
    assert e["evidence"] == {
        "against": ORIGINAL,
        "match": "revised",
        "reason": "same statement",
        "jaccard": 0.5129,
        "containment": 0.6837,
        "length_ratio": 0.9798,
        "date_gap_days": 0,
        "same_url": True,
        "title_similarity": 0.7,
        "coverage": None,
        "substitutions": [],
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
        f"why        verified as revised against {ORIGINAL} (the canonical copy)",
        "scores     jaccard 0.5129, containment 0.6837, length ratio 0.9798, date gap 0 days",
        "substituted none",
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
        " outside-window 88, revised 4, short-text 1, substitution 16, texts-differ 44"
    )


ARRIVES = "a-4d04112af85d43cb"  # line 178: Foreign Delegation Arrives in Pyongyang
LEAVES = "a-4cde7efae44146ca"  # line 322: Foreign Delegation Leaves, 7 days later


def test_explain_against_gives_each_rules_verdict(report: DuplicatesReport) -> None:
    """The real arrival and departure notices a week apart: why they stay two statements."""
    e = report.explain_pair(LEAVES, ARRIVES)
    assert (e["same_statement"], e["verdict"]) == (False, "substitution")
    assert e["reason"] == "1 substitution(s): 'Aug 8' / 'Thursday'"
    assert e["rules"] == {
        "similarity": "jaccard 0.7568 (near at 0.4), containment in the opening 0.8750 "
        "(contained at 0.8, length ratio 0.97 between 0.45 and 0.9)",
        "window": "7 days apart (window 7)",
        "1-2 substitutions": "'Aug 8' / 'Thursday'",
        "3 revision in place": "no: other outlet or date",
        "4 short text": "34 words: coverage 0.91 (needs 0.9) or title similarity 0.33 (needs 0.8)",
        "5 letters": "both texts have letters",
    }
    # the changes from the article it is compared against to the article explained
    assert e["differences"] == [
        {"op": "replace", "removed": "arrived", "added": "left"},
        {"op": "replace", "removed": "Thursday.", "added": "Aug. 8."},
    ]
    revision = report.explain_pair(REVISED, ORIGINAL)
    assert (revision["same_statement"], revision["verdict"]) == (True, "revised")
    assert revision["rules"]["3 revision in place"] == "one outlet, one URL, one date"


def test_cli_explain_against_text(tmp_path: Path) -> None:
    args = ["duplicates", "--raw", str(RAW), "--out", str(tmp_path)]
    result = runner.invoke(app, [*args, "--explain", LEAVES, "--against", ARRIVES])
    assert result.exit_code == 0
    assert result.output.splitlines()[:3] == [
        f"pair       {LEAVES}  {ARRIVES}: two statements",
        "verdict    substitution: 1 substitution(s): 'Aug 8' / 'Thursday'",
        "  similarity           jaccard 0.7568 (near at 0.4), containment in the opening 0.8750 "
        "(contained at 0.8, length ratio 0.97 between 0.45 and 0.9)",
    ]
    result = runner.invoke(app, [*args, "--against", ARRIVES])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == "Error: --against needs --explain"


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
