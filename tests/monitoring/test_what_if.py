"""X-What-If: 1 keeps a batch out of drift monitoring only for an admin caller (anyone when keys are off)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from runtime.predictor import Predictor
from service.http.app import create_app
from service.process.settings import Settings
from tests.monitoring.conftest import COMMITTED_MODEL

PREDICTION_KEY, ADMIN_KEY = "prediction-key-0123456789", "admin-key-0123456789abcd"
BATCH = {"customers": [{"age": 30 + i, "salary": 40_000, "gender": "Female"} for i in range(5)]}


def client_for(committed: Predictor, tmp_path: Path, keys: bool) -> FlaskClient:
    """An app on the committed model with monitoring on, with or without API keys."""
    extra: dict[str, Any] = (
        {"api_keys": frozenset({PREDICTION_KEY}), "admin_api_keys": frozenset({ADMIN_KEY})} if keys else {}
    )
    settings = Settings(model_path=COMMITTED_MODEL, monitor_db=str(tmp_path / "m.sqlite3"), **extra)
    return create_app(settings, committed).test_client()


def counted_rows(client: FlaskClient) -> int:
    """Rows in the monitoring windows (read with the admin key, which open setups ignore)."""
    doc = client.get("/monitoring/drift", headers={"Authorization": f"Bearer {ADMIN_KEY}"}).get_json()
    return sum(window["rows"] for window in doc["windows"])


def what_if(client: FlaskClient, key: str | None) -> tuple[int, bool]:
    """Status of a what-if batch, and whether its rows were counted (they then carry feedback tokens)."""
    headers = {"X-What-If": "1", **({"Authorization": f"Bearer {key}"} if key else {})}
    before = counted_rows(client)
    response = client.post("/predict/batch", json=BATCH, headers=headers)
    tokens = [("feedback_token" in p) for p in response.get_json().get("predictions", [])]
    counted = counted_rows(client) - before
    assert counted in (0, len(BATCH["customers"])) and all(tokens) == bool(counted)
    return response.status_code, bool(counted)


def test_with_keys_only_an_admin_key_keeps_rows_out(committed: Predictor, tmp_path: Path) -> None:
    client = client_for(committed, tmp_path, keys=True)
    assert what_if(client, ADMIN_KEY) == (200, False)
    assert what_if(client, PREDICTION_KEY) == (200, True)  # honoured for admins only: counted as usual


def test_with_keys_a_caller_without_a_key_is_refused(committed: Predictor, tmp_path: Path) -> None:
    client = client_for(committed, tmp_path, keys=True)
    response = client.post("/predict/batch", json=BATCH, headers={"X-What-If": "1"})
    assert response.status_code == 401


@pytest.mark.parametrize("key", [None, "anything-at-all-0123"])
def test_without_keys_every_caller_may_use_it(committed: Predictor, tmp_path: Path, key: str | None) -> None:
    client = client_for(committed, tmp_path, keys=False)
    assert what_if(client, key) == (200, False)


def test_other_values_than_1_are_counted(committed: Predictor, tmp_path: Path) -> None:
    client = client_for(committed, tmp_path, keys=True)
    before = counted_rows(client)
    headers = {"X-What-If": "yes", "Authorization": f"Bearer {ADMIN_KEY}"}
    assert client.post("/predict/batch", json=BATCH, headers=headers).status_code == 200
    assert counted_rows(client) - before == len(BATCH["customers"])
