"""HTTP routes only: parse and validate bodies, call the predictor, shape the answers.

Each view carries its OpenAPI metadata (`@operation`, service.http.api): the Flask URL map is the one route
table, and service.http.openapi builds the document from it.

The views are methods of a class built from the app's state (service.http.app adds their `rules()`); they
read the WSGI environ directly: the /predict path is kept lean.
"""

from __future__ import annotations

import json
import logging
from time import perf_counter
from typing import Any

from flask import Response, request

from runtime.predictor import Prediction
from service.fast import fastpath
from service.http import auth, explain, reject, schemas
from service.http.api import ErrorHandler, Rule, operation
from service.http.docs import DOCS_HTML
from service.http.errors import MalformedJSON, PayloadTooLarge, UnsupportedMediaType
from service.http.openapi import BODY_ERRORS
from service.http.schemas import MAX_BATCH, BatchRequestSchema, CustomerSchema
from service.http.state import ServiceState
from service.observe.middleware import INPUTS, TIMINGS

logger = logging.getLogger(__name__)

DRAIN_LIMIT = 32 * 1024 * 1024  # larger bodies are refused without reading them (the client may see a reset)
JSON_MIMETYPE = "application/json"
OPENAPI_SCHEMA = {"type": "object", "description": "An OpenAPI 3.0 document."}


def _json(body: Any) -> Response:
    """A 200 JSON response."""
    return Response(json.dumps(body), mimetype=JSON_MIMETYPE)


def _drain(stream: Any, length: int) -> None:
    """Read and discard a moderately oversized body so the client sees the 413 instead of a reset."""
    if length > DRAIN_LIMIT:
        return
    while length > 0 and (chunk := stream.read(min(length, 65536))):
        length -= len(chunk)


def read_json(environ: dict[str, Any], limit: int) -> Any:
    """Parse the body as JSON, enforcing the content type and the size limit; records the parse time."""
    start = perf_counter()
    if environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower() != JSON_MIMETYPE:
        raise UnsupportedMediaType("Send the body as JSON with 'Content-Type: application/json'.")
    declared = environ.get("CONTENT_LENGTH")
    too_large = f"The request body is larger than the limit of {limit} bytes."
    if declared:
        try:
            length = int(declared)
        except ValueError:
            raise MalformedJSON("The Content-Length header is not a number.") from None
        if length > limit:
            _drain(environ["wsgi.input"], length)
            raise PayloadTooLarge(too_large)
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
    else:  # chunked: Werkzeug's stream stops at the limit, so a body that reaches it is too large
        raw = request.get_data(cache=False)
        if len(raw) >= limit:
            raise PayloadTooLarge(too_large)
    if not raw:
        raise MalformedJSON("The request body is empty; send a JSON object.")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise MalformedJSON(
            "The request body is not valid JSON (check quotes, commas and brackets)."
        ) from None
    environ[TIMINGS] = {"parse": perf_counter() - start}
    return body


def answer_tail(constant: dict[str, Any]) -> str:
    """The constant end of every /predict answer (threshold, model version), rendered once."""
    return ", " + json.dumps(constant)[1:] if constant else "}"


def answer_one(result: Prediction, tail: str, token: str | None = None) -> str:
    """The /predict body, byte for byte as json.dumps renders it (tests/service/test_api.py); `tail` comes
    from answer_tail, `token` is the feedback token (base64url: nothing to escape). Rendered by hand:
    under load, with the caches cold, this costs ~15 µs where json.dumps costs ~41 µs (bench.device_micro)."""
    warnings = json.dumps(result.warnings) if result.warnings else "[]"
    decision = "Yes" if result.buy else "No"
    feedback = f', "feedback_token": "{token}"' if token else ""
    return (
        f'{{"probability": {round(result.probability, 4)!r}, "prediction": "{decision}", '
        f'"warnings": {warnings}{feedback}{tail}'
    )


