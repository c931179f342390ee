"""Every error class: status, JSON shape, an actionable message naming the field, and no echoed values."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from service.http.app import create_app
from service.http.reject import MAX_ERRORS
from service.process.settings import Settings

GOOD = {"age": 45, "salary": 90000, "gender": "Male"}


def assert_error(response: TestResponse, status: int, code: str, *fragments: str) -> dict[str, Any]:
    """Check the one error shape and that the message contains each fragment."""
    assert response.status_code == status, response.data
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    assert set(body) == {"error", "message", "details", "request_id"}
    assert body["error"] == code
    assert body["request_id"] == response.headers["X-Request-ID"]
    for fragment in fragments:
        assert fragment in body["message"], body["message"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def with_(**changes: object) -> dict[str, object]:
    """The good customer with some fields changed (a value of ... removes the field)."""
    return {k: v for k, v in {**GOOD, **changes}.items() if v is not ...}


INVALID_CUSTOMERS = [
    pytest.param(with_(age=0), "age", "greater than 0 and at most 120", id="age-zero"),
    pytest.param(with_(age=-7.25), "age", "greater than 0", id="age-negative"),
    pytest.param(with_(age=120.0001), "age", "at most 120", id="age-too-old"),
    pytest.param(with_(age="45"), "age", "JSON number, not a string", id="age-string"),
    pytest.param(with_(age=True), "age", "JSON number, not a string, boolean", id="age-boolean"),
    pytest.param(with_(age=None), "age", "Field may not be null", id="age-null"),
    pytest.param(with_(age=[45]), "age", "JSON number", id="age-list"),
    pytest.param(with_(age=...), "age", "Missing data for required field", id="age-missing"),
    pytest.param(with_(salary=-0.01), "salary", "from 0 to 1000000", id="salary-negative"),
    pytest.param(with_(salary=1000000.01), "salary", "from 0 to 1000000", id="salary-too-high"),
    pytest.param(with_(salary={"v": 1}), "salary", "JSON number", id="salary-object"),
    pytest.param(with_(salary=False), "salary", "JSON number", id="salary-boolean"),
    pytest.param(
        with_(gender="M"),
        "gender",
        "Must be 'Female' or 'Male' (case and surrounding spaces are ignored).",
        id="gender-initial",
    ),
    pytest.param(with_(gender="femme"), "gender", "'Female' or 'Male'", id="gender-other-language"),
    pytest.param(with_(gender=""), "gender", "'Female' or 'Male'", id="gender-empty"),
    pytest.param(with_(gender="  "), "gender", "'Female' or 'Male'", id="gender-blank"),
    pytest.param(with_(gender="Fe male"), "gender", "'Female' or 'Male'", id="gender-inner-space"),
    pytest.param(with_(gender="Other-xyz"), "gender", "'Female' or 'Male'", id="gender-other"),
    pytest.param(with_(gender=1), "gender", "Not a valid string", id="gender-number"),
    pytest.param(with_(gender=...), "gender", "Missing data", id="gender-missing"),
    pytest.param(with_(country="Wonderland-xyz"), "country", "Unknown field", id="unknown-field"),
]


@pytest.mark.parametrize(("customer", "field", "fragment"), INVALID_CUSTOMERS)
def test_invalid_customer_is_422_naming_the_field(
    client: FlaskClient, customer: dict[str, object], field: str, fragment: str
) -> None:
    response = client.post("/predict", json=customer)
    body = assert_error(response, 422, "invalid_input", f"{field}: ", fragment)
    assert {"field": field, "message": body["details"][0]["message"]} in body["details"]
    assert fragment in body["details"][0]["message"]
    text = response.get_data(as_text=True)
    for key, value in customer.items():
        if value != GOOD.get(key) and isinstance(value, str | float) and key != "gender":
            assert json.dumps(value) not in text
    assert "Wonderland" not in text and "Other-xyz" not in text


@pytest.mark.parametrize(("customer", "field", "fragment"), INVALID_CUSTOMERS)
def test_invalid_customer_in_batch_names_the_index(
    client: FlaskClient, customer: dict[str, object], field: str, fragment: str
) -> None:
    response = client.post("/predict/batch", json={"customers": [GOOD, GOOD, customer]})
    body = assert_error(response, 422, "invalid_input", f"customers[2].{field}: ", fragment)
    assert body["details"][0]["index"] == 2
    assert body["details"][0]["field"] == f"customers[2].{field}"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        pytest.param('{"age": NaN, "salary": 1, "gender": "Male"}', "age", id="nan"),
        pytest.param('{"age": 45, "salary": Infinity, "gender": "Male"}', "salary", id="infinity"),
        pytest.param('{"age": 45, "salary": -Infinity, "gender": "Male"}', "salary", id="minus-infinity"),
        pytest.param('{"age": 1e999, "salary": 1, "gender": "Male"}', "age", id="float-overflow"),
        pytest.param(
            '{"age": 45, "salary": 1' + "0" * 400 + ', "gender": "Male"}', "salary", id="int-overflow"
        ),
    ],
)
def test_special_and_overflowing_numbers_are_422(client: FlaskClient, raw: str, field: str) -> None:
    response = client.post("/predict", data=raw, content_type="application/json")
    body = assert_error(response, 422, "invalid_input", f"{field}: ", "finite number")
    assert "0" * 50 not in response.get_data(as_text=True)
    assert body["details"][0]["field"] == field


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        pytest.param([GOOD], "(body): The body must be a JSON object", id="list"),
        pytest.param(42, "(body): The body must be a JSON object", id="number"),
        pytest.param("text", "(body): The body must be a JSON object", id="string"),
        pytest.param(None, "(body): The body must be a JSON object", id="null"),
    ],
)
def test_non_object_body_is_422(client: FlaskClient, body: object, fragment: str) -> None:
    assert_error(
        client.post("/predict", data=json.dumps(body), content_type="application/json"),
        422,
        "invalid_input",
        fragment,
    )


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        pytest.param({"customers": []}, "customers: Must hold 1 to 10000 customers", id="empty"),
        pytest.param({"customers": [GOOD] * 10_001}, "customers: Must hold 1 to 10000", id="too-many"),
        pytest.param({"customers": GOOD}, "customers: Not a valid list", id="not-a-list"),
        pytest.param({}, "customers: Missing data for required field", id="missing"),
        pytest.param({"customers": [GOOD], "extra": 1}, "extra: Unknown field", id="unknown-field"),
        pytest.param(
            {"customers": [GOOD, 5]}, "customers[1]: customers[1] must be a JSON object", id="item-number"
        ),
    ],
)
def test_invalid_batch_is_422(client: FlaskClient, body: object, fragment: str) -> None:
    assert_error(client.post("/predict/batch", json=body), 422, "invalid_input", fragment)


def test_details_stop_at_the_cap_but_the_message_counts_them_all(client: FlaskClient) -> None:
    customers = [{"age": -1, "salary": 5, "gender": "Male"}] * 500
    body = assert_error(
        client.post("/predict/batch", json={"customers": customers}), 422, "invalid_input", "(and 497 more)"
    )
    assert len(body["details"]) == MAX_ERRORS == 10
    assert [d["index"] for d in body["details"]] == list(range(10))


def test_many_errors_are_summarised_and_all_listed(client: FlaskClient) -> None:
    customers = [{"age": -1, "salary": -1, "gender": "x"}] * 3
    body = assert_error(
        client.post("/predict/batch", json={"customers": customers}), 422, "invalid_input", "(and 6 more)"
    )
    assert len(body["details"]) == 9
    assert {d["index"] for d in body["details"]} == {0, 1, 2}


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"age": 45, "salary": 9', id="truncated"),
        pytest.param(b"{'age': 45}", id="single-quotes"),
        pytest.param(b"", id="empty"),
        pytest.param(b"\xff\xfe{}", id="not-utf8"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="deeply-nested"),
        pytest.param(b'{"age": 1' + b"1" * 5000 + b"}", id="int-too-long-to-parse"),
    ],
)
@pytest.mark.parametrize("path", ["/predict", "/predict/batch"])
def test_malformed_json_is_400(client: FlaskClient, raw: bytes, path: str) -> None:
    response = client.post(path, data=raw, content_type="application/json")
    assert_error(response, 400, "malformed_json", "JSON")
    assert b"1111111111" not in response.data


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
@pytest.mark.parametrize("path", ["/predict", "/predict/batch"])
def test_wrong_content_type_is_415(client: FlaskClient, content_type: str | None, path: str) -> None:
    response = client.post(path, data=json.dumps(GOOD), content_type=content_type)
    assert_error(response, 415, "unsupported_media_type", "Content-Type: application/json")


def test_json_with_charset_is_accepted(client: FlaskClient) -> None:
    response = client.post("/predict", data=json.dumps(GOOD), content_type="application/json; charset=utf-8")
    assert response.status_code == 200


def test_body_too_large_is_413(settings: Settings, predictor: object) -> None:
    small = create_app(Settings(model_path=settings.model_path, max_body_bytes=2048), predictor)  # type: ignore[arg-type]
    client = small.test_client()
    body = {"customers": [GOOD] * 100}
    assert_error(client.post("/predict/batch", json=body), 413, "payload_too_large", "2048 bytes")


def test_chunked_body_too_large_is_413(settings: Settings, predictor: object) -> None:
    small = create_app(Settings(model_path=settings.model_path, max_body_bytes=2048), predictor)  # type: ignore[arg-type]
    data = json.dumps({"customers": [GOOD] * 100}).encode()
    response = small.test_client().post(
        "/predict/batch",
        input_stream=io.BytesIO(data),
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},  # as gunicorn sets for chunked bodies
    )
    assert_error(response, 413, "payload_too_large", "2048 bytes")


@pytest.mark.parametrize("path", ["/page/nothing.js", "/predict/", "/predictions", "/admin/../etc/passwd"])
def test_unknown_path_is_404_json(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert_error(response, 404, "not_found", "/openapi.json")
    assert "passwd" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("get", "/predict", "POST"),
        ("put", "/predict/batch", "POST"),
        ("post", "/health", "GET"),
        ("delete", "/model", "GET"),
    ],
)
def test_wrong_method_is_405_json_with_allow(
    client: FlaskClient, method: str, path: str, allowed: str
) -> None:
    response = getattr(client, method)(path)
    assert_error(response, 405, "method_not_allowed", "Allow")
    assert allowed in response.headers["Allow"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/predict"), ("post", "/predict/batch"), ("get", "/ready"), ("get", "/model")],
)
def test_not_ready_is_503(unready_client: FlaskClient, method: str, path: str) -> None:
    response = getattr(unready_client, method)(path, json={"customers": [GOOD]} if "batch" in path else GOOD)
    assert_error(response, 503, "model_not_ready", "not")
    assert response.headers["X-Model-Version"] == "none"


def test_unexpected_exception_is_generic_500_without_details(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    predictor = app.extensions["purchase_predictor"].predictor

    def explode(*args: object) -> None:
        raise RuntimeError("secret internals /etc/model")

    monkeypatch.setattr(predictor, "predict_one", explode)
    response = app.test_client().post("/predict", json=GOOD)
    body = assert_error(response, 500, "internal_error", "request id")
    assert "secret" not in json.dumps(body)
