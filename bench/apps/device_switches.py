"""Switching one performance device of the service off, for `python -m bench.devices` (bench-only).

BENCH_DEVICE_OFF names the device; each is switched off by making the service take its plain path:
the schema instead of the fast path (service.http.reject explains a 422 either way), prometheus_client's
public calls instead of its adapter's private ones, synchronous writes instead of the flusher thread,
onnxruntime instead of the lookup table.
(The hand-rendered /predict answer and the onnxruntime binding adapter were measured the same way and
removed: docs/performance/devices.md.) gc.freeze is a gunicorn hook: see bench/apps/gunicorn_devices.py.
(So was a 0.5 ms GIL switch interval.)
bench/apps/device_app.py applies the switch; the service never imports this.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

OFF_ENV = "BENCH_DEVICE_OFF"
APP_DEVICES = ("fastpath", "prometheus_bulk", "flusher", "lookup_table")
HOOK_DEVICES = ("gc_freeze",)
DEVICES = APP_DEVICES + HOOK_DEVICES


def _schema_customer(body: Any) -> tuple[float, float, str] | None:
    """service.fast.fastpath.customer done by CustomerSchema (None when it refuses: the route explains
    why)."""
    from marshmallow import ValidationError

    from service.http.schemas import CustomerSchema

    try:
        row = CustomerSchema().load(body)
    except ValidationError:
        return None
    return row["age"], row["salary"], row["gender"]


def _schema_batch(body: Any) -> tuple[list[float], list[float], list[str]] | None:
    """service.fast.fastpath.batch done by BatchRequestSchema (None when it refuses)."""
    from marshmallow import ValidationError

    from service.http.schemas import BatchRequestSchema

    try:
        customers = BatchRequestSchema().load(body)["customers"]
    except ValidationError:
        return None
    return [r["age"] for r in customers], [r["salary"] for r in customers], [r["gender"] for r in customers]


def switch_off(device: str) -> None:
    """Make the service skip `device` (before the app is built); '' and hook devices change nothing here."""
    if device in ("", *HOOK_DEVICES):
        return
    from runtime.forest_table import ForestTable
    from service.fast import fastpath
    from service.fast.flusher import FLUSHER
    from service.observe import metrics

    if device == "lookup_table":
        ForestTable.build = classmethod(lambda cls, grid, score: None)  # type: ignore[method-assign,assignment]
    elif device == "fastpath":  # every body goes through the marshmallow schema, as before the fast path
        fastpath.customer = _schema_customer
        fastpath.batch = _schema_batch
    elif device == "prometheus_bulk":
        metrics.bulk_supported = lambda counter, histogram: False
    elif device == "flusher":
        FLUSHER.ensure_running = FLUSHER.flush_all  # type: ignore[method-assign]  # write in the request thread
    else:
        raise ValueError(f"{OFF_ENV} must be one of {', '.join(DEVICES)} (got {device!r})")
    log.warning("bench: performance device %r switched off", device)
