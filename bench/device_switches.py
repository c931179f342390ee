"""Switching one performance device of the service off, for `python -m bench.devices` (bench-only).

BENCH_DEVICE_OFF names the device; each is switched off by making the service take its plain path:
the schema instead of the fast path, json.dumps instead of the hand-rendered answer, the public
prometheus_client and onnxruntime calls instead of their adapters' private ones, synchronous writes
instead of the flusher thread. gc.freeze and the GIL switch interval are gunicorn hooks: see
bench/gunicorn_devices.py. bench/device_app.py applies the switch; the service never imports this.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

log = logging.getLogger(__name__)

OFF_ENV = "BENCH_DEVICE_OFF"
APP_DEVICES = ("fastpath", "answer_one", "prometheus_bulk", "ort_binding", "flusher")
HOOK_DEVICES = ("gc_freeze", "gil_switch")
DEVICES = APP_DEVICES + HOOK_DEVICES


@functools.cache
def _constant(tail: str) -> dict[str, Any]:
    """The threshold and version that `answer_one` appends, as a dict (its tail is `, "threshold": …}`)."""
    parsed: dict[str, Any] = json.loads("{" + tail.removeprefix(", "))
    return parsed


def plain_answer(result: Any, tail: str) -> str:
    """The /predict body rendered by json.dumps, as before the hand-rendered `answer_one`."""
    body = {
        "probability": round(result.probability, 4),
        "prediction": "Yes" if result.buy else "No",
        "warnings": result.warnings,
        **_constant(tail),
    }
    return json.dumps(body)


def switch_off(device: str) -> None:
    """Make the service skip `device` (before the app is built); '' and hook devices change nothing here."""
    if device in ("", *HOOK_DEVICES):
        return
    from runtime import predictor
    from service import fastpath, metrics, routes
    from service.flusher import FLUSHER

    if device == "fastpath":
        fastpath.customer = lambda body: None  # every body goes through the marshmallow schema
        fastpath.batch = lambda body: None
    elif device == "answer_one":
        routes.answer_one = plain_answer
    elif device == "prometheus_bulk":
        metrics.bulk_supported = lambda counter, histogram: False
    elif device == "ort_binding":
        predictor.runner = lambda session: session.run
    elif device == "flusher":
        FLUSHER.ensure_running = FLUSHER.flush_all  # type: ignore[method-assign]  # write in the request thread
    else:
        raise ValueError(f"{OFF_ENV} must be one of {', '.join(DEVICES)} (got {device!r})")
    log.warning("bench: performance device %r switched off", device)
