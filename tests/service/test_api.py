"""Happy paths of every endpoint, the headers every response carries, and the decision rule."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from flask.testing import FlaskClient

from runtime.predictor import Prediction, Predictor
from service.http.app import create_app
from service.http.routes import answer_one, answer_tail
from service.http.schemas import GENDER_PATTERN
from service.process.settings import Settings
from tests.onnx_factory import TRAINING_RANGES, expected_probability

VERSION = "logreg-test0000001"


def test_predict_answers_probability_decision_threshold_and_version(client: FlaskClient) -> None:
    response = client.post("/predict", json={"age": 45, "salary": 90000, "gender": "Female"})
    assert response.status_code == 200
    body = response.get_json()
    assert body == {
        "probability": round(expected_probability(45, 90000, "Female"), 4),
        "prediction": "Yes",
        "threshold": 0.6,
        "model_version": VERSION,
        "warnings": [],
    }


def test_predict_says_no_below_threshold(client: FlaskClient) -> None:
    body = client.post("/predict", json={"age": 19, "salary": 19000, "gender": "Male"}).get_json()
    assert body["prediction"] == "No"
    assert body["probability"] == round(expected_probability(19, 19000, "Male"), 4)


def _answer_with_threshold(settings: Settings, predictor: Predictor, threshold: float) -> dict[str, object]:
    """Predict the golden Female 45/90000 customer with a given threshold."""
    custom = Predictor(predictor.model, threshold=threshold)
    custom.self_test()
    client = create_app(settings, custom).test_client()
    body: Any = client.post("/predict", json={"age": 45, "salary": 90000, "gender": "Female"}).json
    return body


def test_decision_uses_the_unrounded_probability(settings: Settings, predictor: Predictor) -> None:
    p = expected_probability(45, 90000, "Female")
    assert round(p, 4) > p  # so a decision on the rounded value would differ
    above = _answer_with_threshold(settings, predictor, (p + round(p, 4)) / 2)
    assert above["prediction"] == "No" and above["probability"] == round(p, 4)
    assert _answer_with_threshold(settings, predictor, p)["prediction"] == "Yes"  # >= is inclusive


def test_threshold_override_from_settings(settings: Settings) -> None:
    overridden = Settings(model_path=settings.model_path, threshold=0.9)
    app = create_app(overridden, Predictor.from_path(overridden.model_path, overridden.threshold))
    client = app.test_client()
    body = client.post("/predict", json={"age": 45, "salary": 90000, "gender": "Female"}).get_json()
    assert body["threshold"] == 0.9
    assert body["prediction"] == "No"
    assert client.get("/model").get_json()["threshold_source"] == "PREDICT_THRESHOLD"


@pytest.mark.parametrize(
    ("customer", "expected"),
    [
        ({"age": 75, "salary": 90000, "gender": "Male"}, ["age 75 is outside the training range 18–60"]),
        ({"age": 30, "salary": 0, "gender": "Male"}, ["salary 0 is outside the training range 15000–150000"]),
        (
            {"age": 17.5, "salary": 1000000, "gender": "Female"},
            [
                "age 17.5 is outside the training range 18–60",
                "salary 1000000 is outside the training range 15000–150000",
            ],
        ),
        ({"age": 18, "salary": 150000, "gender": "Female"}, []),
    ],
)
def test_out_of_training_range_is_predicted_with_warnings(
    client: FlaskClient, customer: dict[str, object], expected: list[str]
) -> None:
    response = client.post("/predict", json=customer)
    assert response.status_code == 200
    assert response.get_json()["warnings"] == expected


def test_batch_keeps_order_and_matches_single_predictions(client: FlaskClient) -> None:
    customers = [
        {"age": 19, "salary": 19000, "gender": "Male"},
        {"age": 45, "salary": 90000, "gender": "Female"},
        {"age": 90, "salary": 500000, "gender": "Male"},
        {"age": 33.5, "salary": 61000.25, "gender": "Female"},
    ]
    response = client.post("/predict/batch", json={"customers": customers})
    assert response.status_code == 200
    body = response.get_json()
    assert body["threshold"] == 0.6 and body["model_version"] == VERSION
    singles = [client.post("/predict", json=c).get_json() for c in customers]
    assert [p["probability"] for p in body["predictions"]] == [s["probability"] for s in singles]
    assert [p["prediction"] for p in body["predictions"]] == [s["prediction"] for s in singles]
    assert [p["warnings"] for p in body["predictions"]] == [s["warnings"] for s in singles]
    assert body["predictions"][2]["warnings"][0].startswith("age 90 is outside")


class CountingRun:
    """Wraps the predictor's onnxruntime run function and counts its calls."""

    def __init__(self, run: Callable[..., object]) -> None:
        self.run, self.calls = run, 0

    def __call__(self, *args: object) -> object:
        """Delegate and count."""
        self.calls += 1
        return self.run(*args)


