"""/openapi.json documents the API keys: a bearer scheme per scope, each protectable operation's requirement
(only the key when this server enforces it, else the key or none) and its 401; open operations have neither.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from runtime.predictor import Predictor
from service.http.app import create_app
from service.process.settings import Settings

KEY, ADMIN_KEY = "pred-key-0123456789abcdef", "admin-key-0123456789abcdef"
PREDICTION_SCHEME, ADMIN_SCHEME = "predictionKey", "adminKey"
# (method, path) -> the scheme auth's path rules apply to it
PROTECTED = {
    ("post", "/predict"): PREDICTION_SCHEME,
    ("post", "/predict/batch"): PREDICTION_SCHEME,
    ("post", "/feedback"): PREDICTION_SCHEME,
    ("post", "/v2/models/{name}/infer"): PREDICTION_SCHEME,
    ("post", "/v2/models/{name}/versions/{version}/infer"): PREDICTION_SCHEME,
    ("get", "/metrics"): ADMIN_SCHEME,
    ("get", "/monitoring/drift"): ADMIN_SCHEME,
    ("get", "/monitoring/report"): ADMIN_SCHEME,
}


def spec_for(settings: Settings, predictor: Predictor, keys: set[str], admin: set[str]) -> dict[str, Any]:
    """The /openapi.json an app with these keys serves (it is itself open)."""
    configured = dataclasses.replace(settings, api_keys=frozenset(keys), admin_api_keys=frozenset(admin))
    response = create_app(configured, predictor).test_client().get("/openapi.json")
    assert response.status_code == 200
    spec: dict[str, Any] = response.get_json()
    return spec


def operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every (method, path) of the document and its operation object."""
    return {(method, path): op for path, item in spec["paths"].items() for method, op in item.items()}


@pytest.mark.parametrize(
    ("keys", "admin", "enforced"),
    [
        (set(), set(), set()),
        ({KEY}, set(), {PREDICTION_SCHEME, ADMIN_SCHEME}),  # prediction keys also guard admin paths
        (set(), {ADMIN_KEY}, {ADMIN_SCHEME}),
        ({KEY}, {ADMIN_KEY}, {PREDICTION_SCHEME, ADMIN_SCHEME}),
    ],
    ids=["off", "prediction-keys", "admin-keys", "both"],
)
def test_protectable_operations_carry_their_scheme_and_a_401(
    settings: Settings, predictor: Predictor, keys: set[str], admin: set[str], enforced: set[str]
) -> None:
    spec = spec_for(settings, predictor, keys, admin)
    schemes = spec["components"]["securitySchemes"]
    assert set(schemes) == {PREDICTION_SCHEME, ADMIN_SCHEME}
    for scheme in schemes.values():
        assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    assert "PREDICT_API_KEYS" in schemes[PREDICTION_SCHEME]["description"]
    assert "PREDICT_ADMIN_API_KEYS" in schemes[ADMIN_SCHEME]["description"]
    ops = operations(spec)
    assert set(PROTECTED) <= set(ops)
    for key, op in ops.items():
        scheme = PROTECTED.get(key)
        if scheme is None:  # open: no requirement, no 401
            assert "security" not in op and "401" not in op["responses"], key
            continue
        expected: list[dict[str, list[str]]] = [{scheme: []}] if scheme in enforced else [{scheme: []}, {}]
        assert op["security"] == expected, key
        unauthorized = op["responses"]["401"]
        assert "WWW-Authenticate" in unauthorized["headers"], key
        assert unauthorized["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
        assert "403" not in op["responses"], key  # auth answers 401 for a wrong key too


def test_the_document_agrees_with_what_auth_answers(settings: Settings, predictor: Predictor) -> None:
    configured = dataclasses.replace(
        settings, api_keys=frozenset({KEY}), admin_api_keys=frozenset({ADMIN_KEY})
    )
    client = create_app(configured, predictor).test_client()
    ops = operations(client.get("/openapi.json").get_json())
    error_fields = set(client.get("/openapi.json").get_json()["components"]["schemas"]["Error"]["required"])
    concrete = {"{name}": "purchase-predictor", "{version}": predictor.model_version}
    for (method, path), op in ops.items():
        url = path
        for placeholder, value in concrete.items():
            url = url.replace(placeholder, value)
        response = client.open(url, method=method.upper(), json={})
        if "security" in op:
            assert response.status_code == 401, (method, path)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            assert error_fields <= set(response.get_json()), (method, path)
        else:
            assert response.status_code != 401, (method, path)
