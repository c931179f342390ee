"""`?explain=true` on /predict and /predict/batch, /model's background, the errors, the OpenAPI document."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from flask.testing import FlaskClient

from runtime.explain import Explainer, background_document
from runtime.predictor import Predictor
from tests.scoring.conftest import random_rows

ROWS = 401
NAMES = ("age", "salary", "gender")
CUSTOMER = {"age": 42, "salary": 61000, "gender": "Female"}
ROUTES = ("/predict", "/predict/batch")


def body_for(route: str) -> dict[str, Any]:
    """A valid body for the route."""
    return CUSTOMER if route == "/predict" else {"customers": [CUSTOMER, CUSTOMER]}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    """Customers across the whole domain, some outside the training ranges."""
    age, salary, gender = random_rows(ROWS, seed=23)
    return [{"age": a, "salary": s, "gender": g} for a, s, g in zip(age, salary, gender, strict=True)]


def bits(values: Any) -> np.ndarray:
    """The float64 bit patterns, for exact comparisons."""
    return np.asarray(values, dtype=np.float64).view(np.uint64)


def expected(predictor: Predictor, rows: list[dict[str, Any]]) -> Any:
    """The runtime's explanation of every row, in one call."""
    columns = [np.array([r[n] for r in rows], dtype=object if n == "gender" else np.float64) for n in NAMES]
    return Explainer.of(predictor).explain(*columns)


def contributions_of(answers: list[dict[str, Any]]) -> np.ndarray:
    """[N, 3] contributions read back from the JSON answers."""
    return np.array([[a["explanation"]["contributions"][n] for n in NAMES] for a in answers])


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("query", ["", "?explain=false", "?other=1"])
def test_a_request_without_explain_true_answers_the_plain_bytes(
    committed_client: FlaskClient, route: str, query: str
) -> None:
    plain = committed_client.post(route, json=body_for(route))
    again = committed_client.post(route + query, json=body_for(route))
    assert plain.status_code == again.status_code == 200
    assert again.data == plain.data and b"explanation" not in plain.data


def test_predict_explains_each_row_with_the_runtime_bits(
    committed_client: FlaskClient, committed_predictor: Predictor, rows: list[dict[str, Any]]
) -> None:
    answers = [committed_client.post("/predict?explain=true", json=row).get_json() for row in rows]
    want = expected(committed_predictor, rows)
    assert np.array_equal(bits(contributions_of(answers)), bits(want.contributions))
    assert {a["explanation"]["base"] for a in answers} == {want.base}
    assert [a["probability"] for a in answers] == [round(p, 4) for p in want.probabilities.tolist()]
    assert list(answers[0]) == [
        "probability",
        "prediction",
        "warnings",
        "explanation",
        "threshold",
        "model_version",
    ]
    total = contributions_of(answers).sum(axis=1) + want.base
    assert np.max(np.abs(total - want.probabilities)) <= 1e-12


def test_the_batch_endpoint_explains_every_row_with_the_same_bits(
    committed_client: FlaskClient, committed_predictor: Predictor, rows: list[dict[str, Any]]
) -> None:
    plain = committed_client.post("/predict/batch", json={"customers": rows}).get_json()
    answer = committed_client.post("/predict/batch?explain=true", json={"customers": rows}).get_json()
    items = answer["predictions"]
    want = expected(committed_predictor, rows)
    assert np.array_equal(bits(contributions_of(items)), bits(want.contributions))
    assert all(item["explanation"]["base"] == want.base for item in items)
    for item, without in zip(items, plain["predictions"], strict=True):
        assert {k: v for k, v in item.items() if k != "explanation"} == without


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "query",
    ["?explain=yes", "?explain=1", "?explain=TRUE", "?explain=", "?explain", "?explain=true&explain=true"],
)
def test_an_explain_value_other_than_true_or_false_is_a_400_naming_the_parameter(
    committed_client: FlaskClient, route: str, query: str
) -> None:
    response = committed_client.post(route + query, json=body_for(route))
    assert response.status_code == 400
    body = response.get_json()
    assert set(body) == {"error", "message", "details", "request_id"}
    assert body["error"] == "invalid_parameter" and "'explain' must be 'true' or 'false'" in body["message"]
    assert body["details"] == [{"field": "explain", "message": "Must be true or false, given once."}]


@pytest.mark.parametrize("route", ROUTES)
def test_a_model_without_a_background_answers_409_and_still_scores_plain_requests(
    client: FlaskClient, route: str
) -> None:
    response = client.post(route + "?explain=true", json=body_for(route))
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "explanation_unavailable" and body["details"] == []
    assert "carries no explanation background" in body["message"] and "make export" in body["message"]
    assert client.post(route, json=body_for(route)).status_code == 200


def test_explain_is_checked_before_the_body(committed_client: FlaskClient) -> None:
    assert committed_client.post("/predict?explain=maybe", json={"age": -1}).status_code == 400
    assert committed_client.post("/predict?explain=true", json={"age": -1}).status_code == 422


def test_model_publishes_the_background(
    committed_client: FlaskClient, committed_predictor: Predictor, client: FlaskClient
) -> None:
    published = committed_client.get("/model").get_json()["explanation_background"]
    assert published == json.loads(json.dumps(background_document(committed_predictor.metadata)))
    assert len(published["points"]) == len(published["weights"]) > 0
    assert set(published["points"][0]) == {"age", "salary", "gender"}
    assert client.get("/model").get_json()["explanation_background"] is None


def test_openapi_documents_the_parameter_the_explanation_and_the_background(
    committed_client: FlaskClient,
) -> None:
    document = committed_client.get("/openapi.json").get_json()
    for path in ROUTES:
        operation = document["paths"][path]["post"]
        (parameter,) = [p for p in operation["parameters"] if p["name"] == "explain"]
        assert parameter["in"] == "query" and parameter["schema"] == {"type": "boolean", "default": False}
        assert {"400", "409"} <= set(operation["responses"])
    schemas = document["components"]["schemas"]
    assert "explanation" in schemas["BatchItem"]["properties"]
    assert schemas["Explanation"]["required"] == ["base", "contributions"]
    assert set(schemas["Contributions"]["properties"]) == set(NAMES)
    assert "explanation_background" in schemas["ModelInfo"]["properties"]
