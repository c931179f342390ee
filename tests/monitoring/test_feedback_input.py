"""POST /feedback bodies: `purchased` as the OpenAPI document says, types checked first, capped 422s."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from monitoring.tokens import TokenSigner
from runtime.predictor import Predictor
from service.http.app import create_app
from service.http.reject import MAX_ERRORS
from service.process.settings import Settings
from tests.monitoring.conftest import COMMITTED_MODEL

CUSTOMER = {"age": 40, "salary": 60_000, "gender": "Male"}
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2),
    max_leaves=3,
)


@pytest.fixture(scope="module")
def client(committed: Predictor, tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    """The committed model (it has a reference profile) with monitoring into a temporary SQLite file."""
    db = tmp_path_factory.mktemp("feedback") / "monitoring.sqlite3"
    return create_app(Settings(model_path=COMMITTED_MODEL, monitor_db=str(db)), committed).test_client()


def token(client: FlaskClient) -> str:
    """A fresh feedback token from /predict."""
    value: str = client.post("/predict", json=CUSTOMER).get_json()["feedback_token"]
    return value


def documented_purchased(client: FlaskClient) -> dict[str, Any]:
    """The JSON schema /openapi.json gives `purchased` in the single-item /feedback body."""
    document = client.get("/openapi.json").get_json()
    body = document["paths"]["/feedback"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    single = next(option for option in body["oneOf"] if "purchased" in option.get("properties", {}))
    schema: dict[str, Any] = single["properties"]["purchased"]
    return schema


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(JSON_VALUES)
@example(True)
@example(False)
@example(1)
@example(0)
@example(1.0)
@example("true")
@example(None)
def test_purchased_is_accepted_exactly_when_the_document_allows_it(client: FlaskClient, value: Any) -> None:
    allowed = jsonschema.Draft4Validator(documented_purchased(client)).is_valid(value)
    body = json.dumps({"feedback_token": token(client), "purchased": value})
    response = client.post("/feedback", data=body, content_type="application/json")
    assert response.status_code == (200 if allowed else 422), (value, response.get_json())
    if not allowed:
        assert response.get_json()["details"][0]["field"] == "purchased"


def test_the_document_says_true_or_false(client: FlaskClient) -> None:
    schema = documented_purchased(client)
    assert schema["type"] == "boolean" and "1/0" not in schema.get("description", "")


def test_types_are_checked_before_any_token_is_verified(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = [{"feedback_token": token(client), "purchased": True} for _ in range(3)]
    verified: list[object] = []
    original = TokenSigner.verify

    def counting(self: TokenSigner, *args: Any) -> Any:
        verified.append(args)
        return original(self, *args)

    monkeypatch.setattr(TokenSigner, "verify", counting)
    bad = [*good, {"feedback_token": good[0]["feedback_token"], "purchased": 1}]
    response = client.post("/feedback", json={"feedback": bad})
    assert response.status_code == 422 and verified == []
    details = response.get_json()["details"]
    assert details == [{"field": "feedback[3].purchased", "index": 3, "message": details[0]["message"]}]
    assert client.post("/feedback", json={"feedback": good}).get_json() == {"accepted": 3}  # not spent


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        pytest.param({"feedback_token": "t", "purchased": True, "note": "x"}, ["note"], id="unknown-key"),
        pytest.param({"feedback_token": 5, "purchased": "yes"}, ["feedback_token", "purchased"], id="types"),
        pytest.param({"purchased": True}, ["feedback_token"], id="missing-token"),
        pytest.param([], ["(body)"], id="not-an-object"),
        pytest.param({"feedback": [], "x": 1}, ["x", "feedback"], id="empty-list-and-unknown"),
        pytest.param(
            {"feedback": [{"feedback_token": "t"}, 7]}, ["feedback[0].purchased", "feedback[1]"], id="items"
        ),
    ],
)
def test_bad_bodies_are_422_naming_each_field(client: FlaskClient, body: Any, fields: list[str]) -> None:
    response = client.post("/feedback", data=json.dumps(body), content_type="application/json")
    answer = response.get_json()
    assert response.status_code == 422 and answer["error"] == "invalid_input"
    assert [d["field"] for d in answer["details"]] == fields


def test_many_bad_items_are_counted_and_the_first_ten_explained(client: FlaskClient) -> None:
    items = [{"feedback_token": 1, "purchased": 1, "extra": 1}] * 1000
    answer = client.post("/feedback", json={"feedback": items}).get_json()
    assert len(answer["details"]) == MAX_ERRORS
    assert answer["message"].endswith(f"(and {3 * 1000 - 3} more)")
