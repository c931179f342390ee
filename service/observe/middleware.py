"""Per-request observability: request id, Server-Timing, X-Model-Version, metrics and the JSON access log.

One WSGI middleware in front of Flask does all of it. It stamps the start time and the request id into the
environ and wraps `start_response`, which Flask calls once the view (or an error handler) has produced the
response: there the headers are appended as plain tuples, the request is counted and the access line is
queued. No Flask hooks or context-local lookups are involved. Per-request values live in the WSGI environ
under `predict.*` keys.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from random import getrandbits
from time import perf_counter
from typing import Any

from flask import Flask

from service.http.state import ServiceState

logger = logging.getLogger(__name__)

REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
TIMED_STEPS = ("parse", "validate", "infer")
REQUEST_ID_KEY, TIMINGS, INPUTS = "predict.request_id", "predict.timings", "predict.inputs"
REJECTED_FIELDS = "predict.rejected_fields"  # the input names a scoring view refused (monitoring counts them)
UNMATCHED = "unmatched"  # the endpoint label of requests no route matched (404, 405)

StartResponse = Callable[..., Any]


def new_request_id() -> str:
    """32 hex digits from the process's PRNG (reseeded after fork): unique, not a secret, no syscall."""
    return f"{getrandbits(128):032x}"


def endpoint_of(environ: dict[str, Any]) -> str:
    """The matched route pattern (e.g. '/predict'), read from the request Flask built for this environ."""
    rule = getattr(environ.get("werkzeug.request"), "url_rule", None)
    return rule.rule if rule is not None else UNMATCHED


def install(app: Flask, state: ServiceState) -> None:
    """Put the observing middleware in front of the app's WSGI callable."""
    metrics, access_log, version = state.metrics, state.access_log, state.model_version
    monitor = state.monitor
    sane = REQUEST_ID.fullmatch
    inner = app.wsgi_app

    def observed(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Stamp the request, then finish it when the response starts (a sane X-Request-ID is kept)."""
        start = perf_counter()
        incoming = environ.get("HTTP_X_REQUEST_ID")
        request_id = environ[REQUEST_ID_KEY] = incoming if incoming and sane(incoming) else new_request_id()

        def finish(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            """Add the headers every response carries, count the request, write one access-log line."""
            total = perf_counter() - start
            headers.append(("Server-Timing", server_timing(environ.get(TIMINGS), total)))
            headers.append(("X-Model-Version", version))
            headers.append(("X-Request-ID", request_id))
            code, endpoint, method = int(status[:3]), endpoint_of(environ), environ["REQUEST_METHOD"]
            metrics.observe_request(endpoint, method, code, total)
            refused = environ.get(REJECTED_FIELDS)  # set where a scoring request was refused
            if refused is not None and monitor is not None:  # counted by field name, never by value
                monitor.observe_rejected(list(refused))
            if access_log.enabled:
                access_log.write(request_id, method, endpoint, code, total, environ.get(INPUTS))
            return start_response(status, headers, exc_info)

        return inner(environ, finish)

    app.wsgi_app = observed  # type: ignore[method-assign]


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
