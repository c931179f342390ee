"""Real gunicorn on a free port: HTTP answers, metrics across workers, refusal to start, graceful stop."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from service.fast import flusher
from tests.onnx_factory import expected_probability, write_model
from tests.service.server import REPO, run_gunicorn_config, run_to_exit, running_server, server_env

pytestmark = pytest.mark.integration
CUSTOMER: dict[str, Any] = {"age": 45, "salary": 90000, "gender": "Female"}


def test_predict_over_http_with_keep_alive(model_path: Path) -> None:
    with running_server(model_path, PREDICT_WORKERS="1") as server, requests.Session() as session:
        for _ in range(3):
            response = session.post(f"{server.url}/predict", json=CUSTOMER, timeout=30)
            assert response.status_code == 200
            assert response.json()["probability"] == round(expected_probability(45, 90000, "Female"), 4)
            assert response.headers["X-Model-Version"] == "logreg-test0000001"
            assert "total;dur=" in response.headers["Server-Timing"]
            assert response.headers.get("Connection", "keep-alive").lower() != "close"
        bad = session.post(f"{server.url}/predict", data="{", headers={"Content-Type": "application/json"})
        assert bad.status_code == 400 and bad.json()["error"] == "malformed_json"
        too_big = session.post(f"{server.url}/predict/batch", json={"customers": [CUSTOMER] * 50_000})
        assert too_big.status_code == 413 and too_big.json()["error"] == "payload_too_large"
        assert session.get(f"{server.url}/nope").json()["error"] == "not_found"


def test_metrics_are_aggregated_across_two_workers(model_path: Path, tmp_path: Path) -> None:
    total, rounds = 0, 20
    with running_server(model_path, PREDICT_WORKERS="2", PREDICT_THREADS="2", TMPDIR=str(tmp_path)) as server:

        def one(i: int) -> int:
            # a fresh connection per request, so the kernel spreads them over both workers
            return requests.post(f"{server.url}/predict", json=CUSTOMER, timeout=30).status_code

        (metrics_dir,) = tmp_path.glob("purchase-predictor-metrics-*")
        pids: set[str] = set()
        while len(pids) < 2 and rounds:  # a fast worker can take a whole round: send more until both served
            with ThreadPoolExecutor(8) as pool:
                assert set(pool.map(one, range(120))) == {200}
            total, rounds = total + 120, rounds - 1
            pids = {f.stem.rsplit("_", 1)[1] for f in metrics_dir.glob("counter_*.db")}
        assert len(pids) >= 2, "expected both workers to have served requests"
        line = 'predict_http_requests_total{endpoint="/predict",method="POST",status="200"}'
        deadline = time.monotonic() + 20  # each worker applies its queued observations every interval
        while time.monotonic() < deadline:  # (later on a loaded machine): wait for the last flush
            if f"{line} {float(total)}" in requests.get(f"{server.url}/metrics", timeout=30).text:
                break
            time.sleep(flusher.INTERVAL_S)
        for _ in range(6):  # whichever worker answers, it reports everyone's counts
            text = requests.get(f"{server.url}/metrics", timeout=30).text
            assert f"{line} {float(total)}" in text
            assert f'predict_predictions_total{{outcome="Yes"}} {float(total)}' in text
            assert f"predict_probability_count {float(total)}" in text
    assert not metrics_dir.exists(), "the metrics directory is removed on exit"


def _one_line_refusal(result: subprocess.CompletedProcess[str], reason: str) -> None:
    """gunicorn exits non-zero with a single readable reason and no traceback."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if "cannot start" in line]
    assert len(lines) == 1 and reason in lines[0], result.stderr


def test_refuses_to_start_without_model(tmp_path: Path) -> None:
    _one_line_refusal(run_to_exit(tmp_path / "missing.onnx"), "model file not found")


def test_refuses_to_start_with_corrupt_model(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.onnx"
    path.write_bytes(b"\x00garbage" * 100)
    _one_line_refusal(run_to_exit(path), "is not a loadable ONNX model")


def test_refuses_to_start_with_mismatched_metadata(tmp_path: Path) -> None:
    path = write_model(
        tmp_path / "m.onnx",
        {"golden_examples": '[{"age": 30, "salary": 1, "gender": "Male", "probability": 0.5}]'},
    )
    _one_line_refusal(run_to_exit(path), "does not reproduce its golden examples")


def test_refuses_to_start_with_invalid_threshold(model_path: Path) -> None:
    _one_line_refusal(run_to_exit(model_path, PREDICT_THRESHOLD="1.5"), "PREDICT_THRESHOLD must be")


def test_wsgi_import_exits_non_zero_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import service.process.wsgi"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env=server_env(tmp_path / "missing.onnx", 0),
        check=False,
    )
    assert result.returncode == 3
    assert result.stderr.strip().count("\n") == 0 and "model file not found" in result.stderr


def test_sigterm_stops_gracefully_and_workers_exit_cleanly(model_path: Path) -> None:
    with running_server(model_path, PREDICT_WORKERS="2") as server:
        requests.post(f"{server.url}/predict", json=CUSTOMER, timeout=30)
        start = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == 0
        assert time.monotonic() - start < 25
        stderr = server.process.stderr.read().decode()  # type: ignore[union-attr]
    assert "Shutting down: Master" in stderr
    assert "SIGABRT" not in stderr and "terminate called" not in stderr, stderr[-2000:]


def test_check_module_reports_ok_and_failure(model_path: Path, tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "service.process.check"],
        cwd=REPO,
        env=server_env(model_path, 0),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0 and ok.stderr == ""
    bad = subprocess.run(
        [sys.executable, "-m", "service.process.check"],
        cwd=REPO,
        env=server_env(tmp_path / "x.onnx", 0),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 3 and bad.stderr.startswith(
        "purchase-predictor: cannot start: model file not found"
    )


def test_config_turns_the_shared_control_socket_off() -> None:
    import ast

    from gunicorn.config import KNOWN_SETTINGS

    tree = ast.parse((REPO / "service" / "process" / "gunicorn.conf.py").read_text())
    assigned = {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    value = assigned["control_socket_disable"]
    assert isinstance(value, ast.Constant) and value.value is True
    assert "control_socket_disable" in {setting.name for setting in KNOWN_SETTINGS}


def test_workers_freeze_their_start_up_heap(tmp_path: Path) -> None:
    script = (
        "import gc, runpy, sys; conf = runpy.run_path('service/process/gunicorn.conf.py'); "
        "conf['post_worker_init'](None); conf['on_exit'](None); "
        "sys.stdout.write(str(gc.get_freeze_count()))"
    )
    result = run_gunicorn_config(tmp_path, script)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 10_000  # the interpreter, gunicorn's config and what it imported
    assert not list(tmp_path.iterdir()), "the metrics directory is removed by on_exit"
