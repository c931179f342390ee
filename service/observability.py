"""Per-request hooks: request id, Server-Timing, X-Model-Version, metrics and the JSON access log.

Per-request values live in the WSGI environ under `predict.*` keys: one dict, no extra proxy lookups.
"""

from __future__ import annotations

import logging
import os
import re
from time import perf_counter
from typing import Any

from flask import Flask, Response, request

from service.state import ServiceState

logger = logging.getLogger(__name__)

REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
TIMED_STEPS = ("parse", "validate", "infer")
START, REQUEST_ID_KEY, TIMINGS, INPUTS = (
    "predict.start",
    "predict.request_id",
    "predict.timings",
    "predict.inputs",
)


def install(app: Flask, state: ServiceState) -> None:
    """Register the start and finish hooks on an app."""
    metrics, access_log, version = state.metrics, state.access_log, state.model_version
    sane = REQUEST_ID.fullmatch

    def start() -> None:
        """Stamp the request with a start time and an id (a sane incoming X-Request-ID is kept)."""
        environ = request.environ
        environ[START] = perf_counter()
        incoming = environ.get("HTTP_X_REQUEST_ID")
        environ[REQUEST_ID_KEY] = incoming if incoming and sane(incoming) else os.urandom(16).hex()

    def finish(response: Response) -> Response:
        """Add the headers every response carries, count the request, write one access-log line."""
        req = request._get_current_object()  # type: ignore[attr-defined]
        environ: dict[str, Any] = req.environ
        total = perf_counter() - environ.get(START, perf_counter())
        timings = environ.get(TIMINGS)
        steps = (
            "".join(f"{k};dur={timings[k] * 1000:.3f}, " for k in TIMED_STEPS if k in timings)
            if timings
            else ""
        )
        request_id = environ.get(REQUEST_ID_KEY, "")
        status = response.status_code
        headers = response.headers
        headers.add("Server-Timing", f"{steps}total;dur={total * 1000:.3f}")
        headers.add("X-Model-Version", version)
        headers.add("X-Request-ID", request_id)
        rule = req.url_rule
        endpoint = rule.rule if rule is not None else "unmatched"
        method = req.method
        metrics.observe_request(endpoint, method, status, total)
        if access_log.enabled:
            fields: dict[str, Any] = {
                "request_id": request_id,
                "method": method,
                "path": endpoint,
                "status": status,
                "duration_ms": round(total * 1000, 3),
            }
            if INPUTS in environ:
                fields["inputs"] = environ[INPUTS]
            access_log.write(fields)
        return response

    app.before_request(start)
    app.after_request(finish)
