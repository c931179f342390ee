"""Stalled clients against the real launcher (2 workers × 2 threads) on loopback, with each front: the
buffering worker class (PREDICT_FRONT=worker, the default) and nginx before gunicorn (PREDICT_FRONT=nginx).

Either front reads every request whole before a gunicorn thread sees it: 256 connections stalled inside
their headers or bodies cost a socket each and no thread, so a good client is answered throughout. The
same attack on plain gthread gunicorn (PREDICT_FRONT=none) shows what the front prevents.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from bench.harness.steady_load import Load
from tests.chaos.front_server import close_all, closed_by_server, launched, stall, stop
from tests.onnx_factory import expected_probability, write_model
from tests.service.server import REPO, server_env

STALLED = 256
GOOD_CASES = [(18 + 3 * i, 15000 + 9000 * i, ("Male", "Female")[i % 2]) for i in range(16)]
SECOND_VERSION = "logreg-front000002"
FRONTS = ["worker", "nginx"]


def good_answers(url: str, count: int, timeout: float) -> list[str]:
    """POST `count` good cases on fresh connections; what was wrong with each (empty: none)."""
    problems = []
    for index in range(count):
        age, salary, gender = GOOD_CASES[index % len(GOOD_CASES)]
        try:
            answer = requests.post(
                url + "/predict", json={"age": age, "salary": salary, "gender": gender}, timeout=timeout
            )
        except requests.RequestException as error:
            problems.append(type(error).__name__)
            continue
        if answer.status_code != 200:
            problems.append(f"status {answer.status_code}")
        elif abs(answer.json()["probability"] - expected_probability(age, salary, gender)) > 1e-3:
            problems.append(f"wrong probability for {age}, {salary}, {gender}")
    return problems


@pytest.mark.parametrize("front", FRONTS)
def test_256_stalled_connections_do_not_delay_a_good_client_behind_the_front(
    model_path: Path, tmp_path: Path, front: str
) -> None:
    # timeouts longer than the test: the stalled sockets stay open throughout, so only buffering protects
    with launched(
        model_path, tmp_path, front, PREDICT_FRONT_HEADER_TIMEOUT="60", PREDICT_FRONT_BODY_TIMEOUT="60"
    ) as srv:
        stalled = stall(srv.port, STALLED)
        try:
            time.sleep(1.0)  # the front has accepted and read what they sent
            started = time.monotonic()
            problems = good_answers(srv.url, count=64, timeout=5)
            elapsed = time.monotonic() - started
            still_open = sum(closed_by_server(sock, 0.01) is None for sock in stalled)
        finally:
            close_all(stalled)
    assert problems == [], problems[:10]
    assert elapsed < 30, elapsed  # 64 requests, each answered at once
    assert still_open == STALLED  # the attack was held open the whole time


def test_the_same_attack_starves_gunicorn_alone(model_path: Path, tmp_path: Path) -> None:
    """Documents the problem: without the front, the stalled sockets hold gunicorn's threads and good
    requests time out (about half of them with gunicorn 27's gthread worker, measured; all with 4
    stalled sockets in the original report)."""
    with launched(model_path, tmp_path, front="none") as server:
        stalled = stall(server.port, STALLED)
        try:
            time.sleep(1.0)
            problems = good_answers(server.url, count=24, timeout=1)
        finally:
            close_all(stalled)
        assert good_answers(server.url, count=16, timeout=5) == []  # back once they are gone
    # 24 tries so the count does not hang on luck: with about half timing out, fewer than 3 is < 1e-4
    assert len(problems) >= 3 and all(p in {"ReadTimeout", "ConnectTimeout"} for p in problems), problems


@pytest.mark.parametrize("front", FRONTS)
@pytest.mark.parametrize("kind", ["headers", "body"])
def test_a_stalled_client_is_closed_after_its_read_timeout(
    model_path: Path, tmp_path: Path, kind: str, front: str
) -> None:
    timeout = 2
    extra = {"PREDICT_FRONT_HEADER_TIMEOUT": str(timeout), "PREDICT_FRONT_BODY_TIMEOUT": str(timeout)}
    with launched(model_path, tmp_path, front, **extra) as server:
        stalled = stall(server.port, 2)
        sock = stalled[0] if kind == "headers" else stalled[1]
        try:
            seconds = closed_by_server(sock, timeout=timeout + 8)
        finally:
            close_all(stalled)
    assert seconds is not None, "still open long after the timeout"
    assert timeout - 0.5 <= seconds <= timeout + 3, seconds


@pytest.mark.parametrize("front", FRONTS)
def test_an_oversize_body_is_refused_with_413_in_the_apps_json_shape(
    model_path: Path, tmp_path: Path, front: str
) -> None:
    with launched(model_path, tmp_path, front, PREDICT_MAX_BODY_BYTES="4096") as server:
        big: dict[str, str | int] = {"age": 40, "salary": 50000, "gender": "Male", "note": "x" * 5000}
        refused = requests.post(
            server.url + "/predict", json=big, timeout=10, headers={"X-Request-ID": "req-413.a"}
        )
        anonymous = requests.post(server.url + "/predict", json=big, timeout=10)
        small = requests.post(
            server.url + "/predict", json={"age": 40, "salary": 5e4, "gender": "Male"}, timeout=10
        )
    assert refused.status_code == anonymous.status_code == 413
    for answer in (refused, anonymous):
        assert answer.headers["Content-Type"] == "application/json"
        body = answer.json()
        assert set(body) == {"error", "message", "details", "request_id"}
        assert body["error"] == "payload_too_large" and body["details"] == []
        assert body["request_id"] == answer.headers["X-Request-ID"]
    assert refused.json()["request_id"] == "req-413.a"
    assert len(anonymous.json()["request_id"]) == 32
    assert small.status_code == 200 and small.headers["Server"] == "gunicorn"  # the app's headers, unchanged
    assert "X-Model-Version" in small.headers and "X-Request-ID" in small.headers


@pytest.mark.parametrize("front", FRONTS)
def test_a_per_address_connection_limit_refuses_the_excess_in_json_and_spares_others(
    model_path: Path, tmp_path: Path, front: str
) -> None:
    """nginx counts per address across its workers; the worker class per gunicorn worker process, so
    its case runs one worker to make the count exact."""
    limit = 8
    workers = "1" if front == "worker" else "2"
    with launched(
        model_path, tmp_path, front, PREDICT_FRONT_MAX_CONN_PER_IP=str(limit), PREDICT_WORKERS=workers
    ) as server:
        stalled = stall(server.port, 2 * (limit + 4))  # the second half stall in their bodies: counted
        try:
            time.sleep(0.5)
            refused = [sock for sock in stalled if _answer_status(sock) == 429]
            other = http.client.HTTPConnection(
                "127.0.0.1", server.port, timeout=5, source_address=("127.0.0.2", 0)
            )
            other.request(
                "POST",
                "/predict",
                json.dumps({"age": 30, "salary": 40000, "gender": "Female"}),
                {"Content-Type": "application/json"},
            )
            status = other.getresponse().status
            other.close()
        finally:
            close_all(stalled)
    assert len(refused) == 4, len(refused)
    assert status == 200


def _answer_status(sock: socket.socket) -> int | None:
    """The status of an answer already waiting on a socket, or None."""
    sock.settimeout(0.2)
    try:
        head = sock.recv(4096)
    except (TimeoutError, OSError):
        return None
    if head.startswith(b"HTTP/1.1 429") and b'"error": "too_many_connections"' in head:
        return 429
    return int(head.split()[1]) if head.startswith(b"HTTP/") else None


@pytest.mark.parametrize("front", FRONTS)
def test_deploy_model_and_sighup_through_the_launcher_switch_models_under_load_with_no_failure(
    model_path: Path, tmp_path: Path, front: str
) -> None:
    live = tmp_path / "live" / "purchase_model.onnx"
    live.parent.mkdir()
    shutil.copyfile(model_path, live)
    second = write_model(tmp_path / "second.onnx", {"model_version": SECOND_VERSION})
    with launched(live, tmp_path, front) as server:
        first_version = requests.get(server.url + "/model", timeout=5).json()["model_version"]
        load = Load(server.url, threads=4, rate=150).start()
        deployed = subprocess.run(
            [sys.executable, "-m", "service.process.deploy", "deploy", str(second)],
            cwd=REPO,
            env=server_env(live, server.port, PREDICT_STATE_DIR=str(server.state_dir)),
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert deployed.returncode == 0, deployed.stderr
        assert requests.get(server.url + "/model", timeout=5).json()["model_version"] == SECOND_VERSION
        shutil.copyfile(model_path, live)  # back to the first file, then SIGHUP to the launcher itself
        os.kill(server.process.pid, signal.SIGHUP)
        deadline = time.monotonic() + 90
        while requests.get(server.url + "/model", timeout=5).json()["model_version"] != first_version:
            assert time.monotonic() < deadline, "SIGHUP through the launcher did not reload the model"
            time.sleep(0.2)
        time.sleep(1)
        counts = load.stop()
        code = stop(server.process)
    assert dict(counts.failed) == {} and counts.ok > 100, counts
    assert set(counts.versions) == {first_version, SECOND_VERSION}
    assert code == 0
