"""Worker crashes and shutdown on a real gunicorn: SIGKILL under counted load, SIGTERM draining."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from urllib.parse import urlsplit

import pytest

from bench.harness.steady_load import Load
from tests.conftest import ServerFactory
from tests.faults.helpers import FIRST_VERSION, served_version

pytestmark = pytest.mark.integration
MAX_FAILURE_RATE = 0.005


def test_sigkill_of_a_worker_under_load_fails_at_most_half_a_percent_and_is_replaced(
    start_server: ServerFactory,
) -> None:
    with start_server() as server:
        load = Load(server.url, threads=4, rate=400).start()
        time.sleep(3)
        victim = server.workers()[0]
        os.kill(victim, signal.SIGKILL)
        replaced = server.wait_workers(2, exclude={victim})
        time.sleep(4)
        counts = load.stop()
        assert victim not in replaced and len(replaced) == 2
        assert counts.total > 1500, counts  # each failure is at most 1/1500 of the traffic
        assert counts.failure_rate <= MAX_FAILURE_RATE, counts
        assert served_version(server) == FIRST_VERSION


def _slow_request(url: str, body: bytes) -> socket.socket:
    """Open a connection and send the headers and half the body of a /predict request."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=30)
    head = (
        f"POST /predict HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    sock.sendall(head.encode() + body[: len(body) // 2])
    return sock


def _finish(sock: socket.socket, body: bytes) -> bytes:
    """Send the rest of the body and read the whole answer (the server closes after it)."""
    sock.sendall(body[len(body) // 2 :])
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    sock.close()
    return b"".join(chunks)


def test_sigterm_drains_requests_in_flight_and_exits_0_within_the_graceful_timeout(
    start_server: ServerFactory,
) -> None:
    graceful = 10
    body = json.dumps({"age": 35, "salary": 60000, "gender": "Female"}).encode()
    with start_server(PREDICT_GRACEFUL_TIMEOUT=str(graceful)) as server:
        in_flight = [_slow_request(server.url, body) for _ in range(4)]
        time.sleep(0.5)  # the workers have accepted the connections and are reading the bodies
        start = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        time.sleep(1.0)  # the shutdown is under way while the bodies are still arriving
        answers = [_finish(sock, body) for sock in in_flight]
        assert server.process.wait(timeout=graceful + 10) == 0
        elapsed = time.monotonic() - start
    for answer in answers:
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        assert b'"model_version": "' + FIRST_VERSION.encode() in answer
    assert elapsed < graceful + 2, elapsed
    assert "Shutting down: Master" in server.log()
