"""Checks against the real models/purchase_model.onnx; skipped until the export engineer commits it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from runtime.predictor import Predictor
from service.http.app import create_app
from service.process.settings import Settings
from tests.service.conftest import COMMITTED_MODEL, REPO

FORBIDDEN = {"sklearn", "pandas", "xgboost", "skl2onnx", "onnx", "onnxmltools", "joblib"}
needs_model = pytest.mark.skipif(
    not COMMITTED_MODEL.exists(), reason="models/purchase_model.onnx not exported yet"
)


@needs_model
def test_committed_model_loads_and_reproduces_its_golden_examples() -> None:
    predictor = Predictor.from_path(COMMITTED_MODEL)
    assert predictor.ready and 0 < predictor.threshold < 1


@needs_model
def test_committed_model_serves_the_issue_example() -> None:
    app = create_app(Settings(model_path=COMMITTED_MODEL), Predictor.from_path(COMMITTED_MODEL))
    response = app.test_client().post("/predict", json={"age": 45, "salary": 90000, "gender": "Male"})
    assert response.status_code == 200
    body = response.get_json()
    assert 0 <= body["probability"] <= 1
    decided_on_rounded = "Yes" if body["probability"] >= body["threshold"] else "No"
    assert body["prediction"] == decided_on_rounded or abs(body["probability"] - body["threshold"]) <= 5e-5


@pytest.mark.parametrize(
    "path", sorted((REPO / "service").rglob("*.py")), ids=lambda p: str(p.relative_to(REPO))
)
def test_service_never_imports_training_libraries(path: Path) -> None:
    tree = ast.parse(path.read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not imported & FORBIDDEN
