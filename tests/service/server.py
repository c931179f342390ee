"""Start real gunicorn processes on free ports for integration tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "service" / "process" / "gunicorn.conf.py"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def gunicorn_command(python: str = sys.executable) -> list[str]:
    """What `make serve` runs, with a given interpreter."""
    return [python, "-m", "gunicorn", "-c", str(CONFIG), "service.process.wsgi:app"]


def server_env(model: Path, port: int, **extra: str) -> dict[str, str]:
    """The environment for a server process (no inherited PREDICT_* or metrics settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREDICT_", "PROMETHEUS_"))}
    env.update(PORT=str(port), PREDICT_MODEL_PATH=str(model), PYTHONPATH=str(REPO), **extra)
    return env


def run_gunicorn_config(tmp_path: Path, script: str) -> subprocess.CompletedProcess[str]:
    """`python -c script` (it loads service/process/gunicorn.conf.py itself) with a server's environment and
    its temporary files under `tmp_path`."""
    env = server_env(tmp_path / "unused.onnx", 8000, TMPDIR=str(tmp_path))
    return subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True)


@dataclass
class Server:
    """A running gunicorn and its base URL."""

    process: subprocess.Popen[bytes]
    url: str


@contextmanager
def running_server(model: Path, python: str = sys.executable, **extra: str) -> Iterator[Server]:
    """Start gunicorn, wait for /ready, yield, then stop it with SIGTERM."""
    with _serve(model, python, None, extra) as server:
        yield server


@contextmanager
def logged_server(model: Path, log: Path, **extra: str) -> Iterator[Server]:
    """`running_server` with gunicorn's stdout and stderr in a file (for tests that read the logs)."""
    with _serve(model, sys.executable, log, extra) as server:
        yield server


@contextmanager
def _serve(model: Path, python: str, log: Path | None, extra: dict[str, str]) -> Iterator[Server]:
    """Start gunicorn, wait for /ready, yield, then stop it with SIGTERM."""
    port = free_port()
    sink = log.open("wb") if log is not None else None
    process = subprocess.Popen(
        gunicorn_command(python),
        cwd=REPO,
        env=server_env(model, port, **extra),
        stdout=sink or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if sink else subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                output = log.read_bytes() if log is not None else process.stderr.read()  # type: ignore[union-attr]
                raise AssertionError(f"gunicorn exited early: {output.decode()[-2000:]}")
            try:
                if requests.get(f"{url}/ready", timeout=2).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):  # not bound yet, or workers still booting
                pass
            if time.monotonic() > deadline:
                raise AssertionError("gunicorn did not become ready within 60 s")
            time.sleep(0.1)
        yield Server(process, url)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stderr is not None:
            process.stderr.close()
        if sink is not None:
            sink.close()


def run_to_exit(model: Path, timeout: float = 60, **extra: str) -> subprocess.CompletedProcess[str]:
    """Run gunicorn expecting it to refuse to start; returns the finished process."""
    return subprocess.run(
        gunicorn_command(),
        cwd=REPO,
        env=server_env(model, free_port(), **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
