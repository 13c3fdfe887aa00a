"""A build never trusts a damaged previous release (issue 18): it checks the release's files
against its SHA256SUMS before taking statement ids or a version from it."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import RAW, TODAY
from typer.testing import CliRunner

from kcna_dataset.build import build
from kcna_dataset.cli import app
from kcna_dataset.exceptions import BuildError
from kcna_dataset.release.verify import verify_release


@pytest.fixture
def out(released: Path) -> Path:
    return released


def test_rewritten_ids_in_the_previous_release_stop_the_build(out: Path, tmp_path: Path) -> None:
    csv = out / "1.0.0" / "data" / "statements.csv"
    csv.write_bytes(csv.read_bytes().replace(b"s-", b"s-f", 1))  # checksums not updated
    with pytest.raises(BuildError) as raised:
        build(RAW, out, "1.1.0", today=TODAY)
    assert str(raised.value).startswith(
        f"the previous release {out / '1.0.0'} is damaged (1 problem(s); data/statements.csv: "
        "SHA-256 differs from SHA256SUMS: the file changed); nothing was published"
    )
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "1.0.0",
        "latest",
    ]


def test_a_stray_partial_release_is_an_error_not_a_crash(out: Path) -> None:
    stray = out / "99.0.0" / "data"
    stray.mkdir(parents=True)
    (stray / "articles.parquet").write_bytes(b"not parquet")
    result = CliRunner().invoke(app, ["build", "--raw", str(RAW), "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"Error: the previous release {out / '99.0.0'} is damaged (1 problem(s); SHA256SUMS: "
        "no SHA256SUMS file); nothing was published"
    )


def test_duplicates_with_a_damaged_previous_release_says_what_it_cannot_do(out: Path) -> None:
    stray = out / "99.0.0" / "data"
    stray.mkdir(parents=True)
    (stray / "articles.parquet").write_bytes(b"not parquet")
    result = CliRunner().invoke(app, ["duplicates", "--raw", str(RAW), "--out", str(out)])
    assert result.exit_code == 1
    # `duplicates` publishes nothing in any case: the error says what the damage costs
    assert result.stderr.splitlines()[0] == (
        f"Error: the previous release {out / '99.0.0'} is damaged (1 problem(s); SHA256SUMS: "
        "no SHA256SUMS file); its statement ids cannot be reused"
    )


def test_sha256sums_naming_a_file_outside_the_release_is_damage(out: Path) -> None:
    release = out / "1.0.0"
    sums = release / "SHA256SUMS"
    sums.write_text(sums.read_text() + f"{'0' * 64}  ../../etc/passwd\n")
    report = verify_release(release)
    assert [(p.check, p.file, p.message) for p in report.problems] == [
        ("checksum", "SHA256SUMS", "line 18 names a file outside the release")
    ]


def test_a_version_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    """`$` in the version pattern matched before a final newline: `1.0.0\\n` published a
    second folder."""
    result = CliRunner().invoke(
        app, ["build", "--raw", str(RAW), "--out", str(tmp_path), "--version", "1.0.0\n"]
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == "Error: version '1.0.0\\n' is not X.Y.Z"
    assert list(tmp_path.iterdir()) == []


def test_a_link_planted_at_the_latest_temporary_file_is_not_followed(
    out: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    (out / ".latest.tmp").symlink_to(victim)
    build(RAW, out, "1.0.1", today=TODAY, force=True)
    assert victim.read_text() == "keep me\n"
    assert (out / "latest").read_text() == "1.0.1\n"


def test_a_stale_latest_is_repaired_by_the_next_build(out: Path) -> None:
    """Killed after its release was renamed into place but before `latest` was written: the
    next build names the newest release again, even when nothing changed."""
    build(RAW, out, "1.1.0", today=TODAY, force=True)
    (out / "latest").write_text("1.0.0\n")  # as the kill left it
    result = build(RAW, out, today=TODAY)
    assert result.release is None  # nothing changed since 1.1.0
    assert (out / "latest").read_text() == "1.1.0\n"


def test_a_file_given_as_out_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    out.write_text("not a folder\n")
    result = CliRunner().invoke(app, ["build", "--raw", str(RAW), "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: cannot use {out} as the releases folder: it is a file",
        "Hint: Pass --out DIR with a folder the build can create and write.",
    ]


def test_verify_reports_swapped_files_and_malformed_resources(out: Path) -> None:
    release = out / "1.0.0"
    data = release / "data"
    statements, articles = data / "statements.parquet", data / "articles.parquet"
    swap = data / "swap.tmp"
    statements.rename(swap)
    articles.rename(statements)
    swap.rename(articles)
    package = release / "datapackage.json"
    text = package.read_text()
    package.write_text(text.replace('"path": "data/sources.csv"', '"path": 7', 1))
    report = verify_release(release)  # reports, never raises
    changed = "SHA-256 differs from SHA256SUMS: the file changed"
    assert [(p.check, p.file, p.message) for p in report.problems] == [
        ("checksum", "data/articles.parquet", changed),
        ("checksum", "data/statements.parquet", changed),
        ("checksum", "datapackage.json", changed),
        ("datapackage", "data/statements.parquet", "hash differs from datapackage.json"),
        ("datapackage", "data/articles.parquet", "hash differs from datapackage.json"),
        ("datapackage", "datapackage.json", "resource 5 has no path"),
        (
            "schema",
            "data/statements.parquet",
            "cannot be checked against its schema: "
            "'Field \"canonical_article_id\" does not exist in schema'",
        ),
        (
            "schema",
            "data/articles.parquet",
            "cannot be checked against its schema: 'Field \"article_id\" does not exist in schema'",
        ),
    ]


def test_verify_compares_csv_with_parquet(out: Path) -> None:
    """A CSV edited together with its checksums (a consistent forgery) still differs from the
    Parquet file of its table."""
    release = out / "1.0.0"
    csv = release / "data" / "sources.csv"
    csv.write_bytes(csv.read_bytes().replace(b"Voice of Korea", b"Voice of Korez", 1))
    report = verify_release(release)
    assert ("csv", "data/sources.csv", "holds other rows than data/sources.parquet") in {
        (p.check, p.file, p.message) for p in report.problems
    }
