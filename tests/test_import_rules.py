"""The architecture's import rules, read from the source: each package imports only what it may."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "runtime": {
        "flask",
        "werkzeug",
        "marshmallow",
        "sklearn",
        "pandas",
        "xgboost",
        "training",
        "export",
        "service",
        "scoring",
        "monitoring",
        "purchase_predictor",
    },
    "service": {"training", "export", "sklearn", "pandas", "xgboost"},
    "export": {"service"},
    "training": {"export", "service"},
    "monitoring": {
        "flask",
        "werkzeug",
        "marshmallow",
        "service",
        "training",
        "export",
        "sklearn",
        "pandas",
        "xgboost",
        "pyarrow",
    },
    # scoring/: batch CLI and Spark; Arrow, never pandas or the service
    "scoring": {
        "flask",
        "werkzeug",
        "marshmallow",
        "service",
        "training",
        "export",
        "sklearn",
        "pandas",
        "xgboost",
        "purchase_predictor",
    },
    # purchase_predictor/: the command; it reaches libraries only through the product's modules, lazily
    "purchase_predictor": {
        "flask",
        "werkzeug",
        "marshmallow",
        "sklearn",
        "pandas",
        "xgboost",
        "pyspark",
        "pyarrow",
        "numpy",
        "onnxruntime",
        "onnx",
        "gunicorn",
        "bench",
        "tests",
    },
}
ALLOWED = {"monitoring/drift.py": {"pyarrow"}}  # the offline file reader
HEAVY = ("flask", "sklearn", "pandas", "xgboost")


def imported_roots(path: Path) -> set[str]:
    """Top-level names of every module a file imports (absolute imports, at any depth in the file)."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def violations(package: str) -> list[str]:
    """'file imports name' for every forbidden import in a package."""
    found = []
    for path in sorted((REPO / package).rglob("*.py")):
        allowed = ALLOWED.get(str(path.relative_to(REPO)), set())
        for root in sorted(imported_roots(path) & FORBIDDEN[package] - allowed):
            found.append(f"{path.relative_to(REPO)} imports {root}")
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_its_import_rules(package: str) -> None:
    assert violations(package) == []


def test_the_checker_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\ndef f():\n    from flask import Flask\n    import sklearn.base\n")
    assert imported_roots(bad) >= {"flask", "sklearn"}


def modules_of(package: str, leave_out: frozenset[str] = frozenset()) -> list[str]:
    """Every module of a package but `leave_out`."""
    names = (p.stem for p in (REPO / package).glob("*.py") if p.stem not in {"__init__", *leave_out})
    return sorted(f"{package}.{name}" for name in names)


# runtime/ and scoring/ but the Spark module (pyspark itself loads pandas), and the command
LIGHT_MODULES = [
    *modules_of("runtime"),
    *modules_of("scoring", frozenset({"spark"})),
    *modules_of("purchase_predictor", frozenset({"__main__"})),  # the command (__main__ runs it)
]


@pytest.mark.parametrize("module", LIGHT_MODULES)
def test_importing_a_runtime_or_scoring_module_loads_no_heavy_library(module: str) -> None:
    code = f"import sys, {module}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.strip() == ""


def test_the_command_package_imports_nothing_until_a_subcommand_runs() -> None:
    assert imported_roots(REPO / "purchase_predictor" / "__init__.py") == set()  # the version: no imports
    code = (
        "import sys, purchase_predictor.cli; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'flask', 'sklearn', 'pandas', 'numpy', "
        "'onnxruntime', 'pyarrow', 'runtime', 'service', 'scoring', 'monitoring', 'training', 'export'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.strip() == "[]"


def test_score_through_the_command_loads_no_training_library(tmp_path: Path) -> None:
    # (pandas is left out here: pyarrow loads it when installed; the installed wheel's runtime has none)
    source = tmp_path / "in.csv"
    source.write_text("User ID,Age,EstimatedSalary,Gender\n1,30,40000,Male\n2,50,90000,Female\n")
    args = [
        "score",
        "--input",
        str(source),
        "--output",
        str(tmp_path / "out.csv"),
        "--model",
        str(REPO / "models" / "purchase_model.onnx"),
    ]
    code = (
        "import sys\nfrom purchase_predictor.cli import main\ntry:\n    main(sys.argv[1:])\n"
        "except SystemExit as exc:\n    assert exc.code == 0, exc.code\n"
        "print(','.join(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'xgboost', "
        "'training', 'export', 'matplotlib', 'pyspark'})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.strip() == "" and (tmp_path / "out.csv").is_file()
