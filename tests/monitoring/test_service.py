"""The service with monitoring on: tokens in answers, /feedback statuses, /monitoring/*, gauges, privacy."""

from __future__ import annotations

import logging
import struct
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from runtime.predictor import Predictor
from service.http.app import create_app
from service.process.settings import Settings
from tests.monitoring.conftest import COMMITTED_MODEL

SENTINEL_SALARY, SENTINEL_AGE = 123457.25, 47.123456
SENTINEL_TEXTS = (
    b"123457",
    b"47.123456",
    struct.pack("<d", SENTINEL_SALARY),
    struct.pack(">d", SENTINEL_SALARY),
    struct.pack("<d", SENTINEL_AGE),
    struct.pack(">d", SENTINEL_AGE),
)


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    """Where the store lives."""
    return tmp_path / "state" / "monitoring.sqlite3"


@pytest.fixture()
def client(committed: Predictor, db: Path) -> FlaskClient:
    """An app on the committed model with monitoring into a temp SQLite file."""
    settings = Settings(model_path=COMMITTED_MODEL, monitor_db=str(db), log_level="DEBUG")
    return create_app(settings, committed).test_client()


def predict(client: FlaskClient, age: float, salary: float, gender: str = "Male") -> dict[str, Any]:
    """One /predict answer."""
    response = client.post("/predict", json={"age": age, "salary": salary, "gender": gender})
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def test_answers_carry_tokens_and_feedback_statuses(client: FlaskClient) -> None:
    first = predict(client, 40, 60_000)
    assert isinstance(first["feedback_token"], str) and "60000" not in first["feedback_token"]
    batch = client.post(
        "/predict/batch", json={"customers": [{"age": 30, "salary": 20_000, "gender": "Female"}] * 3}
    )
    tokens = [item["feedback_token"] for item in batch.get_json()["predictions"]]
    assert len(set(tokens)) == 3
    ok = client.post("/feedback", json={"feedback_token": first["feedback_token"], "purchased": True})
    assert ok.status_code == 200 and ok.get_json() == {"accepted": 1}
    many = client.post(
        "/feedback", json={"feedback": [{"feedback_token": t, "purchased": False} for t in tokens]}
    )
    assert many.get_json() == {"accepted": 3}
    replay = client.post("/feedback", json={"feedback_token": first["feedback_token"], "purchased": True})
    assert replay.status_code == 409 and replay.get_json()["error"] == "feedback_rejected"
    token = first["feedback_token"]
    middle = len(token) // 2  # a character that always carries data bits (the last ones may be padding)
    altered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    tampered = client.post("/feedback", json={"feedback_token": altered, "purchased": True})
    assert tampered.status_code == 400
    forged = client.post("/feedback", json={"feedback_token": "A" * 80, "purchased": True})
    assert forged.status_code == 400
    missing = client.post("/feedback", json={"purchased": True})
    assert missing.status_code == 422


def test_drift_document_report_and_gauges(client: FlaskClient) -> None:
    for age in range(20, 60):
        predict(client, age, 1000.0 * (age + 20), "Female" if age % 2 else "Male")
    assert client.post("/predict", json={"age": -5, "salary": 1000, "gender": "Male"}).status_code == 422
    assert (
        client.post(
            "/predict/batch", json={"customers": [{"age": 30, "salary": 1000, "gender": "x"}]}
        ).status_code
        == 422
    )
    predict(client, 75, 60_000)  # older than anyone in training
    doc = client.get("/monitoring/drift").get_json()
    (window,) = doc["windows"]
    assert {"start", "end", "rows", "model_version", "features", "score", "quality"} <= set(window)
    assert window["rows"] == 41 and window["closed"] is False
    assert set(window["features"]) == {"age", "salary", "gender"}
    for feature in window["features"].values():
        assert 0 <= feature["p_value"] <= 1 and isinstance(feature["alarm"], bool)
    assert window["data_quality"]["rejected"] == {"age": 1, "salary": 0, "gender": 1, "other": 0}
    assert window["data_quality"]["out_of_training_range"] == {"age": 1, "salary": 0}
    assert window["quality"]["estimated"]["precision"] is not None
    report = client.get("/monitoring/report")
    assert report.status_code == 200 and report.mimetype == "text/html" and b"<svg" in report.data
    assert b"predict_drift_window_rows" in client.get("/metrics").data


def test_sentinel_inputs_appear_nowhere(
    client: FlaskClient, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = predict(client, SENTINEL_AGE, SENTINEL_SALARY)["feedback_token"]
    client.post(
        "/predict/batch",
        json={"customers": [{"age": SENTINEL_AGE, "salary": SENTINEL_SALARY, "gender": "Male"}]},
    )
    client.post("/feedback", json={"feedback_token": token, "purchased": True})
    outputs = [client.get(path).data for path in ("/monitoring/drift", "/monitoring/report", "/metrics")]
    stored = b"".join(p.read_bytes() for p in db.parent.iterdir() if p.is_file())
    logs = caplog.text.encode()
    for blob in (*outputs, stored, logs):
        for sentinel in SENTINEL_TEXTS:
            assert sentinel not in blob


def test_monitoring_off_answers_503_and_adds_no_token(committed: Predictor, db: Path) -> None:
    settings = Settings(model_path=COMMITTED_MODEL, monitor=False, monitor_db=str(db))
    client = create_app(settings, committed).test_client()
    assert "feedback_token" not in predict(client, 40, 60_000)
    assert client.get("/monitoring/drift").status_code == 503
    assert not db.exists()


def test_v2_inference_rows_are_counted_like_the_others(client: FlaskClient) -> None:
    rows = 5
    body = {
        "inputs": [
            {"name": "age", "datatype": "FP64", "shape": [rows, 1], "data": [25, 35, 45, 55, 65]},
            {"name": "salary", "datatype": "FP64", "shape": [rows, 1], "data": [30_000] * rows},
            {"name": "gender", "datatype": "BYTES", "shape": [rows, 1], "data": ["Male"] * rows},
        ]
    }
    assert client.post("/v2/models/purchase-predictor/infer", json=body).status_code == 200
    predict(client, 40, 60_000)
    (window,) = client.get("/monitoring/drift").get_json()["windows"]
    assert window["rows"] == rows + 1
