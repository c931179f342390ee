"""Cheap rejection: the plain-Python counts and explanations are exactly the schema's, capped."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings

from runtime.predictor import Predictor
from service.fast import fastpath
from service.http import reject
from service.http.app import create_app
from service.http.reject import MAX_ERRORS
from service.http.schemas import BatchRequestSchema, CustomerSchema, flatten_errors
from service.process.settings import Settings
from tests.service.test_errors import GOOD, assert_error
from tests.service.test_fastpath import batches, customers

CUSTOMER_SCHEMA, BATCH_SCHEMA = CustomerSchema(), BatchRequestSchema()
MORE = re.compile(r"\(and (\d+) more\)$")


def schema_details(schema: Any, body: Any) -> list[dict[str, Any]]:
    """Every problem the marshmallow schema reports, flattened as the service does."""
    return (
        flatten_errors(schema.validate(body))
        if type(body) is dict
        else flatten_errors({"_schema": ["Invalid input type."]})
    )


def key(detail: dict[str, Any]) -> tuple[Any, ...]:
    """A detail as a hashable (field, index, message)."""
    return detail["field"], detail.get("index"), detail["message"]


def counted(message: str, shown: int) -> int:
    """The total number of problems a 422 message announces."""
    match = MORE.search(message)
    return shown + (int(match.group(1)) if match else 0)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(customers())
@example({"age": None, "salary": "x", "gender": 5, "zz": 1, "aa": 2})
@example({"age": 10**400, "salary": 1, "gender": "Male"})
@example({})
@example([])
def test_customer_counts_and_explanations_are_the_schemas(body: Any) -> None:
    expected = schema_details(CUSTOMER_SCHEMA, body)
    assert reject.customer_problems(body) == len(expected)
    if fastpath.customer(body) is None:  # what the route sees
        explained = reject.customer_details(body, room=10**6)
        assert Counter(map(key, explained)) == Counter(map(key, expected))
        error = reject.customer_error(body)
        assert error.details == explained[:MAX_ERRORS]
        shown = min(3, len(explained))
        assert counted(error.message, shown) == len(expected)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
@example({"customers": [1, {"age": 1}], "q": 1})
@example({"customers": None, "x": 1})
@example({"customers": []})
def test_batch_counts_and_explanations_are_the_schemas(body: Any) -> None:
    if fastpath.batch(body) is not None:
        return
    expected = schema_details(BATCH_SCHEMA, body)
    error = reject.batch_error(body)
    assert len(error.details) == min(MAX_ERRORS, len(expected))
    assert set(map(key, error.details)) <= set(map(key, expected))
    assert counted(error.message, min(3, len(error.details))) == len(expected)


def test_many_unknown_keys_are_counted_and_only_the_first_named(
    settings: Settings, predictor: Predictor
) -> None:
    client = create_app(replace(settings, max_body_bytes=4 * 1024 * 1024), predictor).test_client()
    body = {**GOOD, **{f"x{i}": 0 for i in range(150_000)}}
    response = client.post("/predict", data=json.dumps(body), content_type="application/json")  # key order
    error = assert_error(response, 422, "invalid_input", "(and 149997 more)")
    assert [d["field"] for d in error["details"]] == [f"x{i}" for i in range(MAX_ERRORS)]
    assert {d["message"] for d in error["details"]} == {"Unknown field."}


def test_unknown_keys_come_first_then_the_fields(client: FlaskClient) -> None:
    body = {"age": "45", "nickname": "x", "salary": -1, "gender": "m"}
    response = client.post("/predict", data=json.dumps(body), content_type="application/json")
    error = assert_error(response, 422, "invalid_input", "nickname: Unknown field.")
    assert [d["field"] for d in error["details"]] == ["nickname", "age", "salary", "gender"]


def test_a_batch_of_bad_customers_explains_the_first_ten_and_counts_every_problem(
    client: FlaskClient,
) -> None:
    customers = [GOOD] * 5 + [{"age": "45", "salary": -1, "gender": "Male", "vip": True}] * 9_995
    response = client.post(
        "/predict/batch", data=json.dumps({"customers": customers}), content_type="application/json"
    )
    error = assert_error(response, 422, "invalid_input", f"(and {3 * 9_995 - 3} more)")
    assert [d["field"] for d in error["details"][:4]] == [
        "customers[5].vip",
        "customers[5].age",
        "customers[5].salary",
        "customers[6].vip",
    ]
    assert len(error["details"]) == MAX_ERRORS and error["details"][-1]["index"] == 8


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"customers": [GOOD] * 10_001, "a": 1}, id="too-many-and-unknown"),
        pytest.param({"customers": "x" * 1000, **{f"k{i}": 1 for i in range(50)}}, id="not-a-list"),
    ],
)
def test_batch_level_problems_are_capped_too(client: FlaskClient, body: dict[str, Any]) -> None:
    response = client.post("/predict/batch", data=json.dumps(body), content_type="application/json")
    error = assert_error(response, 422, "invalid_input")
    assert 1 < len(error["details"]) <= MAX_ERRORS
    assert counted(error["message"], min(3, len(error["details"]))) == len(body)  # unknown keys + customers
