"""Run gunicorn and nginx side by side in the foreground: start in order, forward signals, stop both.

gunicorn starts first on a Unix socket in a private folder; nginx starts once that socket accepts (so the
public port opens when the service can answer, as with gunicorn alone). SIGHUP goes to the gunicorn master
(model reload; `make deploy-model` signals the master through its pidfile directly). SIGTERM stops nginx
gracefully first (it finishes the requests it holds), then gunicorn; SIGINT does the same, fast. If either
process ends on its own, the other is stopped and the launcher exits with an error, so a supervisor
(Docker, Kubernetes) restarts the pair. Every wait is bounded.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

POLL_S = 0.1
START_TIMEOUT_S = 300  # the model check before gunicorn binds is bounded at 120 s (service.process.reload)
NGINX_SETTLE_S = 0.5  # nginx that cannot parse its config exits within this
PR_SET_PDEATHSIG = 1


@dataclass
class Pair:
    """The two processes and what to do with them; `stop_signal` is set by the signal handlers."""

    gunicorn_argv: Sequence[str]
    nginx_argv: Sequence[str]
    address: str | tuple[str, int]  # where gunicorn listens: a Unix socket path or a loopback (host, port)
    graceful_timeout: int
    gunicorn: subprocess.Popen[bytes] | None = None
    nginx: subprocess.Popen[bytes] | None = None
    pending: list[int] = field(default_factory=list)

    def on_signal(self, signum: int, _frame: object) -> None:
        """Record the signal; the main loop acts on it (handlers stay minimal)."""
        self.pending.append(signum)

    def install_handlers(self) -> None:
        """SIGTERM, SIGINT and SIGHUP are handled by the main loop."""
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self.on_signal)

    def run(self) -> int:
        """Start both, serve until a signal or a crash, stop both; the exit status."""
        self.install_handlers()
        self.gunicorn = subprocess.Popen(self.gunicorn_argv, preexec_fn=_die_with_parent)
        status = self._wait_for_socket()
        if status is not None:
            return status
        self.nginx = subprocess.Popen(self.nginx_argv, preexec_fn=_die_with_parent)
        try:
            self.nginx.wait(timeout=NGINX_SETTLE_S)
        except subprocess.TimeoutExpired:
            pass
        else:
            code = self.nginx.returncode
            logger.error("purchase-predictor: cannot start: nginx exited with status %s (reason above)", code)
            self._stop(fast=False)
            return 1
        return self._serve()

    def _wait_for_socket(self) -> int | None:
        """Wait until gunicorn accepts on its socket; an exit status if it ended or a stop was asked."""
        assert self.gunicorn is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if (code := self.gunicorn.poll()) is not None:
                return code or 1
            if (stop := self._handle_pending()) is not None:
                return self._stop(fast=stop == signal.SIGINT)
            if _accepts(self.address):
                return None
            time.sleep(POLL_S)
        logger.error("purchase-predictor: cannot start: gunicorn did not listen within %d s", START_TIMEOUT_S)
        self._stop(fast=True)
        return 1

    def _serve(self) -> int:
        """Until a stop signal or one process ending; then stop both."""
        assert self.gunicorn is not None and self.nginx is not None
        while True:
            if (stop := self._handle_pending()) is not None:
                return self._stop(fast=stop == signal.SIGINT)
            for name, process in (("gunicorn", self.gunicorn), ("nginx", self.nginx)):
                if (code := process.poll()) is not None:
                    logger.error("purchase-predictor: %s exited with status %s; stopping", name, code)
                    self._stop(fast=False)
                    return code or 1
            time.sleep(POLL_S)

    def _handle_pending(self) -> int | None:
        """Forward SIGHUP to the gunicorn master; return a stop signal if one arrived."""
        while self.pending:
            signum = self.pending.pop(0)
            if signum == signal.SIGHUP:
                if self.gunicorn is not None and self.gunicorn.poll() is None:
                    self.gunicorn.send_signal(signal.SIGHUP)
                continue
            self.pending.clear()
            return signum
        return None

    def _stop(self, fast: bool) -> int:
        """nginx first (graceful: it drains what it holds), then gunicorn; 0 if both ended cleanly."""
        codes = [
            _end(self.nginx, signal.SIGTERM if fast else signal.SIGQUIT, self.graceful_timeout + 2),
            _end(self.gunicorn, signal.SIGINT if fast else signal.SIGTERM, self.graceful_timeout + 5),
        ]
        return 0 if all(code in (0, None, -signal.SIGTERM, -signal.SIGINT) for code in codes) else 1


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM if the launcher dies (even by SIGKILL), so nothing is left
    behind (Linux prctl PR_SET_PDEATHSIG; elsewhere nothing)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _accepts(address: str | tuple[str, int]) -> bool:
    """Whether a Unix socket path or a TCP (host, port) accepts a connection now."""
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(address)
        except OSError:
            return False
        return True


def _end(process: subprocess.Popen[bytes] | None, signum: int, timeout: float) -> int | None:
    """Signal a process and wait for it, killing it after `timeout`; its exit status."""
    if process is None:
        return None
    if process.poll() is None:
        process.send_signal(signum)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            logger.error("purchase-predictor: pid %d still up after %.0f s; killed", process.pid, timeout)
            process.kill()
            process.wait(timeout=10)
    return process.returncode
