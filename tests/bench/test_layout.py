"""bench/'s layout holds: the harness imports no benchmark, the apps import neither, and only the harness's
/proc walker reads /proc."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
# bench/batch.py still has its own /proc walk until it imports bench.harness.procs (another branch edits it)


def _bench_imports(path: Path) -> set[str]:
    """Every bench.* module a file imports (absolute imports; bench/ uses no relative ones)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("bench")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bench"):
            module = node.module or ""
            found |= {f"{module}.{alias.name}" if module == "bench" else module for alias in node.names}
    return found


@pytest.mark.parametrize(
    ("folder", "allowed"),
    [("harness", ("bench.harness", "bench.apps")), ("apps", ("bench.apps",))],
)
def test_the_harness_and_the_apps_import_no_benchmark(folder: str, allowed: tuple[str, ...]) -> None:
    strays = {
        f"{path.name}: {name}"
        for path in (BENCH / folder).glob("*.py")
        for name in _bench_imports(path)
        if not name.startswith(allowed)
    }
    assert not strays, f"bench/{folder} imports outside {allowed}: {sorted(strays)}"


def test_only_the_harness_walker_reads_proc() -> None:
    readers = set()
    for path in BENCH.rglob("*.py"):
        strings = [n.value for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Constant)]
        if any(isinstance(s, str) and (s == "/proc" or s.startswith("/proc/")) for s in strings):
            readers.add(str(path.relative_to(BENCH)))
    assert readers == {"harness/procs.py"}
