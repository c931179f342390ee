"""API keys on a real gunicorn: enforced by every worker, rotated by editing the key file and SIGHUP; a bad
key file is refused and every worker, even one respawned later, keeps the last validated keys."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
import requests

from bench.harness.gunicorn import Gunicorn
from tests.conftest import ServerFactory
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


# --- a bad key file never takes the service down (docs/operations/api-keys.md) -------------------------
BAD = "bad-key"  # shorter than 16 characters: the whole file is refused
VARIABLE = "PREDICT_API_KEYS_FILE"


def _statuses(url: str, keys: tuple[str | None, ...], rounds: int = 4) -> list[set[int]]:
    """For each key, the statuses of a few requests (they may reach different workers)."""
    return [{_status(url, key) for _ in range(rounds)} for key in keys]


def _refused_lines(server: Gunicorn) -> list[str]:
    """Log lines that name the key-file variable."""
    return [line for line in server.log().splitlines() if VARIABLE in line]


def test_a_bad_key_file_on_sighup_keeps_the_last_validated_keys_until_it_is_fixed(
    start_server: ServerFactory, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    keys.write_text(f"{OLD}\n")
    with start_server(PREDICT_API_KEYS_FILE=str(keys)) as server:
        keys.write_text(f"{NEW}\n{BAD}\n")
        outcome = reload_and_wait(server)
        assert outcome["ok"] is False and VARIABLE in outcome["reason"]
        assert server.process.poll() is None
        assert _statuses(server.url, (None, OLD, NEW)) == [{401}, {200}, {401}]
        assert len(lines := _refused_lines(server)) == 1 and "last validated settings" in lines[0], lines
        keys.write_text(f"{NEW}\n")
        assert reload_and_wait(server)["ok"] is True
        assert _statuses(server.url, (None, OLD, NEW)) == [{401}, {401}, {200}]
        assert len(_refused_lines(server)) == 1
    log = server.log()
    assert OLD not in log and NEW not in log and BAD not in log and "Traceback" not in log


def test_a_worker_restarted_while_the_key_file_is_bad_serves_the_last_validated_keys(
    start_server: ServerFactory, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    keys.write_text(f"{OLD}\n")
    with start_server(workers=1, PREDICT_API_KEYS_FILE=str(keys)) as server:
        keys.write_text(f"{NEW}\n{BAD}\n")
        for reload in (False, True):  # a crash before anyone sends SIGHUP, and one after a refused reload
            if reload:
                assert reload_and_wait(server)["ok"] is False
            (worker,) = server.workers()
            os.kill(worker, signal.SIGKILL)
            server.wait_workers(1, exclude={worker}, timeout=60)
            assert server.process.poll() is None
            assert _statuses(server.url, (None, OLD, NEW)) == [{401}, {200}, {401}]
    log = server.log()
    assert len(_refused_lines(server)) == 1
    assert OLD not in log and NEW not in log and BAD not in log and "Traceback" not in log
