"""The docs stay true: README commands match CI, the error catalogue matches the code."""

from __future__ import annotations

import re

from helpers import REPO

from kcna_dataset.findings import CATALOGUE, catalogue_markdown


def readme_commands() -> list[str]:
    readme = (REPO / "README.md").read_text()
    quick_start = readme.split("## Quick start")[1].split("## Commands")[0]
    return re.findall(r"```bash\n(.+?)\n```", quick_start)


def test_readme_has_two_quick_start_commands_and_ci_runs_the_test_one() -> None:
    install_and_build, install_and_test = readme_commands()
    assert install_and_build.endswith("kcna-dataset build")
    assert "pytest" in install_and_test
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert install_and_test in ci


def test_error_catalogue_doc_is_generated_from_code() -> None:
    assert (REPO / "docs" / "ERRORS.md").read_text() == catalogue_markdown()


def test_codes_are_kebab_case_with_hints() -> None:
    for code, entry in CATALOGUE.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", code)
        assert entry.hint.endswith(".") and entry.template


def test_contributing_and_workflow_describe_the_same_commands() -> None:
    workflow = (REPO / ".github" / "workflows" / "validate.yml").read_text()
    contributing = (REPO / "CONTRIBUTING.md").read_text()
    assert "kcna-dataset validate --format github" in workflow
    assert "kcna-dataset build" in workflow
    assert "--diff-filter=ACMR" in workflow  # deleted files are not validated
    for text in (
        "kcna-dataset validate --format github",
        "kcna-dataset build",
        ".github/workflows/validate.yml",
        "docs/ERRORS.md",
    ):
        assert text in contributing


def test_every_test_reliability_md_names_exists() -> None:
    """docs/RELIABILITY.md shows each promise by a test: a renamed or deleted test would leave
    a promise without its evidence."""
    text = (REPO / "docs" / "RELIABILITY.md").read_text()
    named: list[tuple[str, str]] = []
    for cell in re.findall(r"\| ([^|]*tests/[^|]*) \|\n", text):
        module = ""
        for ref in re.findall(r"`([^`]+)`", cell):
            path, _, test = ref.rpartition("::")
            module = path or module
            named.append((module, test))
    assert len(named) >= 30
    for module, test in named:
        source = (REPO / module).read_text()
        assert re.search(rf"^def {test}\(", source, re.MULTILINE), f"{module}::{test}"


def test_releases_carry_the_repositorys_data_licence() -> None:
    from kcna_dataset.release.card import data_licence

    assert (REPO / "LICENSE-DATA.md").read_text() == data_licence()
    assert (REPO / "LICENSE").read_text().startswith("MIT License")
    assert "cff-version: 1.2.0" in (REPO / "CITATION.cff").read_text()


def test_the_pre_commit_hook_runs_validate_on_raw_files() -> None:
    import yaml

    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert (hook["id"], hook["entry"], hook["language"]) == (
        "kcna-dataset-validate",
        "kcna-dataset validate",
        "python",
    )
    assert re.match(hook["files"], "raw/kcna-kp/x.jsonl")
    assert not re.match(hook["files"], "kcna_dataset/cli.py")


def test_the_readme_layout_names_every_module() -> None:
    """The README's Layout stays true as modules come and go: every module and folder of the
    package is named in it."""
    layout = (REPO / "README.md").read_text(encoding="utf-8").split("## Layout", 1)[1]
    layout = layout.split("\n## ", 1)[0]
    package = REPO / "kcna_dataset"
    names = {p.name for p in package.rglob("*.py")} | {
        p.name + "/" for p in package.rglob("*") if p.is_dir() and p.name != "__pycache__"
    }
    names -= {"schemas/"}  # a link to the top-level schemas/ in some checkouts
    assert sorted(n for n in names if n not in layout) == []
