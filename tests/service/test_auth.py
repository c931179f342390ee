"""Optional API keys: which paths need which key, 401s in the one error shape, keys never echoed."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from flask.testing import FlaskClient

from runtime.predictor import Predictor
from service.http import auth
from service.http.app import create_app
from service.process.settings import Settings

KEY = "pred-key-0123456789abcdef"
OTHER = "pred-key-fedcba9876543210"
ADMIN = "admin-key-0123456789abcdef"
CUSTOMER = {"age": 45, "salary": 90000, "gender": "Female"}


def _client(settings: Settings, predictor: Predictor, keys: set[str], admin: set[str]) -> FlaskClient:
    """A client for an app with the given keys."""
    configured = dataclasses.replace(settings, api_keys=frozenset(keys), admin_api_keys=frozenset(admin))
    return create_app(configured, predictor).test_client()


def _bearer(key: str) -> dict[str, str]:
    """The Authorization header for a key."""
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        ("/predict", auth.PREDICTION),
        ("/predict/batch", auth.PREDICTION),
        ("/feedback", auth.PREDICTION),
        ("/feedback/abc", auth.PREDICTION),
        ("/v2/models/purchase/infer", auth.PREDICTION),
        ("/v2/models/purchase/versions/3/infer", auth.PREDICTION),
        ("/monitoring", auth.ADMIN),
        ("/monitoring/drift", auth.ADMIN),
        ("/metrics", auth.ADMIN),
        ("/admin/reload", auth.ADMIN),
        ("/", None),
        ("/docs", None),
        ("/openapi.json", None),
        ("/model", None),
        ("/health", None),
        ("/ready", None),
        ("/v2", None),
        ("/v2/models/purchase", None),
        ("/v2/models/purchase/ready", None),
        ("/v2/health/live", None),
    ],
)
def test_one_table_of_path_rules_decides_which_key_a_path_needs(path: str, scope: str | None) -> None:
    assert auth.scope_of(path) == scope


def test_off_by_default(client: FlaskClient) -> None:
    assert client.post("/predict", json=CUSTOMER).status_code == 200
    assert client.get("/metrics").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        _bearer(OTHER),
        {"Authorization": KEY},
        {"Authorization": f"Basic {KEY}"},
        {"Authorization": "Bearer "},
        _bearer(KEY + "x"),
        _bearer(KEY[:-1]),
    ],
    ids=["missing", "wrong", "no-scheme", "basic", "empty", "longer", "shorter"],
)
def test_prediction_without_a_valid_key_is_a_json_401_with_a_challenge(
    settings: Settings, predictor: Predictor, headers: dict[str, str]
) -> None:
    client = _client(settings, predictor, {KEY}, set())
    for path in ("/predict", "/predict/batch"):
        response = client.post(path, json=CUSTOMER, headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        body = response.get_json()
        assert set(body) == {"error", "message", "details", "request_id"} and body["error"] == "unauthorized"
        assert KEY not in response.get_data(as_text=True) and OTHER not in response.get_data(as_text=True)


def test_a_valid_key_opens_prediction_endpoints(settings: Settings, predictor: Predictor) -> None:
    client = _client(settings, predictor, {KEY, OTHER}, set())
    assert client.post("/predict", json=CUSTOMER, headers=_bearer(KEY)).status_code == 200
    assert (
        client.post("/predict", json=CUSTOMER, headers={"Authorization": f"bearer  {OTHER}"}).status_code
        == 200
    )
    batch = {"customers": [CUSTOMER]}
    assert client.post("/predict/batch", json=batch, headers=_bearer(OTHER)).status_code == 200


@pytest.mark.parametrize("path", ["/", "/docs", "/openapi.json", "/model", "/health", "/ready"])
def test_open_paths_need_no_key(settings: Settings, predictor: Predictor, path: str) -> None:
    client = _client(settings, predictor, {KEY}, {ADMIN})
    assert client.get(path).status_code != 401


def test_routes_added_later_are_covered_by_their_prefix(settings: Settings, predictor: Predictor) -> None:
    client = _client(settings, predictor, {KEY}, {ADMIN})
    assert client.post("/feedback", json={}).status_code == 401
    past_the_key = client.post("/feedback", json={}, headers=_bearer(KEY))
    assert past_the_key.status_code == 503  # the route's own answer: this test model has no drift profile
    assert client.post("/v2/models/purchase/infer", json={}).status_code == 401
    assert client.get("/monitoring/drift", headers=_bearer(KEY)).status_code == 401
    assert client.get("/monitoring/drift", headers=_bearer(ADMIN)).status_code == 503


def test_admin_paths_need_an_admin_key_when_admin_keys_are_set(
    settings: Settings, predictor: Predictor
) -> None:
    client = _client(settings, predictor, {KEY}, {ADMIN})
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=_bearer(KEY)).status_code == 401
    assert client.get("/metrics", headers=_bearer(ADMIN)).status_code == 200
    assert client.post("/predict", json=CUSTOMER, headers=_bearer(ADMIN)).status_code == 200  # admin ⊇


def test_without_admin_keys_admin_paths_take_the_prediction_keys(
    settings: Settings, predictor: Predictor
) -> None:
    client = _client(settings, predictor, {KEY}, set())
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=_bearer(KEY)).status_code == 200


def test_admin_keys_alone_leave_prediction_open(settings: Settings, predictor: Predictor) -> None:
    client = _client(settings, predictor, set(), {ADMIN})
    assert client.post("/predict", json=CUSTOMER).status_code == 200
    assert client.get("/metrics").status_code == 401


def test_keys_are_compared_in_constant_time_against_every_key(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return a == b

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    ring = auth.KeyRing(frozenset({KEY, OTHER}), frozenset())
    assert ring.accepts(auth.PREDICTION, KEY.encode())
    assert len(calls) == 2, "every configured key is compared, also after a match"


def test_keys_never_reach_the_logs(
    settings: Settings, predictor: Predictor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = _client(settings, predictor, {KEY}, {ADMIN})
    client.post("/predict", json=CUSTOMER, headers=_bearer(OTHER))
    client.post("/predict", json=CUSTOMER, headers=_bearer(KEY))
    text = caplog.text + repr(dataclasses.replace(settings, api_keys=frozenset({KEY})))
    assert KEY not in text and OTHER not in text and ADMIN not in text
