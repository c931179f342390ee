"""The service runs in a venv holding only requirements/runtime.txt (cached in .venv-runtime/)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.onnx_factory import expected_probability
from tests.service.server import REPO, running_server

pytestmark = pytest.mark.integration
RUNTIME_VENV = REPO / ".venv-runtime"
REQUIREMENTS = REPO / "requirements" / "runtime.txt"
STAMP = RUNTIME_VENV / ".requirements.sha256"


def runtime_python() -> Path:
    """Create or reuse the runtime-only venv; rebuilt when requirements/runtime.txt changes."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    python = RUNTIME_VENV / "bin" / "python"
    if python.exists() and STAMP.exists() and STAMP.read_text().strip() == digest:
        return python
    shutil.rmtree(RUNTIME_VENV, ignore_errors=True)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(RUNTIME_VENV)], check=True, timeout=300)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", str(REQUIREMENTS)],
        check=True,
        timeout=900,
    )
    STAMP.write_text(digest)
    return python


@pytest.fixture(scope="module")
def runtime_venv_python() -> Path:
    """The runtime-only interpreter."""
    return runtime_python()


@pytest.mark.parametrize("module", ["sklearn", "pandas", "xgboost", "skl2onnx"])
def test_training_libraries_are_absent(runtime_venv_python: Path, module: str) -> None:
    result = subprocess.run(
        [str(runtime_venv_python), "-c", f"import {module}"], capture_output=True, timeout=60
    )
    assert result.returncode != 0 and b"ModuleNotFoundError" in result.stderr


def test_the_runtime_venv_reads_the_forest_into_a_lookup_table(runtime_venv_python: Path) -> None:
    """onnx is a runtime dependency: it reads the forest's split points (runtime/forest_table.py)."""
    code = (
        "from pathlib import Path; from runtime.predictor import Predictor; "
        "print(Predictor.from_path(Path('models/purchase_model.onnx')).table is not None)"
    )
    result = subprocess.run(
        [str(runtime_venv_python), "-c", code],
        capture_output=True,
        timeout=120,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.strip() == b"True", result.stderr.decode()[-500:]


def test_service_answers_from_the_runtime_venv(runtime_venv_python: Path, model_path: Path) -> None:
    with running_server(model_path, python=str(runtime_venv_python), PREDICT_WORKERS="2") as server:
        response = requests.post(
            f"{server.url}/predict", json={"age": 45, "salary": 90000, "gender": "Female"}, timeout=10
        )
        assert response.status_code == 200
        body = response.json()
        assert body["probability"] == round(expected_probability(45, 90000, "Female"), 4)
        assert body["prediction"] == "Yes"
        counted = 'predict_predictions_total{outcome="Yes"} 1.0'
        deadline = time.monotonic() + 20  # the worker flushes its metrics every 0.2 s (later under load)
        while counted not in (text := requests.get(f"{server.url}/metrics", timeout=30).text):
            assert time.monotonic() < deadline, f"the prediction was never counted: {text[-500:]}"
            time.sleep(0.2)
