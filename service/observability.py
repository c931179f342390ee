"""Per-request hooks: request id, Server-Timing, X-Model-Version, metrics and the JSON access log.

Per-request values live in the WSGI environ under `predict.*` keys: one dict, no extra proxy lookups.
"""

from __future__ import annotations

import logging
import re
from os import urandom
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
    """Wrap the app with the start stamp and register the finish hook."""
    metrics, access_log, version = state.metrics, state.access_log, state.model_version
    sane = REQUEST_ID.fullmatch

    inner = app.wsgi_app

    def start(environ: dict[str, Any], start_response: Any) -> Any:
        """Stamp the request with a start time and an id (a sane incoming X-Request-ID is kept).

        A WSGI middleware in front of Flask rather than a before_request hook: the stamp is taken before
        Flask builds the request context, and no hook dispatch or context-local lookup is needed.
        """
        environ[START] = perf_counter()
        incoming = environ.get("HTTP_X_REQUEST_ID")
        environ[REQUEST_ID_KEY] = incoming if incoming and sane(incoming) else urandom(16).hex()
        return inner(environ, start_response)

    def finish(response: Response) -> Response:
        """Add the headers every response carries, count the request, write one access-log line."""
        req = request._get_current_object()  # type: ignore[attr-defined]
        environ: dict[str, Any] = req.environ
        now = perf_counter()
        total = now - environ.get(START, now)
        request_id = environ.get(REQUEST_ID_KEY, "")
        status = response.status_code
        headers = response.headers
        headers.add("Server-Timing", server_timing(environ.get(TIMINGS), total))
        headers.add("X-Model-Version", version)
        headers.add("X-Request-ID", request_id)
        rule = req.url_rule
        endpoint = rule.rule if rule is not None else "unmatched"
        method = req.method
        metrics.observe_request(endpoint, method, status, total)
        if access_log.enabled:
            access_log.write(request_id, method, endpoint, status, total, environ.get(INPUTS))
        return response

    app.wsgi_app = start  # type: ignore[method-assign]
    app.after_request(finish)


def server_timing(timings: dict[str, float] | None, total: float) -> str:
    """The Server-Timing value: the steps the request reached (parse, validate, infer), then total."""
    if timings is not None and len(timings) == len(TIMED_STEPS):  # a /predict that answered: all three
        return (
            f"parse;dur={timings['parse'] * 1000:.3f}, validate;dur={timings['validate'] * 1000:.3f}, "
            f"infer;dur={timings['infer'] * 1000:.3f}, total;dur={total * 1000:.3f}"
        )
    steps = (
        "".join(f"{k};dur={timings[k] * 1000:.3f}, " for k in TIMED_STEPS if k in timings) if timings else ""
    )
    return f"{steps}total;dur={total * 1000:.3f}"
