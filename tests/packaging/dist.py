"""Build the package as `make dist` does: the sdist, then the wheel from it (python -m build)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def build_dist(outdir: Path) -> tuple[Path, Path]:
    """`python -m build --no-isolation` (the pinned setuptools of requirements/dev.txt); (wheel, sdist)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(outdir), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=outdir,
        env=env,
        check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    (wheel,) = outdir.glob("purchase_predictor-*-py3-none-any.whl")
    (sdist,) = outdir.glob("purchase_predictor-*.tar.gz")
    return wheel, sdist


def spark_py_file(wheel: Path, folder: Path) -> Path:
    """The wheel under a .zip name, as `make spark-wheel` ships it to spark-submit --py-files."""
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(wheel, folder / wheel.with_suffix(".zip").name))
