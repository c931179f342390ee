"""No import cycle between the product's modules, read from the source with `ast`.

Every import counts, wherever it stands in a file (a function-level import that closes a loop is still a
loop: it only hides it until the function runs). A cycle fails the test with its modules in order.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("purchase_predictor", "runtime", "service", "scoring", "monitoring", "training", "export")
Graph = dict[str, set[str]]


def module_name(root: Path, path: Path) -> str:
    """The dotted name of a source file under `root` (a package's __init__.py is the package)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(tree: ast.Module, module: str, is_package: bool) -> set[str]:
    """Every dotted name a module imports: `import a.b`, `from a import b` (as a.b and a), relative ones."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph(root: Path, packages: tuple[str, ...]) -> Graph:
    """Module -> the product modules it imports (a name that is not a module resolves to its package)."""
    files = {module_name(root, p): p for package in packages for p in sorted((root / package).rglob("*.py"))}
    graph: Graph = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        targets = set()
        for name in imported_names(tree, module, path.name == "__init__.py"):
            while name and name not in files:  # `from a.b import function`: the module is a.b
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan), in import order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(_loop(graph, set(component)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _loop(graph: Graph, component: set[str]) -> list[str]:
    """A closed path through a component, from its first module back to it (breadth-first, shortest)."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph[node] & component):
            if target == start:
                return [*paths[node], start]
            if target not in paths:
                paths[target] = [*paths[node], target]
                queue.append(target)
    return sorted(component)  # not reached: a strongly connected component always closes


def test_the_product_has_no_import_cycle() -> None:
    found = cycles(import_graph(REPO, PACKAGES))
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(loop) for loop in found)


def test_the_graph_covers_every_package() -> None:
    graph = import_graph(REPO, PACKAGES)
    assert {name.split(".")[0] for name in graph} == set(PACKAGES)
    assert "export.binary" in graph["export.converters"]  # a module-level import
    assert "export.graph" in graph["export.binary"]


INIT = "pkg/__init__.py"


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    "files",
    [
        {INIT: "", "pkg/a.py": "from pkg.b import f\n", "pkg/b.py": "def f():\n    import pkg.a\n"},
        {INIT: "", "pkg/a.py": "from . import b\n", "pkg/b.py": "from .a import g\n"},
        {INIT: "", "pkg/sub/__init__.py": "from pkg.a import x\n", "pkg/a.py": "import pkg.sub\n"},
    ],
    ids=["function-level", "relative", "subpackage"],
)
def test_the_checker_finds_a_cycle(tmp_path: Path, files: dict[str, str]) -> None:
    _write(tmp_path, files)
    found = cycles(import_graph(tmp_path, ("pkg",)))
    assert len(found) == 1 and found[0][0] == found[0][-1] and "pkg.a" in found[0]


def test_the_checker_accepts_a_chain(tmp_path: Path) -> None:
    _write(tmp_path, {INIT: "", "pkg/a.py": "from pkg.b import f\n", "pkg/b.py": "import os\n"})
    assert cycles(import_graph(tmp_path, ("pkg",))) == []
