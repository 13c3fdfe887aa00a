"""The CLI through CliRunner: exit codes, exact output, JSON equal to the library's objects."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import REPO, page
from typer.main import get_command
from typer.testing import CliRunner

from kcna_dataset import __version__
from kcna_dataset.cli import app
from kcna_dataset.validate import validate_paths

runner = CliRunner()
COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]


def test_commands() -> None:
    assert COMMANDS == ["build", "duplicates", "sqlite", "validate", "verify"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_documented(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    click_command = get_command(app).commands[command]  # type: ignore[attr-defined]
    assert click_command.help and len(click_command.help.splitlines()[0]) > 10
    for param in click_command.params:
        if param.name != "help":
            assert getattr(param, "help", None), f"{command} {param.name} has no help"
    readme = (REPO / "README.md").read_text()
    assert f"kcna-dataset {command}" in readme
    # an example, and placeholders a person can read (not a parameter's Python name)
    assert f"Example: kcna-dataset {command} " in " ".join(result.output.split())
    assert "{release}" not in result.output and "paths..." not in result.output
    # click's plain placeholders: no `{RELEASE_DIR}` (typer's required mark), no type suffix
    assert not re.search(r"\{[A-Z_]+\}|<list\[", result.output), result.output


def test_help_placeholders_read_as_written() -> None:
    usage = {
        command: runner.invoke(
            app, [command, "--help"], prog_name="kcna-dataset"
        ).output.splitlines()[0]
        for command in ("sqlite", "validate", "verify")
    }
    assert usage == {
        "sqlite": "Usage: kcna-dataset sqlite [OPTIONS] RELEASE_DIR DB_FILE",
        "validate": "Usage: kcna-dataset validate [OPTIONS] [PATH...]",
        "verify": "Usage: kcna-dataset verify [OPTIONS] RELEASE_DIR",
    }
    help_text = runner.invoke(app, ["validate", "--help"]).output
    assert "Arguments:\n  PATH...  Raw files or folders to check (default: raw/).\n" in help_text
    # options name what they take, as click writes it: no `<path>`, `<str>` type suffixes
    options = {
        line.split("  ")[1].strip()
        for command in ("build", "validate", "duplicates", "verify", "sqlite")
        for line in runner.invoke(app, [command, "--help"], terminal_width=200).output.splitlines()
        if line.startswith("  -")
    }
    assert sorted(o for o in options if " " in o) == [
        "--against ARTICLE_ID",
        "--cache DIR",
        "--explain ARTICLE_ID",
        "--format [text|json]",
        "--format [text|json|github]",
        "--homepage URL",
        "--map FIELD=NAME",
        "--out DIR",
        "--raw DIR",
        "--version X.Y.Z",
        "-j, --jobs N",
        "-q, --quiet",
    ]


def test_top_level_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert re.search(
        r"^\s+validate\s+Check raw files against the declared schemas", result.output, re.M
    )
    assert re.search(
        r"^\s+build\s+Validate, deduplicate and publish a release\.", result.output, re.M
    )


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert (result.exit_code, result.output) == (0, f"kcna-dataset {__version__}\n")


def test_build_shipped_raw(raw_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    result = runner.invoke(app, ["build", "--raw", str(raw_copy), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-1] == f"Release written to {out.as_posix()}/1.0.0/"
    assert "│ statements        │ 433 │" in lines
    assert "│ duplicates merged │ 255 │" in lines
    assert (out / "1.0.0" / "datapackage.json").is_file()


def test_build_json_and_quiet(raw_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    result = runner.invoke(app, ["build", "--raw", str(raw_copy), "--out", str(out), "--json"])
    assert result.exit_code == 0
    summary = json.loads(result.output)
    assert {
        k: summary[k] for k in ("version", "records", "articles", "statements", "rejected")
    } == {"version": "1.0.0", "records": 688, "articles": 688, "statements": 433, "rejected": 0}
    result = runner.invoke(
        app, ["build", "--raw", str(raw_copy), "--out", str(out), "--version", "1.0.1", "--quiet"]
    )
    assert (result.exit_code, result.output) == (0, f"{out.as_posix()}/1.0.1\n")


def test_build_refuses_existing_release(raw_copy: Path, released: Path) -> None:
    out = released
    result = runner.invoke(
        app, ["build", "--raw", str(raw_copy), "--out", str(out), "--version", "1.0.0"]
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: release 1.0.0 already exists in {out}\n"
        "Hint: Releases are immutable: pass --version X.Y.Z for a new one (or --force to "
        "replace it).\n"
    )


def test_build_with_nothing_changed_publishes_nothing(raw_copy: Path, released: Path) -> None:
    out = released
    result = runner.invoke(app, ["build", "--raw", str(raw_copy), "--out", str(out)])
    assert (result.exit_code, result.output) == (0, "nothing changed since 1.0.0\n")
    assert sorted(p.name for p in out.iterdir()) == [".build.lock", "1.0.0", "latest"]
    # machines get the summary still: no release, no change level
    as_json = runner.invoke(app, ["build", "--raw", str(raw_copy), "--out", str(out), "--json"])
    summary = json.loads(as_json.output)
    assert (as_json.exit_code, summary["release"], summary["change"]) == (0, None, None)
    assert (summary["version"], summary["statements"]) == ("1.0.0", 433)
    # the dedup stage's own stages, in the order they ran
    assert list(summary["dedup_seconds"]) == [
        "units",
        "candidates",
        "verification+clustering",
        "statements",
    ]


def test_verify_command(released: Path, tmp_path: Path) -> None:
    out = released
    result = runner.invoke(app, ["verify", str(out / "1.0.0")])
    assert (result.exit_code, result.output) == (
        0,
        "valid: 17 files checksummed, 8 tables checked, 0 problems\n",
    )
    changelog = out / "1.0.0" / "CHANGELOG.md"
    changelog.write_bytes(changelog.read_bytes().replace(b"First", b"Fir5t"))
    result = runner.invoke(app, ["verify", str(out / "1.0.0")])
    assert (result.exit_code, result.output) == (
        1,
        "CHANGELOG.md: checksum: SHA-256 differs from SHA256SUMS: the file changed\n"
        "damaged: 17 files checksummed, 8 tables checked, 1 problems\n",
    )
    result = runner.invoke(app, ["verify", str(tmp_path)])
    assert result.exit_code == 2


def test_build_strict_failure_lists_findings(raw_copy: Path, tmp_path: Path) -> None:
    (raw_copy / "bad.txt").write_text(page(date_field="31/02/2024"))
    result = runner.invoke(app, ["build", "--raw", str(raw_copy), "--out", str(tmp_path / "d")])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        "bad.txt:6: error date-invalid: '31/02/2024' is not a real date (DD/MM/YYYY) — hint: "
        "KCNA Watch pages write Date: as day/month/year (01/02/2018 is 1 February 2018); "
        "scraper records as YYYY-MM-DD, an ISO date-time (its date is taken as written) or "
        "milliseconds since 1970 UTC."
    )
    assert result.stderr.splitlines() == [
        "Error: 1 of 689 input records are invalid; nothing was published",
        "Hint: Fix them (see `kcna-dataset validate`), or pass --skip-invalid to publish the "
        "valid ones and record the rejected ones in the release.",
    ]
    assert not (tmp_path / "d" / "1.0.0").exists()


def test_build_usage_errors(tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", "--raw", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == f"Error: raw folder {tmp_path / 'none'} does not exist"
    result = runner.invoke(app, ["build", "--version", "one"])
    assert (result.exit_code, result.stderr.splitlines()[0]) == (
        2,
        "Error: version 'one' is not X.Y.Z",
    )


def test_validate_valid_exit_0(raw_copy: Path) -> None:
    result = runner.invoke(app, ["validate", str(raw_copy)])
    jsonl = "kcna-kp/kcna-kp-en-2023-12_2024-08.jsonl"
    assert (result.exit_code, result.output.splitlines()) == (
        0,
        [
            f"{jsonl}:26: warning duplicate-record: identical to the record at {jsonl}#L25; "
            "both are kept as copies — hint: Remove one of them if it was added twice by "
            "mistake.",
            f"{jsonl}:28: warning dateline-mismatch: published date 2024-02-12 is 2 days from "
            "the dateline (Pyongyang, February 10 (KCNA)) — hint: Check the date; kcna.kp "
            "datelines are sometimes a day or two off the page date.",
            "valid: 688 records in 5 files (1 ignored): 688 accepted, 0 rejected; 0 errors, "
            "2 warnings",
        ],
    )


def test_validate_invalid_exit_1(tmp_path: Path) -> None:
    (tmp_path / "p.txt").write_text(page(label="Daily NK (En)", line_label="Daily NK (En)"))
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output == (
        "p.txt:2: error source-unknown: unknown source 'Daily NK (En)' — hint: Add the outlet to "
        "schemas/sources.json (label, slug, site, language, priority).\n"
        "invalid: 1 record in 1 file: 0 accepted, 1 rejected; 1 error, 0 warnings\n"
    )


def test_validate_github_annotations(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    (raw / "sub").mkdir(parents=True)
    (raw / "sub" / "p.txt").write_text(page(date_field="31/02/2024"))
    (raw / "r.jsonl").write_text('{"headline": 1,\n')
    result = runner.invoke(app, ["validate", str(raw), "--format", "github"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"::error file={raw.as_posix()}/r.jsonl,line=1,col=16,title=jsonl-malformed::not a JSON "
        "object: Expecting property name enclosed in double quotes. Each line of a .jsonl file "
        "is one JSON object; check quoting and commas.",
        f"::error file={raw.as_posix()}/sub/p.txt,line=6,title=date-invalid::'31/02/2024' is not "
        "a real date (DD/MM/YYYY). KCNA Watch pages write Date: as day/month/year (01/02/2018 is "
        "1 February 2018); scraper records as YYYY-MM-DD, an ISO date-time (its date is taken "
        "as written) or milliseconds since 1970 UTC.",
        "invalid: 2 records in 2 files: 0 accepted, 2 rejected; 2 errors, 0 warnings",
    ]


def test_validate_json_equals_library_report(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(page())
    (tmp_path / "bad.txt").write_text(page(date_field="31/02/2024"))
    result = runner.invoke(app, ["validate", str(tmp_path), "--format", "json"])
    assert result.exit_code == 1
    parsed = json.loads(result.output)
    assert parsed == validate_paths([tmp_path]).to_dict()
    assert parsed["valid"] is False
    assert parsed["files"][0] == {
        "path": "bad.txt",
        "status": "invalid",
        "valid": False,
        "records": 1,
        "accepted": 0,
        "rejected": 1,
        "warnings": [],
        "errors": [
            {
                "code": "date-invalid",
                "severity": "error",
                "message": "'31/02/2024' is not a real date (DD/MM/YYYY)",
                "line": 6,
                "column": None,
                "hint": "KCNA Watch pages write Date: as day/month/year (01/02/2018 is 1 "
                "February 2018); scraper records as YYYY-MM-DD, an ISO date-time (its date is "
                "taken as written) or milliseconds since 1970 UTC.",
                # what the message was made of, for machines
                "params": {"value": "31/02/2024", "form": "DD/MM/YYYY"},
            }
        ],
    }
    # flattened, as frictionless's Report.flatten: one row per finding, the asked-for keys
    report = validate_paths([tmp_path])
    assert report.flatten(["path", "line", "code", "value", "field"]) == [
        ["bad.txt", 6, "date-invalid", "31/02/2024", None]
    ]


def test_validate_usage_error_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == f"Error: no such file or folder: {tmp_path / 'missing'}"
    result = runner.invoke(app, ["validate", "--format", "xml"])
    assert result.exit_code == 2


def test_the_cli_starts_without_the_data_libraries() -> None:
    """`kcna-dataset --help` took 0.8-1.5 s importing pandas, pandera and pyarrow it did not
    need: each command imports its stages when it runs (timed in bench/startup_bench.py)."""
    import subprocess
    import sys

    code = (
        "import sys, kcna_dataset, kcna_dataset.cli; "
        "print(sorted(m for m in ('pandas', 'pandera', 'pyarrow', 'numpy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"


def test_validate_checks_a_page_without_pandas(tmp_path: Path) -> None:
    """A pre-commit hook validates a few files: pandas and pandera (0.35 s to import) are for
    the release's checks, not for validate (pyarrow imports pandas from `arrow.array` and
    `arrow.scalar`, so schema.to_arrow avoids them)."""
    import subprocess
    import sys

    (tmp_path / "a.txt").write_text(page(), encoding="utf-8")
    code = (
        "import sys\n"
        "from kcna_dataset.cli import app\n"
        "try:\n"
        f"    app(['validate', {str(tmp_path / 'a.txt')!r}])\n"
        "except SystemExit as e:\n"
        "    heavy = ('pandas', 'pandera', 'matplotlib', 'kcna_dataset.stages.dedup.verify',\n"
        "             'kcna_dataset.stages.dedup.sketch', 'kcna_dataset.release.publish')\n"
        "    print(e.code, sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # nor the dedup stage (its modules load when a build sketches) or the release
    assert done.stdout.splitlines()[-1] == "0 []"
    assert done.stdout.splitlines()[0].startswith("valid: 1 record in 1 file")


def _bad_and_warned(raw: Path) -> None:
    raw.mkdir()
    (raw / "bad.txt").write_text(page(date_field="31/02/2024"), encoding="utf-8")
    # two days from its dateline and stamp: two warnings, no error
    (raw / "warn.txt").write_text(page(date_field="15/09/2024", title="Other"), encoding="utf-8")


def test_a_refused_build_prints_its_errors_even_when_quiet(tmp_path: Path) -> None:
    """--quiet says "only the release path and errors": it printed only the count line."""
    _bad_and_warned(tmp_path / "raw")
    args = ["build", "--raw", str(tmp_path / "raw"), "--out", str(tmp_path / "dist")]
    loud, quiet = runner.invoke(app, args), runner.invoke(app, [*args, "--quiet"])
    assert (loud.exit_code, quiet.exit_code) == (1, 1)
    codes = [line.split(": ")[1] for line in loud.stdout.splitlines()]
    assert codes == ["error date-invalid", "warning dateline-mismatch", "warning stamp-mismatch"]
    assert quiet.stdout.splitlines() == loud.stdout.splitlines()[:1]
    assert (
        quiet.stderr
        == loud.stderr
        == (
            "Error: 1 of 2 input records are invalid; nothing was published\n"
            "Hint: Fix them (see `kcna-dataset validate`), or pass --skip-invalid to publish the "
            "valid ones and record the rejected ones in the release.\n"
        )
    )
    # --json: the validation report on stdout, as `validate --format json` writes it
    as_json = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert (as_json["valid"], as_json["summary"]["rejected"]) == (False, 1)


def test_skip_invalid_with_every_record_rejected_shows_the_rejections(tmp_path: Path) -> None:
    """It said "no valid articles ... add pages to the folder", without the findings."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "bad.txt").write_text(page(date_field="31/02/2024"), encoding="utf-8")
    result = runner.invoke(
        app, ["build", "--raw", str(raw), "--out", str(tmp_path / "dist"), "--skip-invalid"]
    )
    assert result.exit_code == 1
    assert result.stdout.startswith("bad.txt:6: error date-invalid: '31/02/2024' is not a real")
    assert result.stderr == (
        "Error: the one input record is invalid; nothing was published\n"
        "Hint: Every record was rejected, so --skip-invalid has nothing to publish: fix them "
        "(see `kcna-dataset validate`).\n"
    )
    assert not (tmp_path / "dist").exists()


