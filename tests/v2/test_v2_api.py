"""The V2 surface in-process: health, metadata, inference with the same bits and decisions as /predict."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from flask.testing import FlaskClient

from runtime.predictor import Predictor
from service.http.app import create_app
from service.http.errors import StartupError
from service.process.settings import Settings
from tests.v2.conftest import INFER

ROWS = [
    (45, 90000, "Female"),
    (19, 19000, "Male"),
    (35.5, 62000.25, "Male"),
    (60, 150000, "Female"),
    (38, 70000, "Male"),
    (120, 0, "Female"),
    (0.5, 1_000_000, "Male"),
]


def tensors(
    rows: list[tuple[Any, Any, Any]], nested: bool = True, shape_1d: bool = False
) -> list[dict[str, Any]]:
    """The three V2 input tensors for some rows."""
    n, out = len(rows), []
    for i, (name, datatype) in enumerate((("age", "FP64"), ("salary", "FP64"), ("gender", "BYTES"))):
        column = [row[i] for row in rows]
        data = [[v] for v in column] if nested and not shape_1d else column
        out.append({"name": name, "datatype": datatype, "shape": [n] if shape_1d else [n, 1], "data": data})
    return out


def infer(client: FlaskClient, body: Any, path: str = INFER, **headers: str) -> tuple[int, Any]:
    """POST a body (no Content-Type unless given) and return status and JSON."""
    response = client.post(path, data=json.dumps(body), headers=headers)
    assert response.content_type == "application/json"
    return response.status_code, response.get_json()


def outputs(document: dict[str, Any]) -> dict[str, list[Any]]:
    """Output data by name."""
    return {o["name"]: o["data"] for o in document["outputs"]}


def test_health_and_server_metadata(client: FlaskClient) -> None:
    assert client.get("/v2/health/live").get_json() == {"live": True}
    ready = client.get("/v2/health/ready")
    assert ready.status_code == 200 and ready.get_json() == {"ready": True}
    for path in ("/v2", "/v2/"):
        response = client.get(path)
        assert response.status_code == 200 and response.content_type == "application/json"
        assert response.get_json() == {"name": "purchase-predictor", "version": "1.0.0", "extensions": []}


def test_model_metadata_and_readiness_with_and_without_version(
    client: FlaskClient, predictor: Predictor
) -> None:
    version = predictor.model_version
    expected = {
        "name": "purchase-predictor",
        "versions": [version],
        "platform": "onnx_onnxv1",
        "inputs": [
            {"name": "age", "datatype": "FP64", "shape": [-1, 1]},
            {"name": "salary", "datatype": "FP64", "shape": [-1, 1]},
            {"name": "gender", "datatype": "BYTES", "shape": [-1, 1]},
        ],
        "outputs": [
            {"name": "probability", "datatype": "FP64", "shape": [-1]},
            {"name": "prediction", "datatype": "BYTES", "shape": [-1]},
        ],
    }
    base = "/v2/models/purchase-predictor"
    assert client.get(base).get_json() == expected
    assert client.get(f"{base}/versions/{version}").get_json() == expected
    assert client.get(f"{base}/ready").get_json() == {"name": "purchase-predictor", "ready": True}
    assert client.get(f"{base}/versions/{version}/ready").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/v2/models/nope",
        "/v2/models/nope/ready",
        "/v2/models/purchase-predictor/versions/0/ready",
        "/v2/models/purchase-predictor/versions/0",
        "/v2/models/Purchase-Predictor",
    ],
)
def test_unknown_model_or_version_is_404(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404 and response.content_type == "application/json"
    assert isinstance(response.get_json()["error"], str)


def test_unknown_model_or_version_on_infer_is_404(client: FlaskClient) -> None:
    for path in ("/v2/models/nope/infer", "/v2/models/purchase-predictor/versions/0/infer"):
        status, body = infer(client, {"inputs": tensors(ROWS)}, path)
        assert status == 404 and set(body) == {"error"}


def test_routing_errors_under_v2_use_the_v2_shape(client: FlaskClient) -> None:
    missing = client.get("/v2/nothing/here")
    assert missing.status_code == 404 and set(missing.get_json()) == {"error"}
    wrong = client.get(INFER)
    assert (
        wrong.status_code == 405 and set(wrong.get_json()) == {"error"} and "POST" in wrong.headers["Allow"]
    )
    assert client.get("/nothing").get_json()["error"] == "not_found"  # the JSON API keeps its own shape


def test_not_ready_answers_503(settings: Settings) -> None:
    client = create_app(settings, None).test_client()
    assert client.get("/v2/health/live").status_code == 200
    ready = client.get("/v2/health/ready")
    assert ready.status_code == 503 and ready.get_json() == {"ready": False}
    model_ready = client.get("/v2/models/purchase-predictor/ready")
    assert model_ready.status_code == 503 and model_ready.get_json()["ready"] is False
    assert client.get("/v2/models/purchase-predictor").status_code == 503
    status, body = infer(client, {"inputs": tensors(ROWS)})
    assert status == 503 and set(body) == {"error"}
    assert client.get("/v2/models/nope/ready").status_code == 404


@pytest.mark.parametrize(("nested", "shape_1d"), [(True, False), (False, False), (False, True)])
def test_inference_has_the_same_bits_and_decisions_as_predict(
    client: FlaskClient, predictor: Predictor, nested: bool, shape_1d: bool
) -> None:
    status, body = infer(client, {"inputs": tensors(ROWS, nested, shape_1d)})
    assert status == 200
    got = outputs(body)
    ages, salaries, genders = (np.array([r[i] for r in ROWS]) for i in range(3))
    expected = predictor.probabilities(ages.astype(float), salaries.astype(float), genders.astype(object))
    assert np.array_equal(np.array(got["probability"]), expected)  # unrounded, bit for bit
    batch = client.post(
        "/predict/batch", json={"customers": [{"age": a, "salary": s, "gender": g} for a, s, g in ROWS]}
    ).get_json()
    assert [round(p, 4) for p in got["probability"]] == [p["probability"] for p in batch["predictions"]]
    assert got["prediction"] == [p["prediction"] for p in batch["predictions"]]
    for (a, s, g), decision in zip(ROWS, got["prediction"], strict=True):
        assert (
            client.post("/predict", json={"age": a, "salary": s, "gender": g}).get_json()["prediction"]
            == decision
        )
    assert body["parameters"] == {"threshold": batch["threshold"]}
    assert body["model_name"] == "purchase-predictor" and body["model_version"] == predictor.model_version
    assert [o["shape"] for o in body["outputs"]] == [[len(ROWS)], [len(ROWS)]]
    assert [o["datatype"] for o in body["outputs"]] == ["FP64", "BYTES"]


def test_threshold_override_is_used_and_reported(settings: Settings, model_path: Any) -> None:
    custom = Settings(model_path=model_path, threshold=0.3)
    client = create_app(custom, Predictor.from_path(model_path, 0.3)).test_client()
    status, body = infer(client, {"inputs": tensors(ROWS)})
    assert status == 200 and body["parameters"] == {"threshold": 0.3}
    got = outputs(body)
    assert got["prediction"] == ["Yes" if p >= 0.3 else "No" for p in got["probability"]]


def test_id_is_echoed_or_taken_from_the_request_id(client: FlaskClient) -> None:
    assert infer(client, {"id": "req-1", "inputs": tensors(ROWS)})[1]["id"] == "req-1"
    response = client.post(
        INFER, data=json.dumps({"inputs": tensors(ROWS)}), headers={"X-Request-ID": "abc-1"}
    )
    assert response.get_json()["id"] == "abc-1" == response.headers["X-Request-ID"]


def test_client_extras_are_tolerated_and_outputs_can_be_chosen(client: FlaskClient) -> None:
    extras = {"binary_data_output": True, "content_type": "np"}
    chosen = [{"name": "prediction", "parameters": {"binary_data": True}}]
    body = {"inputs": tensors(ROWS[:2]), "model_name": "x", "parameters": extras, "outputs": chosen}
    status, answer = infer(client, body, **{"Content-Type": "application/json"})
    assert status == 200 and [o["name"] for o in answer["outputs"]] == ["prediction"]


def test_v2_requests_and_predictions_are_counted_in_metrics(client: FlaskClient) -> None:
    def count(text: str, line: str) -> float:
        found = [row for row in text.splitlines() if row.startswith(line)]
        return float(found[0].rsplit(" ", 1)[1]) if found else 0.0

    request_line = (
        'predict_http_requests_total{endpoint="/v2/models/<name>/infer",method="POST",status="200"}'
    )
    before = client.get("/metrics").get_data(as_text=True)
    assert infer(client, {"inputs": tensors(ROWS)})[0] == 200
    after = client.get("/metrics").get_data(as_text=True)
    assert count(after, request_line) == count(before, request_line) + 1
    assert count(after, "predict_probability_count") == count(before, "predict_probability_count") + len(ROWS)


@pytest.mark.parametrize("name", ["", "a/b", "-x", "x" * 64, "name with space"])
def test_bad_model_name_setting_is_refused_with_the_variable_name(name: str) -> None:
    with pytest.raises(StartupError, match="PREDICT_MODEL_NAME"):
        Settings.from_env({"PREDICT_MODEL_NAME": name})


def test_model_name_setting_renames_the_model(model_path: Any, predictor: Predictor) -> None:
    settings = Settings.from_env(
        {"PREDICT_MODEL_NAME": "sales.v2_model", "PREDICT_MODEL_PATH": str(model_path)}
    )
    client = create_app(settings, predictor).test_client()
    assert client.get("/v2/models/sales.v2_model/ready").status_code == 200
    assert client.get("/v2/models/purchase-predictor/ready").status_code == 404
    status, body = infer(client, {"inputs": tensors(ROWS)}, "/v2/models/sales.v2_model/infer")
    assert status == 200 and body["model_name"] == "sales.v2_model"
