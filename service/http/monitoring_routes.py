"""Drift monitoring in the service: builds the monitor, counts rejected inputs, and serves POST /feedback,
GET /monitoring/drift, GET /monitoring/report and the monitoring gauges on /metrics.
"""

from __future__ import annotations

import json
import logging

from flask import Flask, Response, request

from monitoring.monitor import FeedbackError, Monitor
from monitoring.prometheus import DriftCollector, StoreMetrics
from monitoring.report import clean, render
from monitoring.setup import build_monitor
from monitoring.store_guard import StoreUnavailable as StoreDown
from service.fast.flusher import FLUSHER
from service.http.api import operation
from service.http.errors import HTTPError, InvalidInput, StoreUnavailable, error_response
from service.http.feedback_input import BODY_SCHEMA as FEEDBACK_BODY
from service.http.feedback_input import items
from service.http.routes import read_json
from service.http.state import ServiceState
from service.observe.middleware import REJECTED_FIELDS

logger = logging.getLogger(__name__)

WINDOWS_SHOWN = 30
SCORED_PATHS = ("/predict", "/predict/batch")


class MonitoringOff(HTTPError):
    """Monitoring is not running for this model or configuration."""

    status = 503
    code = "monitoring_off"


class FeedbackRejected(HTTPError):
    """A feedback token was tampered with (400), has expired (410) or was already used (409)."""

    code = "feedback_rejected"


FEEDBACK_ANSWER = {"type": "object", "properties": {"accepted": {"type": "integer"}}}  # fmt: skip


def _marking_rejected_fields(error: InvalidInput) -> Response:
    """The 422 as usual; on /predict and /predict/batch its fields are marked for monitoring to count
    (service.observe.middleware passes them on once the response starts: no per-request hook)."""
    if request.path in SCORED_PATHS:
        request.environ[REJECTED_FIELDS] = [
            str(d.get("field", "other")).split(".")[-1] for d in error.details if isinstance(d, dict)
        ]
    return error_response(error)


def _store_down(error: StoreDown) -> Response:
    """503 with Retry-After while the monitoring store is down (what needs it waits; predictions do not)."""
    message = f"{error}; retry after {error.retry_after} s (predictions are not affected)."
    return error_response(StoreUnavailable(message, error.retry_after))


def register(app: Flask, state: ServiceState) -> None:
    """Create the monitor (when the model carries a reference profile) and add the monitoring routes."""
    settings, predictor = state.settings, state.predictor
    if settings.monitor and predictor is not None:
        state.monitor = build_monitor(
            predictor, settings.monitor_db, settings.monitor_key, settings.monitor_window,
            settings.monitor_feedback_ttl, FLUSHER.ensure_running, settings.monitor_store_timeout,
        )  # fmt: skip
    monitor: Monitor | None = state.monitor
    if monitor is not None:
        FLUSHER.register(monitor)
        state.metrics.add_collector(DriftCollector(lambda: monitor.drift(2)))
        store_metrics = StoreMetrics(state.metrics.registry)
        monitor.on_status, monitor.on_lost = store_metrics.status, store_metrics.rows_lost
        monitor.report()
        app.register_error_handler(StoreDown, _store_down)

    def ready_monitor() -> Monitor:
        if monitor is None:
            raise MonitoringOff(
                "Drift monitoring is off (PREDICT_MONITOR=0, or the model has no reference profile)."
            )
        return monitor

    if monitor is not None:  # rejected inputs, by field name (never by value)
        state.on_rejected = lambda fields: monitor.observe_rejected(list(fields))
        app.register_error_handler(InvalidInput, _marking_rejected_fields)

    @app.post("/feedback")
    @operation("feedback", "Report real outcomes of earlier predictions (delayed labels).",
               "How many outcomes were credited.", FEEDBACK_ANSWER, body=FEEDBACK_BODY,
               errors=(400, 401, 409, 410, 413, 415, 422, 503))  # fmt: skip
    def feedback() -> Response:
        """Credit real outcomes to the predictions' windows: one item or {"feedback": [...]}."""
        mon = ready_monitor()
        pairs = items(read_json(request.environ, settings.max_body_bytes))  # types checked before any token
        try:
            accepted = mon.feedback(pairs)
        except FeedbackError as exc:
            error = FeedbackRejected(exc.message, [{"field": "feedback_token", "index": exc.index or 0,
                                                    "message": exc.message}])  # fmt: skip
            error.status = exc.status
            raise error from None
        return Response(json.dumps({"accepted": accepted}), mimetype="application/json")

    @app.get("/monitoring/drift")
    @operation("monitoringDrift", "Drift statistics and live quality of the last windows.",
               "The windows, newest last.", {"type": "object"}, errors=(401, 503))  # fmt: skip
    def drift() -> Response:
        """The last windows' drift statistics and quality as JSON."""
        doc = ready_monitor().drift(WINDOWS_SHOWN)
        return Response(json.dumps(clean(doc)), mimetype="application/json")

    @app.get("/monitoring/report")
    @operation("monitoringReport", "The same statistics as a self-contained HTML page.", "HTML page.",
               content_type="text/html", errors=(401, 503))  # fmt: skip
    def report() -> Response:
        """A self-contained HTML page of the same statistics."""
        return Response(render(clean(ready_monitor().drift(WINDOWS_SHOWN))), mimetype="text/html")