def test_github_annotations_stop_at_githubs_limit_errors_first(tmp_path: Path) -> None:
    """A re-scraped archive gave thousands of annotations; GitHub shows 10 errors and 10
    warnings of a step."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for n in range(26):
        (raw / f"w{n:02d}.txt").write_text(  # two warnings each (dateline and stamp)
            page(date_field="15/09/2024", title=f"Warned {n}"), encoding="utf-8"
        )
        (raw / f"x{n:02d}.txt").write_text(page(date_field="31/02/2024"), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(raw), "--format", "github"])
    lines = result.stdout.splitlines()[:-1]  # the summary line last
    assert [line.split(" ")[0] for line in lines] == ["::error"] * 10 + ["::warning"] * 10
    assert (lines[9], lines[19]) == (
        "::error title=more errors::17 more error annotations not shown: GitHub shows 10 of a "
        "step (kcna-dataset validate --format json lists every finding)",
        "::warning title=more warnings::43 more warning annotations not shown: GitHub shows 10 "
        "of a step (kcna-dataset validate --format json lists every finding)",
    )


def test_a_homepage_given_when_nothing_changed_is_said_not_published(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text(page(), encoding="utf-8")
    args = ["build", "--raw", str(raw), "--out", str(tmp_path / "dist")]
    assert runner.invoke(app, args).exit_code == 0
    again = runner.invoke(app, [*args, "--homepage", "https://example.org/kcna"])
    assert (again.exit_code, again.stdout) == (0, "nothing changed since 1.0.0\n")
    assert again.stderr == (
        "Warning: --homepage https://example.org/kcna was not published: the data did not "
        "change since 1.0.0, whose homepage is not set; pass --version X.Y.Z to publish it in "
        "a new release\n"
    )
    published = runner.invoke(
        app, [*args, "--homepage", "https://example.org/kcna", "--quiet", "--version", "1.0.1"]
    )
    assert published.exit_code == 0
    package = json.loads((tmp_path / "dist" / "1.0.1" / "datapackage.json").read_text())
    assert package["homepage"] == "https://example.org/kcna"
    # the same homepage again: nothing to say
    quiet = runner.invoke(app, [*args, "--homepage", "https://example.org/kcna"])
    assert (quiet.stdout, quiet.stderr) == ("nothing changed since 1.0.1\n", "")


def test_build_json_says_a_refusal_in_json(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text(page(), encoding="utf-8")
    args = ["build", "--raw", str(raw), "--out", str(tmp_path / "dist"), "--json"]
    assert runner.invoke(app, args).exit_code == 0
    again = runner.invoke(app, [*args, "--version", "1.0.0"])
    assert again.exit_code == 1
    assert json.loads(again.stdout) == {
        "error": f"release 1.0.0 already exists in {tmp_path / 'dist'}",
        "hint": "Releases are immutable: pass --version X.Y.Z for a new one (or --force to "
        "replace it).",
    }


def test_the_console_script_exits_with_the_code_and_all_output(tmp_path: Path) -> None:
    """`run` (the console script) ends with os._exit to skip the interpreter's teardown: the
    exit code, everything printed and the exit functions (a spool's temporary folder) must
    survive it."""
    import subprocess
    import sys

    _bad_and_warned(tmp_path / "raw")
    code = (
        "import atexit\n"
        "from kcna_dataset.cli import run\n"
        "atexit.register(print, 'exit functions ran')\n"
        "run()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "validate", str(tmp_path / "raw")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[-1] == "exit functions ran"
    assert lines[-2].startswith("invalid: 2 records in 2 files")
    version = subprocess.run(
        [sys.executable, "-c", code, "--version"], capture_output=True, text=True
    )
    assert (version.returncode, version.stdout) == (0, "kcna-dataset 0.1.0\nexit functions ran\n")


@pytest.mark.parametrize(("preset", "expected"), [(None, "system"), ("jemalloc", "jemalloc")])
def test_the_console_script_picks_arrows_allocator_unless_the_user_did(
    tmp_path: Path, preset: str | None, expected: str
) -> None:
    """`run` asks for the system allocator (mimalloc waits on huge-page compaction, cli.py)
    before pyarrow is imported (checked here in the main process; a build's workers are forked
    from it); a choice in the environment stays."""
    import os
    import subprocess
    import sys

    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "a.txt").write_text(page(), encoding="utf-8")
    code = (
        "import atexit\n"
        "from kcna_dataset.cli import run\n"
        "def said():\n"
        "    import pyarrow\n"
        "    print(pyarrow.default_memory_pool().backend_name)\n"
        "atexit.register(said)\n"
        "run()\n"
    )
    folders = ["--raw", str(tmp_path / "raw"), "--out", str(tmp_path / "dist")]
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if preset is not None:
        env["ARROW_DEFAULT_MEMORY_POOL"] = preset
    done = subprocess.run(
        [sys.executable, "-c", code, "build", "--quiet", "--no-cache", *folders],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == expected
