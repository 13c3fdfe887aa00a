"""The wheel holds the whole package: `pip install .` (not only `-e .`) gives a working tool."""

from __future__ import annotations

import tomllib

from helpers import REPO


def test_every_package_directory_is_listed_for_the_wheel() -> None:
    # setuptools ships only the packages named here; an editable install hides a missing one
    # (the source tree is on sys.path), a wheel does not
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "kcna_dataset").rglob("__init__.py")
    }
    assert set(setuptools["packages"]) == on_disk | {"kcna_dataset.schemas"}
    assert setuptools["package-dir"] == {"kcna_dataset.schemas": "schemas"}
    assert sorted(p.name for p in (REPO / "schemas").iterdir()) == [
        "articles.schema.json",
        "dataset.json",
        "rejections.schema.json",
        "sources.json",
        "sources.schema.json",
        "statements.schema.json",
    ]
    assert setuptools["package-data"] == {
        "kcna_dataset.schemas": ["*.json"],
        "kcna_dataset": ["py.typed"],  # PEP 561
    }
    assert (REPO / "kcna_dataset" / "py.typed").is_file()


def test_the_pre_commit_hooks_run_commands_the_test_extra_installs() -> None:
    import yaml  # installed with `datasets` (test extra)

    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    hooks = [h for repo in config["repos"] for h in repo["hooks"]]
    assert [(h["id"], h["entry"].split()[0]) for h in hooks] == [
        ("ruff-check", "ruff"),
        ("ruff-format", "ruff"),
        ("mypy", "mypy"),
        ("kcna-dataset-validate", "kcna-dataset"),
    ]
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    test_extra = " ".join(project["optional-dependencies"]["test"])
    assert all(tool in test_extra for tool in ("ruff", "mypy"))
    assert "kcna-dataset" in project["scripts"]