class PredictionViews:
    """The scoring views (/predict, /predict/batch), health, readiness, the model, metrics and the API docs.

    Built from the complete state; `openapi_json` is the one value set after registration, by the factory,
    because the document describes the registered routes."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self.limit, self.log_inputs = state.settings.max_body_bytes, state.settings.log_inputs
        self.metrics, self.monitor = state.metrics, state.monitor
        self.keys_on = auth.keys_enabled(state.settings)
        predictor = state.predictor
        constant: dict[str, Any] = {}
        if predictor is not None:  # the same in every /predict answer
            constant = {"threshold": predictor.threshold, "model_version": predictor.model_version}
        self.tail = answer_tail(constant)
        self.openapi_json = b""

    def rules(self) -> tuple[Rule, ...]:
        """The URL rules, in the order the OpenAPI document lists them."""
        return (
            Rule("/predict", "POST", self.predict),
            Rule("/predict/batch", "POST", self.predict_batch),
            Rule("/health", "GET", self.health),
            Rule("/ready", "GET", self.ready),
            Rule("/model", "GET", self.model),
            Rule("/metrics", "GET", self.metrics_text),
            Rule("/openapi.json", "GET", self.openapi),
            Rule("/docs", "GET", self.docs),
        )

    def error_handlers(self) -> tuple[ErrorHandler, ...]:
        """None of its own (service.http.errors answers for every view)."""
        return ()

    @operation(
        "predict",
        "Score one customer.",
        "The prediction.",
        schemas.PredictionSchema,
        body=CustomerSchema,
        errors=(*BODY_ERRORS, 409),
        query=explain.QUERY_PARAMETERS,
    )
    def predict(self) -> Response:
        """Score one customer."""
        predictor = self.state.ready_predictor()
        environ = request.environ
        explainer = explain.explainer(predictor) if explain.requested(environ) else None  # explain
        body = read_json(environ, self.limit)
        start = perf_counter()
        row = fastpath.customer(body)
        if row is None:  # exactly the bodies the schema refuses (tests/service/test_fastpath.py)
            raise reject.customer_error(body)
        if self.log_inputs:
            environ[INPUTS] = {"age": row[0], "salary": row[1], "gender": row[2]}
        timings = environ[TIMINGS]
        timings["validate"] = perf_counter() - start
        start = perf_counter()
        result = predictor.predict_one(*row)
        extra = explain.answer_tail(explainer, *row) if explainer else ""  # explain
        timings["infer"] = perf_counter() - start
        self.metrics.observe_prediction(result.probability, result.buy)
        monitor = self.monitor
        token = monitor.observe_one(*row, result.probability, result.buy) if monitor else None
        return Response(answer_one(result, extra + self.tail, token), content_type=JSON_MIMETYPE)  # explain

    @operation(
        "predictBatch",
        f"Score 1 to {MAX_BATCH} customers in one model call.",
        "Predictions in request order.",
        schemas.BatchResponseSchema,
        body=BatchRequestSchema,
        errors=(*BODY_ERRORS, 409),
        query=explain.QUERY_PARAMETERS,
    )
    def predict_batch(self) -> Response:
        """Score up to MAX_BATCH customers with one onnxruntime call."""
        predictor = self.state.ready_predictor()
        environ = request.environ
        explainer = explain.explainer(predictor) if explain.requested(environ) else None  # explain
        body = read_json(environ, self.limit)
        start = perf_counter()
        columns = fastpath.batch(body)
        if columns is None:  # exactly the bodies the schema refuses: counted, the first few explained
            raise reject.batch_error(body)
        if self.log_inputs:
            environ[INPUTS] = {
                "customers": [{"age": a, "salary": s, "gender": g} for a, s, g in zip(*columns, strict=True)]
            }
        timings = environ[TIMINGS]
        timings["validate"] = perf_counter() - start
        start = perf_counter()
        probabilities, buys, warnings = predictor.predict_columns(*columns)
        timings["infer"] = perf_counter() - start
        self.metrics.observe_predictions(probabilities, sum(buys))
        items = [
            {"probability": round(p, 4), "prediction": "Yes" if buy else "No", "warnings": w}
            for p, buy, w in zip(probabilities.tolist(), buys, warnings, strict=True)
        ]
        monitor = self.monitor
        if monitor and not auth.honours_what_if(environ, self.keys_on):  # not the page's what-if map
            for item, token in zip(items, monitor.observe_many(columns, probabilities), strict=True):
                item["feedback_token"] = token
        if explainer:  # explain
            explain.add_to_items(explainer, items, columns)
        return _json(
            {"predictions": items, "threshold": predictor.threshold, "model_version": predictor.model_version}
        )

    @operation("health", "Liveness.", "Alive.", schemas.HealthSchema)
    def health(self) -> Response:
        """The process is alive (says nothing about the model)."""
        return _json({"status": "ok"})

    @operation(
        "ready", "Model loaded and golden examples reproduced.", "Ready.", schemas.ReadySchema, errors=(503,)
    )
    def ready(self) -> Response:
        """200 only when the model is loaded and reproduced its golden examples."""
        return _json({"status": "ready", "model_version": self.state.ready_predictor().model_version})

    @operation(
        "model",
        "Version, threshold, inputs, ranges, metrics.",
        "The model.",
        schemas.ModelInfoSchema,
        errors=(503,),
    )
    def model(self) -> Response:
        """Version, threshold, inputs and ranges, training ranges and metrics."""
        self.state.ready_predictor()
        return Response(self.state.model_json, mimetype=JSON_MIMETYPE)

    @operation("metrics", "Prometheus metrics.", "Prometheus text format.", content_type="text/plain")
    def metrics_text(self) -> Response:
        """Prometheus text format, aggregated across workers."""
        return Response(self.metrics.render(), content_type=self.metrics.content_type)

    @operation("openapi", "This document.", "OpenAPI 3.0 document.", OPENAPI_SCHEMA)
    def openapi(self) -> Response:
        """The OpenAPI document generated from the schemas."""
        return Response(self.openapi_json, mimetype=JSON_MIMETYPE)

    @operation("docs", "Browsable API documentation.", "HTML page.", content_type="text/html")
    def docs(self) -> Response:
        """A browsable page rendering /openapi.json."""
        return Response(DOCS_HTML, mimetype="text/html")
