"""The master's set-up survives gunicorn re-executing its config on SIGHUP; a bad state dir stops it; the
master reads the settings itself without loading onnxruntime or Flask."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.harness.gunicorn import REPO, server_env
from tests.service.server import run_gunicorn_config, run_to_exit

pytestmark = pytest.mark.integration


def test_re_executing_the_config_keeps_the_metrics_dir_the_store_and_the_pidfile(tmp_path: Path) -> None:
    script = (
        "import os, runpy, sys; first = runpy.run_path('service/process/gunicorn.conf.py'); "
        "second = runpy.run_path('service/process/gunicorn.conf.py'); "
        "same = first['_METRICS_DIR'] == second['_METRICS_DIR'] == os.environ['PROMETHEUS_MULTIPROC_DIR'] "
        "and first['pidfile'] == second['pidfile'] "
        "and first['pidfile'].startswith(os.environ['PREDICT_STATE_DIR']); "
        "second['on_exit'](None); sys.stdout.write(str(same))"
    )
    result = run_gunicorn_config(tmp_path, script)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "True"
    assert not list(tmp_path.iterdir()), "on_exit removes the metrics directory and the temporary store"


def test_a_state_dir_that_cannot_be_created_stops_the_start_with_one_line(
    model_path: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run_to_exit(model_path, PREDICT_STATE_DIR=str(blocker / "state"))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if "cannot start" in line]
    assert len(lines) == 1 and "PREDICT_STATE_DIR" in lines[0], result.stderr


def test_the_master_reads_settings_without_onnxruntime_or_flask_nor_quotes_a_key(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_text("short-secret\n")
    script = (
        "import sys\nfrom service.process import reload\ntry:\n    reload.read_settings()\n"
        "except reload.SettingsError as exc:\n    print(exc)\n"
        "print('onnxruntime' in sys.modules, 'flask' in sys.modules)"
    )
    env = server_env(tmp_path / "model.onnx", tmp_path / "state", PREDICT_API_KEYS_FILE=str(keys))
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "PREDICT_API_KEYS_FILE: key 1 must be at least 16 printable characters without spaces or commas",
        "False False",
    ]
