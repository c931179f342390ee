"""Gunicorn configuration for `make serve`: workers, timeouts, graceful shutdown, limits, metrics, checks.

Environment: PREDICT_HOST (0.0.0.0), PORT (8000), PREDICT_WORKERS (number of cores), PREDICT_THREADS (2 per
worker), PREDICT_TIMEOUT (30 s), PREDICT_GRACEFUL_TIMEOUT (20 s), PREDICT_KEEPALIVE (5 s). The request body
limit is PREDICT_MAX_BODY_BYTES, enforced by the app (and by the front: service.process.launch). onnxruntime
runs one intra-op and one inter-op thread per worker (runtime.session.session_options), so workers x 1
threads fill the cores.
Each worker freezes its start-up heap (see post_worker_init). Layout and devices: docs/performance/.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

from gunicorn.glogging import Logger


def _int_env(name: str, default: int, low: int = 1) -> int:
    """A positive integer from the environment, or exit with the variable's name."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if value < low:
        sys.stderr.write(f"purchase-predictor: cannot start: {name} must be an integer >= {low}\n")
        raise SystemExit(3)
    return value


_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from service.front.config import FrontError, host_env  # noqa: E402  (standard library only)
from service.process import reload as model_reload  # noqa: E402  (standard library only: safe in the master)

# A fresh directory for prometheus_client's multiprocess files, set before any worker imports the client.
# Made once per master: gunicorn re-executes this file on SIGHUP, and a new directory would reset /metrics.
_METRICS_DIR = model_reload.metrics_dir()
# The model store (PREDICT_STATE_DIR, or a private temporary one): workers load only validated models
# from it. The pidfile lets `make deploy-model` / `make rollback` send SIGHUP to this master.
pidfile = str(model_reload.state_dir() / "master.pid")


def _host_env(name: str, default: str) -> str:
    """The address to bind, checked as the front checks it (service.front.config), or exit naming it."""
    try:
        raw = host_env(os.environ, name, default)
    except FrontError as error:
        sys.stderr.write(f"purchase-predictor: cannot start: {error}\n")
        raise SystemExit(3) from None
    return f"[{raw}]" if ":" in raw else raw


# gunicorn listens here (service.process.launch's default front, the buffering worker class, and
# PREDICT_FRONT=none);
# with PREDICT_FRONT=nginx the launcher overrides this with `--bind unix:<private folder>/app.sock`.
bind = f"{_host_env('PREDICT_HOST', '0.0.0.0')}:{_int_env('PORT', 8000)}"
workers = _int_env("PREDICT_WORKERS", os.cpu_count() or 1)
# keeps connections alive, unlike sync workers that close after each response; service.process.launch passes
# `--worker-class service.front.worker.BufferingWorker` (gthread reading each request whole) by default
worker_class = "gthread"
threads = _int_env("PREDICT_THREADS", 2)  # measured: docs/performance/layouts.md
timeout = _int_env("PREDICT_TIMEOUT", 30)
graceful_timeout = _int_env("PREDICT_GRACEFUL_TIMEOUT", 20)
keepalive = _int_env("PREDICT_KEEPALIVE", 5)
backlog = 2048
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# No control socket: every master would otherwise share ~/.gunicorn/gunicorn.ctl (gunicorn >= 25.1).
control_socket_disable = True
accesslog = None  # the app writes one JSON line per request (service.observe.middleware)
errorlog = "-"
loglevel = os.environ.get("PREDICT_LOG_LEVEL", "info").lower()


class JSONLogger(Logger):
    """Gunicorn's own lines as JSON on stderr, and no gunicorn access log.

    A `logconfig_dict` would make gunicorn treat access logging as on and build its access-log atoms for
    every request (about 10 µs each) only for a logger that drops them; this class keeps it off.
    """

    def setup(self, cfg: Any) -> None:
        """Gunicorn's handlers, with JSON lines instead of its text format."""
        super().setup(cfg)
        if _REPO not in sys.path:
            sys.path.insert(0, _REPO)
        from service.observe.logs import JSONFormatter  # standard library only: safe in the master

        for handler in self.error_log.handlers:
            handler.setFormatter(JSONFormatter())

    @property
    def access_log_enabled(self) -> bool:
        """Never: the app logs each request itself."""
        return False

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """Nothing to do (see access_log_enabled)."""


logger_class = JSONLogger


def on_starting(server: Any) -> None:
    """Check settings and the model (incl. the golden self-test) in a child process before binding.

    A separate interpreter keeps onnxruntime out of the master: a runtime initialised before fork()
    makes the workers abort when they exit. The validated model is copied into the store; if it fails
    and the store holds an earlier validated model, that one is served (one log line), else gunicorn
    refuses to start with the one-line reason (service.process.reload).
    """
    model_reload.start(server, _REPO)


def on_reload(server: Any) -> None:
    """SIGHUP: re-read the settings and validate the model once, before any new worker starts; a bad
    setting or a failing model changes nothing (workers keep the last validated ones)."""
    model_reload.reload(server, _REPO)


def post_worker_init(worker: Any) -> None:
    """Freeze the start-up heap once the app is loaded.

    gc.freeze() moves everything loaded at start-up (onnxruntime, numpy, Flask, the schemas) out of the
    collector's sight: without it every full collection walks all of it, a pause of 15-40 ms
    (bench.device_micro) that stalls every thread of the worker. (A shorter GIL switch interval was
    measured too and removed: docs/performance/devices.md.)
    """
    gc.collect()
    gc.freeze()


def child_exit(server: Any, worker: Any) -> None:
    """Mark a dead worker's live gauges so /metrics stays correct across restarts."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, _METRICS_DIR)


def on_exit(server: Any) -> None:
    """Remove the metrics directory (and a temporary model store)."""
    model_reload.cleanup()
