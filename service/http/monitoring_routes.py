"""Drift monitoring's views: POST /feedback, GET /monitoring/drift and GET /monitoring/report, and the
handlers that count refused inputs. The monitor itself is started with the state (service.observe.drift).
"""

from __future__ import annotations

import json
import logging

from flask import Response, request

from monitoring.monitor import FeedbackError, Monitor
from monitoring.report import clean, render
from monitoring.store_guard import StoreUnavailable as StoreDown
from service.http.api import ErrorHandler, Rule, operation
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


FEEDBACK_ANSWER = {"type": "object", "properties": {"accepted": {"type": "integer"}}}


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


class MonitoringViews:
    """POST /feedback, GET /monitoring/drift and /monitoring/report; with a monitor, the handlers that count
    refused inputs and answer 503 while the monitoring store is down."""

    def __init__(self, state: ServiceState) -> None:
        self.monitor, self.limit = state.monitor, state.settings.max_body_bytes

    def rules(self) -> tuple[Rule, ...]:
        """The URL rules, in the order the OpenAPI document lists them."""
        return (
            Rule("/feedback", "POST", self.feedback),
            Rule("/monitoring/drift", "GET", self.drift),
            Rule("/monitoring/report", "GET", self.report),
        )

    def error_handlers(self) -> tuple[ErrorHandler, ...]:
        """Only while monitoring runs: refused inputs counted by field name, 503 while the store is down."""
        if self.monitor is None:
            return ()
        return ((StoreDown, _store_down), (InvalidInput, _marking_rejected_fields))

    def ready_monitor(self) -> Monitor:
        """The monitor, or 503 when monitoring is off."""
        if self.monitor is None:
            raise MonitoringOff(
                "Drift monitoring is off (PREDICT_MONITOR=0, or the model has no reference profile)."
            )
        return self.monitor

    @operation(
        "feedback",
        "Report real outcomes of earlier predictions (delayed labels).",
        "How many outcomes were credited.",
        FEEDBACK_ANSWER,
        body=FEEDBACK_BODY,
        errors=(400, 401, 409, 410, 413, 415, 422, 503),
    )
    def feedback(self) -> Response:
        """Credit real outcomes to the predictions' windows: one item or {"feedback": [...]}."""
        mon = self.ready_monitor()
        pairs = items(read_json(request.environ, self.limit))  # types checked before any token
        try:
            accepted = mon.feedback(pairs)
        except FeedbackError as exc:
            error = FeedbackRejected(
                exc.message, [{"field": "feedback_token", "index": exc.index or 0, "message": exc.message}]
            )
            error.status = exc.status
            raise error from None
        return Response(json.dumps({"accepted": accepted}), mimetype="application/json")

    @operation(
        "monitoringDrift",
        "Drift statistics and live quality of the last windows.",
        "The windows, newest last.",
        {"type": "object"},
        errors=(401, 503),
    )
    def drift(self) -> Response:
        """The last windows' drift statistics and quality as JSON."""
        doc = self.ready_monitor().drift(WINDOWS_SHOWN)
        return Response(json.dumps(clean(doc)), mimetype="application/json")

    @operation(
        "monitoringReport",
        "The same statistics as a self-contained HTML page.",
        "HTML page.",
        content_type="text/html",
        errors=(401, 503),
    )
    def report(self) -> Response:
        """A self-contained HTML page of the same statistics."""
        return Response(render(clean(self.ready_monitor().drift(WINDOWS_SHOWN))), mimetype="text/html")