def test_batch_of_ten_thousand_uses_one_model_call(
    client: FlaskClient, predictor: Predictor, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = CountingRun(predictor._run)
    monkeypatch.setattr(predictor, "_run", counting)
    customers = [{"age": 20 + i % 40, "salary": 20000 + i, "gender": "Male"} for i in range(10_000)]
    response = client.post("/predict/batch", json={"customers": customers})
    assert response.status_code == 200
    predictions = response.get_json()["predictions"]
    assert len(predictions) == 10_000
    assert predictions[123]["probability"] == round(expected_probability(23, 20123, "Male"), 4)
    assert counting.calls == 1


def test_health_is_ok_even_without_model(client: FlaskClient, unready_client: FlaskClient) -> None:
    assert client.get("/health").get_json() == {"status": "ok"}
    assert unready_client.get("/health").status_code == 200


def test_ready_reports_model_version(client: FlaskClient) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "model_version": VERSION}


def test_model_describes_version_threshold_inputs_ranges_metrics(client: FlaskClient) -> None:
    body = client.get("/model").get_json()
    assert body["model_version"] == VERSION
    assert body["threshold"] == 0.6 and body["threshold_source"] == "metadata"
    assert body["inputs"]["age"] == {"type": "number", "min": 0, "max": 120, "min_exclusive": True}
    assert body["inputs"]["gender"] == {
        "type": "string",
        "enum": ["Female", "Male"],
        "case_sensitive": False,
        "strip": True,
    }
    assert body["training_ranges"] == TRAINING_RANGES
    assert body["metrics"]["roc_auc"] == 0.93
    assert body["max_batch"] == 10_000


