"""The built package and fresh venvs it is installed in, outside the repository, kept for the session."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.packaging.dist import REPO, build_dist


@dataclass(frozen=True)
class Venv:
    """A virtual environment with the wheel installed, run with nothing from the source tree importable."""

    root: Path
    workdir: Path  # an empty folder outside the repository: the cwd of every run

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def command(self) -> Path:
        return self.root / "bin" / "purchase-predictor"

    def env(self, **extra: str) -> dict[str, str]:
        """The caller's environment without PYTHONPATH or PREDICT_*, with this venv first on PATH."""
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("PREDICT_")}
        return {**env, "PATH": f"{self.root / 'bin'}{os.pathsep}{env.get('PATH', '')}", **extra}

    def run(self, *args: str, timeout: float = 600, **env: str) -> subprocess.CompletedProcess[str]:
        """`purchase-predictor ARGS` (or `python …` when args start with "python")."""
        command = [str(self.python), *args[1:]] if args[:1] == ("python",) else [str(self.command), *args]
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.workdir,
            env=self.env(**env),
            check=False,
        )


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(wheel, sdist) from `python -m build`."""
    return build_dist(tmp_path_factory.mktemp("dist"))


def make_venv(folder: Path, requirement: str, *constraints: str) -> Venv:
    """A fresh venv with `pip install REQUIREMENT -c requirements/X.txt …` from the package index."""
    assert not folder.resolve().is_relative_to(REPO)
    workdir = folder / "work"
    workdir.mkdir(parents=True)
    venv = Venv(folder / "venv", workdir)
    subprocess.run([sys.executable, "-m", "venv", str(venv.root)], check=True, timeout=300, cwd=workdir)
    pins = [arg for name in constraints for arg in ("-c", str(REPO / "requirements" / f"{name}.txt"))]
    result = subprocess.run(
        [str(venv.python), "-m", "pip", "install", "--disable-pip-version-check", "-q", requirement, *pins],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=workdir,
        env=venv.env(),
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return venv


@pytest.fixture(scope="session")
def runtime_venv(dist: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """The wheel with its runtime dependencies only (pins of requirements/runtime.txt)."""
    return make_venv(tmp_path_factory.mktemp("runtime"), str(dist[0]), "runtime")


@pytest.fixture(scope="session")
def training_venv(dist: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """The wheel with the [training] extra (pins of requirements/runtime.txt and training.txt)."""
    return make_venv(tmp_path_factory.mktemp("training"), f"{dist[0]}[training]", "runtime", "training")


@pytest.fixture(autouse=True)
def _root_logger_restored() -> Iterator[None]:
    """The command sets up logging on the root logger (a process of its own would exit after it); the tests
    that run it in this process put the root logger back, so later suites see their usual levels."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
