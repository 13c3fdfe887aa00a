"""The package's structure, held to what docs/ARCHITECTURE.md says of it: no import cycle,
leaves that import only leaves, stages that know nothing of the release or the workers, a
release that imports no stage."""

from __future__ import annotations

import ast
from pathlib import Path

from helpers import REPO

PACKAGE = REPO / "kcna_dataset"
LEAVES = {
    "config",
    "declarations",
    "exceptions",
    "findings",
    "language",
    "limits",
    "names",
    "records",
    "report",
    "runtime.memory",
    "schema",
    "sources",
    "timing",
    "version",
}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """module -> the package's modules it imports (function-level imports included; imports
    under `if TYPE_CHECKING:` left out: they never run)."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
                node.body = []
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kcna_dataset"):
                base = (node.module or "").removeprefix("kcna_dataset").lstrip(".")
                for alias in node.names:
                    target = f"{base}.{alias.name}".lstrip(".")
                    graph[module].add(target if target in modules else base)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("kcna_dataset."):
                        graph[module].add(alias.name.removeprefix("kcna_dataset."))
        graph[module].discard(module)
        graph[module].discard("")  # `from kcna_dataset import __version__`: the package face
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                return [*path[path.index(n) :], n]
            if n not in state and (found := visit(n)):
                return found
        path.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_import_cycle() -> None:
    assert _cycle(import_graph()) is None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_leaves_import_only_leaves() -> None:
    graph = import_graph()
    assert set(graph) >= LEAVES
    assert {m: sorted(graph[m] - LEAVES) for m in LEAVES if graph[m] - LEAVES} == {}


def test_the_parts_import_what_the_architecture_says() -> None:
    """stages/ and release/ never import the orchestration or the workers; release/ imports
    no stage."""
    graph = import_graph()
    above = {"build", "validate", "duplicates", "cli", "runtime.workers", "runtime.cache"}
    wrong = {
        m: sorted(
            t for t in targets if t in above or (m.startswith("release") and t.startswith("stages"))
        )
        for m, targets in graph.items()
        if m.startswith(("stages", "release"))
    }
    assert {m: t for m, t in wrong.items() if t} == {}
