"""pyproject.toml and requirements/: the product packages only, one version, the same lists everywhere."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from purchase_predictor import __version__
from purchase_predictor.exit_codes import Exit

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
NOT_SHIPPED = {"bench", "tests"}  # packages of the repository that are not the product
EXTRAS = PYPROJECT["project"]["optional-dependencies"]
LISTS = {"runtime": PYPROJECT["project"]["dependencies"], **EXTRAS}  # requirements/NAME.in : its list


def requirement_names(path: Path) -> list[str]:
    """The requirements a .in file lists (comments and -c constraints left out)."""
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def test_the_package_lists_every_product_package_and_nothing_else() -> None:
    top_level = {p.parent.name for p in REPO.glob("*/__init__.py") if not p.parent.name.startswith(".")}
    product = top_level - NOT_SHIPPED
    # subpackages too (setuptools' explicit list ships only what it names: service.front was once left out)
    packages = {
        ".".join(p.parent.relative_to(REPO).parts)
        for top in product
        for p in (REPO / top).rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert set(PYPROJECT["tool"]["setuptools"]["packages"]) == packages
    assert {"runtime", "monitoring", "purchase_predictor", "service.front"} <= packages


@pytest.mark.parametrize("name", sorted(LISTS))
def test_each_requirements_in_file_is_its_pyproject_list(name: str) -> None:
    assert requirement_names(REPO / "requirements" / f"{name}.in") == LISTS[name]


@pytest.mark.parametrize("name", sorted(LISTS))
def test_each_pinned_file_pins_every_name_of_its_list(name: str) -> None:
    pinned = {
        re.split(r"[\[=]", line)[0].lower()
        for line in (REPO / "requirements" / f"{name}.txt").read_text().splitlines()
        if "==" in line and not line.startswith(" ")
    }
    wanted = {re.split(r"[\[<>=]", requirement)[0].lower() for requirement in LISTS[name]}
    assert wanted <= pinned


def test_serving_and_the_batch_cli_need_no_training_library() -> None:
    dependencies = set(LISTS["runtime"])
    assert {"onnx", "onnxruntime", "pyarrow", "flask", "gunicorn"} <= dependencies
    assert not dependencies & {"scikit-learn", "pandas", "xgboost-cpu", "pyspark", "psycopg[binary]"}
    assert "build" in LISTS["dev"]


def test_one_version_read_from_the_command_package() -> None:
    assert PYPROJECT["project"]["dynamic"] == ["version"] and "version" not in PYPROJECT["project"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "purchase_predictor.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)
    assert PYPROJECT["project"]["scripts"] == {"purchase-predictor": "purchase_predictor.cli:main"}


def test_the_reference_page_documents_every_exit_code() -> None:
    page = (REPO / "docs" / "reference" / "cli.md").read_text()
    documented = {int(code) for code in re.findall(r"^\| (\d+) +\|", page, re.MULTILINE)}
    assert {int(code) for code in Exit} <= documented


def test_make_help_prints_variables_as_a_shell_would() -> None:
    result = subprocess.run(
        ["make", "-s", "help"], capture_output=True, text=True, cwd=REPO, timeout=60, check=True
    )
    assert "$PORT" in result.stdout and "$$" not in result.stdout
    for target in ("train", "export", "parity", "score", "drift", "deploy-model", "dist", "spark-wheel"):
        assert f"  {target} " in result.stdout
