"""The real launcher (`python -m service.process.launch`: gunicorn with the buffering worker, or nginx +
gunicorn) on loopback, and stalled clients."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.service.server import REPO, free_port, server_env

STOP_TIMEOUT_S = 45  # nginx's and gunicorn's graceful stops in turn, then a kill
PARTIAL_HEADERS = b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: applic"
SHORT_BODY = (
    b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: 1000\r\n\r\n" + b'{"age": 40'
)  # 10 bytes of a promised 1000


@dataclass
class Launched:
    """A running launcher: its process (own session), base URL, model store and log file."""

    process: subprocess.Popen[bytes]
    url: str
    port: int
    state_dir: Path
    log_path: Path

    def log(self) -> str:
        """Everything the launcher, nginx and gunicorn wrote so far."""
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def launched(model: Path, tmp: Path, front: str = "worker", **extra: str) -> Iterator[Launched]:
    """Start `python -m service.process.launch` on a free loopback port with 2 workers × 2 threads (the
    layout the stall was measured on; `extra` may change it), wait for /ready, yield; then SIGTERM the
    launcher alone and wait (bounded)."""
    port = free_port()
    state_dir, log_path = tmp / f"state-{port}", tmp / f"launch-{port}.log"
    layout = {"PREDICT_WORKERS": "2", "PREDICT_THREADS": "2", **extra}
    env = server_env(
        model, port, PREDICT_FRONT=front, PREDICT_HOST="127.0.0.1", PREDICT_STATE_DIR=str(state_dir), **layout
    )
    with log_path.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.process.launch"],
            cwd=REPO,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Launched(process, f"http://127.0.0.1:{port}", port, state_dir, log_path)
    try:
        wait_ready(server)
        yield server
    finally:
        stop(process)


def wait_ready(server: Launched, timeout: float = 90) -> None:
    """Poll /ready until 200; fail with the log's tail if the launcher exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(
                f"the launcher exited with {server.process.returncode}: {server.log()[-3000:]}"
            )
        with contextlib.suppress(requests.RequestException):
            if requests.get(server.url + "/ready", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"not ready within {timeout:.0f} s: {server.log()[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM the launcher (it stops nginx, then gunicorn; or it is gunicorn); kill the whole session if it
    hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):  # nothing of the session may outlive the test
        os.killpg(process.pid, signal.SIGKILL)
    return process.returncode


def ensure_open_files(count: int) -> None:
    """Raise the soft descriptor limit for `count` sockets (plus margin), or fail saying why."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = count + 256
    if soft != resource.RLIM_INFINITY and soft < needed:
        assert hard == resource.RLIM_INFINITY or hard >= needed, f"ulimit -n hard limit {hard} < {needed}"
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def stall(port: int, count: int, source: str = "127.0.0.1") -> list[socket.socket]:
    """`count` connections that stop half way: the first half inside the headers, the rest inside the
    body (Content-Length 1000, 10 bytes sent). The caller closes them."""
    ensure_open_files(count)
    sockets = []
    for index in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
        sock.sendall(PARTIAL_HEADERS if index < count // 2 else SHORT_BODY)
        sockets.append(sock)
    return sockets


def close_all(sockets: list[socket.socket]) -> None:
    """Close every socket, ignoring ones the server already closed."""
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.close()


def closed_by_server(sock: socket.socket, timeout: float) -> float | None:
    """Seconds until the server closes `sock` (EOF or reset), or None if it stays open for `timeout`."""
    start = time.monotonic()
    sock.settimeout(timeout)
    try:
        while sock.recv(4096):
            pass  # a response before the close (the worker's 408; nginx sends none) is read and dropped
    except TimeoutError:
        return None
    except OSError:
        pass  # reset: closed too
    return time.monotonic() - start
