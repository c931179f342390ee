"""API keys on a real gunicorn: enforced by every worker, rotated by editing the key file and SIGHUP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from tests.faults.conftest import ServerFactory
from tests.faults.helpers import reload_and_wait

pytestmark = pytest.mark.integration
OLD, NEW = "old-key-0123456789abcdef", "new-key-0123456789abcdef"
CUSTOMER: dict[str, Any] = {"age": 45, "salary": 90000, "gender": "Female"}


def _status(url: str, key: str | None) -> int:
    """The status of a /predict with an optional bearer key."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return requests.post(f"{url}/predict", json=CUSTOMER, headers=headers, timeout=10).status_code


def test_keys_from_a_file_are_enforced_and_rotated_with_sighup(
    start_server: ServerFactory, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    keys.write_text(f"{OLD}\n")
    with start_server(PREDICT_API_KEYS_FILE=str(keys)) as server:
        assert [_status(server.url, k) for k in (None, NEW, OLD)] == [401, 401, 200]
        assert requests.get(f"{server.url}/ready", timeout=10).status_code == 200
        keys.write_text(f"{NEW}\n")
        assert reload_and_wait(server)["ok"] is True
        assert [_status(server.url, k) for k in (None, OLD, NEW)] == [401, 401, 200]
    assert OLD not in server.log() and NEW not in server.log()
