"""A bad PREDICT_* setting stops a real gunicorn at once with one line naming the variable, even when the
model store holds a validated model (that model used to be "served" while every worker failed to boot)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from service.process import check, reload
from tests.service.server import REPO, run_to_exit, running_server, server_env

BAD_SETTINGS = [
    pytest.param("PREDICT_API_KEYS", "too-short", "at least 16", id="short-api-key"),
    pytest.param("PREDICT_ADMIN_API_KEYS", "a,b", "at least 16", id="short-admin-keys"),
    pytest.param("PREDICT_MONITOR_KEY", "short", "at least 16 bytes", id="short-monitor-key"),
    pytest.param("PREDICT_THRESHOLD", "high", "must be a number", id="threshold-text"),
    pytest.param("PREDICT_MAX_BODY_BYTES", "12", "from 1024", id="body-limit"),
    pytest.param("PREDICT_LOG_LEVEL", "LOUD", "one of DEBUG", id="log-level"),
    pytest.param("PREDICT_MONITOR", "maybe", "1/0, true/false", id="monitor-flag"),
]


@pytest.fixture(scope="module")
def stored(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A state directory whose model store holds a validated model (one good start, then stopped)."""
    state = tmp_path_factory.mktemp("state")
    with running_server(model_path, PREDICT_STATE_DIR=str(state), PREDICT_WORKERS="1"):
        pass
    return state


def refused_in_one_line(result: subprocess.CompletedProcess[str], variable: str, reason: str) -> None:
    """Non-zero exit, one 'cannot start' line naming the variable, no worker booted, nothing else blamed."""
    assert result.returncode != 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "cannot start" in line]
    assert len(lines) == 1 and variable in lines[0] and reason in lines[0], result.stderr
    assert "Booting worker" not in result.stderr and "Traceback" not in result.stderr
    assert "previously validated model" not in result.stderr and "failed to boot" not in result.stderr


@pytest.mark.parametrize(("variable", "value", "reason"), BAD_SETTINGS)
def test_a_bad_setting_stops_the_master_even_with_a_stored_model(
    model_path: Path, stored: Path, variable: str, value: str, reason: str
) -> None:
    result = run_to_exit(model_path, timeout=60, PREDICT_STATE_DIR=str(stored), **{variable: value})
    refused_in_one_line(result, variable, reason)


def test_a_bad_setting_without_a_stored_model_is_one_line_too(model_path: Path) -> None:
    refused_in_one_line(run_to_exit(model_path, PREDICT_API_KEYS="x" * 15), "PREDICT_API_KEYS", "at least 16")


def test_a_bad_model_with_a_stored_one_still_serves_the_stored_one(
    stored: Path, tmp_path: Path, model_path: Path
) -> None:
    missing = tmp_path / "missing.onnx"  # a model problem, not a setting: the stored model is served
    with running_server(missing, PREDICT_STATE_DIR=str(stored), PREDICT_WORKERS="1") as server:
        assert server.process.poll() is None


def test_the_check_exits_with_the_settings_status_the_master_knows(tmp_path: Path) -> None:
    assert check.EXIT_SETTINGS == reload.EXIT_SETTINGS != check.EXIT_STARTUP
    result = subprocess.run(
        [sys.executable, "-m", "service.process.check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env=server_env(tmp_path / "model.onnx", 0, PREDICT_MONITOR_KEY="short"),
        check=False,
    )
    assert result.returncode == check.EXIT_SETTINGS
    assert (
        result.stderr
        == "purchase-predictor: cannot start: PREDICT_MONITOR_KEY must be at least 16 bytes long\n"
    )
