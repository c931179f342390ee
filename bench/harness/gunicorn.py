"""The service's real gunicorn (service/process/gunicorn.conf.py) on a loopback port, logging to a file;
then stopped.

Shared by the soak run and the fault and chaos tests (bench.harness.servers starts the side-by-side
line-ups): the master's pid, its workers, its model store and its log are all at hand. The log goes to a
file, never a pipe, so a long run cannot block on a full pipe.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.harness.procs import child_pids, cmdline
from bench.harness.servers import GUNICORN_CONF as CONFIG
from bench.harness.servers import HOST, free_port
from bench.harness.servers import ROOT as REPO


@dataclass
class Gunicorn:
    """A running master: its process, URL, model path, state directory and log file."""

    process: subprocess.Popen[bytes]
    url: str
    model: Path
    state_dir: Path
    log_path: Path

    @property
    def pid(self) -> int:
        """The master's pid."""
        return self.process.pid

    def workers(self) -> list[int]:
        """The worker pids (children of the master other than a running model check)."""
        lines = {pid: cmdline(pid) for pid in child_pids(self.pid)}
        checks = b"service.process.check"
        return [pid for pid, line in lines.items() if line is not None and checks not in line]

    def log(self) -> str:
        """Everything the server has logged so far."""
        return self.log_path.read_text(errors="replace")

    def wait_workers(
        self, count: int, exclude: set[int] | frozenset[int] = frozenset(), timeout: float = 60
    ) -> list[int]:
        """Wait until `count` workers run, none of them in `exclude`, and /ready answers; their pids."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.workers()
            if len(pids) == count and not set(pids) & exclude and _ready(self.url):
                return pids
            time.sleep(0.1)
        raise AssertionError(f"expected {count} new workers within {timeout} s, have {self.workers()}")


def _ready(url: str) -> bool:
    """Whether /ready answers 200."""
    try:
        return requests.get(f"{url}/ready", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def server_env(model: Path, state_dir: Path, **extra: str) -> dict[str, str]:
    """A clean environment (no inherited PREDICT_* or metrics settings) for one server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREDICT_", "PROMETHEUS_"))}
    env.update(PREDICT_MODEL_PATH=str(model), PREDICT_STATE_DIR=str(state_dir), PYTHONPATH=str(REPO), **extra)
    return env


def stop(process: subprocess.Popen[bytes], timeout: float = 40) -> int:
    """SIGTERM, wait (SIGKILL after `timeout`); the exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


@contextmanager
def gunicorn(
    model: Path, state_dir: Path, log_path: Path, workers: int = 2, **extra: str
) -> Iterator[Gunicorn]:
    """Start gunicorn on a free loopback port, wait for `workers` ready workers, yield, then stop it."""
    port = free_port()
    app = "service.process.wsgi:app"
    argv = [sys.executable, "-m", "gunicorn", "-c", str(CONFIG), "-b", f"{HOST}:{port}", app]
    env = server_env(model, state_dir, PREDICT_WORKERS=str(workers), **extra)
    with log_path.open("ab") as log:
        process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Gunicorn(process, f"http://{HOST}:{port}", model, state_dir, log_path)
    try:
        deadline = time.monotonic() + 90
        while not (len(server.workers()) >= workers and _ready(server.url)):
            if process.poll() is not None:
                raise AssertionError(f"gunicorn exited early: {server.log()[-2000:]}")
            if time.monotonic() > deadline:
                raise AssertionError("gunicorn did not become ready within 90 s")
            time.sleep(0.1)
        yield server
    finally:
        stop(process)
