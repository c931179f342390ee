"""Start and stop the benchmarked HTTP servers on free loopback ports, always cleaning up."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.harness.procs import worker_levels

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]
# the service's own config, used for the floors too
GUNICORN_CONF = ROOT / "service" / "process" / "gunicorn.conf.py"
PROJECT_MODEL_ENV = "PREDICT_MODEL_PATH"
SYNC_WORKERS = ("--worker-class", "sync")  # the second floor: same app and config, gunicorn sync workers
FLOOR_APP = "bench.apps.floor:app"
# Each gunicorn master makes and exports these for itself; a server must never inherit another one's.
MASTER_OWNED = frozenset({"PREDICT_STATE_DIR", "PROMETHEUS_MULTIPROC_DIR"})
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class ServerSpec:
    """How to launch one server: a name, its argv (with `{port}` placeholders) and extra environment.

    `depth` is how far below the started process the workers are: 1 for a gunicorn master, 2 for the
    launcher (service.process.launch), whose children are the gunicorn and nginx masters.
    """

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    ready_path: str = "/"
    depth: int = 1


@dataclass
class RunningServer:
    """A started server: its spec, port, master process and log file."""

    spec: ServerSpec
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://{HOST}:{self.port}"

    def workers(self) -> list[int]:
        """Pids of the worker processes: the master's children (grandchildren for the launcher: gunicorn's
        and nginx's workers), or the master itself when it has none."""
        return worker_levels(self.process.pid, self.spec.depth)[-1] or [self.process.pid]

    def all_pids(self) -> list[int]:
        """The started process and every process below it down to the workers (for CPU accounting)."""
        levels = worker_levels(self.process.pid, self.spec.depth)
        return [self.process.pid, *(pid for level in levels for pid in level)]


def free_port() -> int:
    """A currently free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def gunicorn_spec(
    name: str, app: str, config: Path, env: Mapping[str, str] | None = None, extra: Sequence[str] = ()
) -> ServerSpec:
    """A gunicorn server with the given config file, bound to loopback (CLI options override the file).

    --no-control-socket keeps benchmark masters off the shared ~/.gunicorn/gunicorn.ctl of other servers;
    `extra` adds CLI options (e.g. `--worker-class sync`).
    """
    argv = (
        *(str(BIN / "gunicorn"), "-c", str(config), "--bind", f"{HOST}:{{port}}", "--no-control-socket"),
        *extra,
        app,
    )
    return ServerSpec(name=name, argv=argv, env=dict(env or {}))


def launcher_spec(name: str, env: Mapping[str, str] | None = None) -> ServerSpec:
    """`python -m service.process.launch` (the front before the service's gunicorn) on loopback, free port."""
    argv = (sys.executable, "-m", "service.process.launch")
    return ServerSpec(name=name, argv=argv, env={"PREDICT_HOST": HOST, **(env or {})}, depth=2)


def uvicorn_spec(name: str, factory: str, workers: int, env: Mapping[str, str] | None = None) -> ServerSpec:
    """A uvicorn server with an app factory, N workers and no access log."""
    argv = (
        *(str(BIN / "uvicorn"), factory, "--factory", "--host", HOST, "--port", "{port}"),
        *("--workers", str(workers), "--no-access-log", "--log-level", "warning"),
    )
    return ServerSpec(name=name, argv=argv, env=dict(env or {}))


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Poll `url` until it answers with any HTTP status; fail if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before becoming ready")
        with contextlib.suppress(requests.RequestException):
            requests.get(url, timeout=1.0)
            return
        time.sleep(0.1)
    raise TimeoutError(f"{url} not ready after {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Terminate the server's whole process group, killing it if it does not exit within `grace`."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace)


@contextlib.contextmanager
def serve(
    spec: ServerSpec, log_dir: Path, timeout: float = 60.0, min_workers: int = 1
) -> Iterator[RunningServer]:
    """Run `spec` on a free port until the block exits; the process group is always stopped."""
    port = free_port()
    argv: Sequence[str] = [arg.replace("{port}", str(port)) for arg in spec.argv]
    inherited = {k: v for k, v in os.environ.items() if k not in MASTER_OWNED}
    env = {**inherited, "PYTHONPATH": str(ROOT), "PORT": str(port), **spec.env}
    log_path = log_dir / f"{spec.name}.log"
    log.info("starting %s on port %d", spec.name, port)
    with log_path.open("ab") as out:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        server = RunningServer(spec=spec, port=port, process=process, log_path=log_path)
        wait_ready(server.url + spec.ready_path, process, timeout)
        _wait_workers(server, min_workers, timeout)
        yield server
    except BaseException:
        log.error("%s failed; last log lines:\n%s", spec.name, tail(log_path))
        raise
    finally:
        stop(process)
        log.info("stopped %s", spec.name)


def _wait_workers(server: RunningServer, count: int, timeout: float) -> None:
    """Wait (bounded) until the master has at least `count` worker children."""
    deadline = time.monotonic() + timeout
    while len(server.workers()) < count and time.monotonic() < deadline:
        time.sleep(0.1)


def tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log file, for error messages."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