def test_openapi_documents_every_route_and_error(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.0")
    assert set(spec["paths"]) == {
        "/predict",
        "/predict/batch",
        "/health",
        "/ready",
        "/model",
        "/metrics",
        "/openapi.json",
        "/docs",
        "/",
        "/page/{name}",
        "/feedback",
        "/monitoring/drift",
        "/monitoring/report",
        "/v2",
        "/v2/",
        "/v2/health/live",
        "/v2/health/ready",
        "/v2/models/{name}",
        "/v2/models/{name}/ready",
        "/v2/models/{name}/infer",
        "/v2/models/{name}/versions/{version}",
        "/v2/models/{name}/versions/{version}/ready",
        "/v2/models/{name}/versions/{version}/infer",
    }
    infer = spec["paths"]["/v2/models/{name}/infer"]["post"]
    assert infer["responses"]["400"]["content"]["application/json"]["schema"]["required"] == ["error"]
    predict = spec["paths"]["/predict"]["post"]
    assert {"200", "400", "404", "405", "413", "415", "422", "500", "503"} <= set(predict["responses"])
    customer = spec["components"]["schemas"]["Customer"]
    assert customer["additionalProperties"] is False
    assert customer["properties"]["age"]["exclusiveMinimum"] is True
    assert customer["properties"]["age"]["maximum"] == 120
    gender = customer["properties"]["gender"]
    assert gender["type"] == "string" and "enum" not in gender  # "male" is accepted: no enum would say so
    assert "case and surrounding spaces are ignored" in gender["description"]
    assert gender["pattern"] == GENDER_PATTERN
    assert spec["components"]["schemas"]["BatchRequest"]["properties"]["customers"]["maxItems"] == 10_000
    assert "case and surrounding whitespace are ignored" in spec["info"]["description"]


def test_docs_page_renders_the_spec_without_a_cdn(client: FlaskClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "openapi.json" in page and "http" not in page.replace("http-equiv", "")


def test_metrics_count_requests_predictions_and_probabilities(client: FlaskClient) -> None:
    client.post("/predict", json={"age": 45, "salary": 90000, "gender": "Female"})
    client.post("/predict", json={"age": 19, "salary": 19000, "gender": "Male"})
    client.post("/predict", json={"age": "x"})
    text = client.get("/metrics").get_data(as_text=True)
    assert 'predict_http_requests_total{endpoint="/predict",method="POST",status="200"} 2.0' in text
    assert 'predict_http_requests_total{endpoint="/predict",method="POST",status="422"} 1.0' in text
    assert 'predict_predictions_total{outcome="Yes"} 1.0' in text
    assert 'predict_predictions_total{outcome="No"} 1.0' in text
    assert "predict_probability_count 2.0" in text
    assert 'predict_http_request_duration_seconds_bucket{endpoint="/predict"' in text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/predict", {"age": 45, "salary": 90000, "gender": "Male"}),
        ("post", "/predict", {"age": -1}),
        ("post", "/predict/batch", {"customers": [{"age": 45, "salary": 1, "gender": "Male"}]}),
        ("get", "/health", None),
        ("get", "/model", None),
        ("get", "/nope", None),
        ("delete", "/predict", None),
    ],
)
def test_every_response_carries_version_timing_and_request_id(
    client: FlaskClient, method: str, path: str, body: object
) -> None:
    response = getattr(client, method)(path, json=body)
    assert response.headers["X-Model-Version"] == VERSION
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
    timing = response.headers["Server-Timing"]
    assert re.search(r"(^|, )total;dur=\d+\.\d+$", timing)
    if path.startswith("/predict") and response.status_code == 200:
        assert [part.split(";")[0] for part in timing.split(", ")] == ["parse", "validate", "infer", "total"]


def test_sane_incoming_request_id_is_kept_and_insane_replaced(client: FlaskClient) -> None:
    kept = client.get("/health", headers={"X-Request-ID": "abc-123_x.y"})
    assert kept.headers["X-Request-ID"] == "abc-123_x.y"
    replaced = client.get("/health", headers={"X-Request-ID": "<script>" + "a" * 300})
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])


def test_error_body_carries_the_request_id(client: FlaskClient) -> None:
    response = client.post("/predict", json={}, headers={"X-Request-ID": "req-42"})
    assert json.loads(response.data)["request_id"] == "req-42"


@pytest.mark.parametrize(
    "prediction",
    [
        Prediction(0.123456789, False, []),
        Prediction(0.99995, True, ["age 90 is outside the training range 18–60"]),
        Prediction(1e-07, False, ['a "quoted" note', "salary 2 is outside"]),
    ],
)
@pytest.mark.parametrize("token", [None, "AQAAAABrDLyA-_x9"])
def test_single_answer_is_rendered_exactly_like_json_dumps(prediction: Prediction, token: str | None) -> None:
    constant = {"threshold": 0.6, "model_version": "forest-abc"}
    body: dict[str, object] = {
        "probability": round(prediction.probability, 4),
        "prediction": "Yes" if prediction.buy else "No",
        "warnings": prediction.warnings,
    }
    if token:
        body["feedback_token"] = token
    assert answer_one(prediction, answer_tail(constant), token) == json.dumps({**body, **constant})


def test_every_probability_renders_like_json_dumps() -> None:
    tail = answer_tail({"threshold": 0.55, "model_version": "x"})
    for p in [0.0, 1.0, 5e-05, 4.9999e-05, 0.1, 0.30000000000000004, *np.random.default_rng(2).random(5000)]:
        prediction = Prediction(float(p), p >= 0.55, [])
        expected = json.dumps(
            {
                "probability": round(float(p), 4),
                "prediction": "Yes" if p >= 0.55 else "No",
                "warnings": [],
                "threshold": 0.55,
                "model_version": "x",
            }
        )
        assert answer_one(prediction, tail) == expected
