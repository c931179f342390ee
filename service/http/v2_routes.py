"""Open Inference Protocol (KServe V2) REST routes: health, metadata and infer, under /v2 only.

Tensors are decoded and validated by `runtime.v2` (the contract's rules, as /predict); the rows are
scored by the same `Predictor.predict_columns` call as /predict/batch, so a row gets the same bits.
Every /v2 error is `{"error": "<message>"}` with Content-Type exactly `application/json` (the clients
read `error` only then): 400 bad tensor or body, 404 unknown model or version, 405 wrong method, 413 too
large, 415 not JSON, 503 not ready. The infer body must be declared `application/json`; a body with no
Content-Type is taken as JSON only from a client that is not a browser (no `Origin` header): tritonclient
sends none, while a browser sends `Origin` with every POST, so a cross-site page cannot post rows here
without a CORS preflight (docs/api-limits.md).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from time import perf_counter
from typing import Any

from flask import Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge

from runtime import v2
from runtime.predictor import Predictor
from service.http import explain
from service.http.api import ErrorHandler, Rule, operation
from service.http.errors import HTTPError, ModelNotReady, _handle_werkzeug
from service.http.openapi import API_VERSION
from service.http.routes import JSON_MIMETYPE, read_json
from service.http.schemas import MAX_BATCH
from service.http.state import ServiceState
from service.observe.middleware import INPUTS, REJECTED_FIELDS, TIMINGS

logger = logging.getLogger(__name__)

PREFIX = "/v2"
BINARY_HINT = "binary tensor data is not supported; send JSON 'data' (tritonclient: binary_data=False)."
MODELS = "/v2/models/<name>"
VERSIONED = "/v2/models/<name>/versions/<version>"
View = Callable[..., Response]


class V2Error(HTTPError):
    """A V2 answer other than success, with its own status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def answer(body: Any, status: int = 200) -> Response:
    """A JSON response with Content-Type exactly application/json."""
    return Response(json.dumps(body), status=status, mimetype=JSON_MIMETYPE)


def v2_errors(view: View) -> View:
    """Render any error a V2 view raises as `{"error": message}` with its status."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        """Run the view; deliberate errors and Werkzeug's become the V2 error shape."""
        try:
            return view(*args, **kwargs)
        except v2.TensorError as exc:  # refused inputs: monitoring counts them by input name
            request.environ[REJECTED_FIELDS] = exc.fields
            return answer({"error": str(exc)}, 400)
        except HTTPError as exc:
            return answer({"error": exc.message}, exc.status)
        except HTTPException as exc:  # e.g. the body size limit while reading a chunked body
            return answer({"error": exc.name}, exc.code or 400)

    return wrapped


NOT_JSON = "Send the body as JSON with 'Content-Type: application/json'."


def _check_transport(environ: dict[str, Any]) -> None:
    """Refuse binary tensor framing, compressed bodies and bodies not declared as JSON (415)."""
    kind = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
    if "HTTP_INFERENCE_HEADER_CONTENT_LENGTH" in environ or kind == "application/octet-stream":
        raise V2Error(400, BINARY_HINT)
    if environ.get("HTTP_CONTENT_ENCODING", "identity").strip().lower() != "identity":
        raise V2Error(400, "Compressed request bodies are not supported; send plain JSON.")
    if kind == JSON_MIMETYPE:
        return
    if kind or "HTTP_ORIGIN" in environ:  # another type, or a browser (it sends Origin with every POST)
        raise V2Error(415, NOT_JSON)
    environ["CONTENT_TYPE"] = JSON_MIMETYPE  # no type from a non-browser client (tritonclient): JSON


def score(
    state: ServiceState, predictor: Predictor, rows: v2.InferRequest
) -> tuple[v2.FloatArray, list[bool]]:
    """Score validated V2 rows: the one place V2 rows are scored; counted in /metrics and in monitoring."""
    probabilities, buys, _warnings = predictor.predict_columns(rows.age, rows.salary, rows.gender)
    state.metrics.observe_predictions(probabilities, sum(buys))
    if state.monitor:
        state.monitor.observe_many((rows.age, rows.salary, rows.gender), probabilities, tokens=False)
    return probabilities, buys


_OBJECT = {"type": "object"}
V2_ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
V2_LIVE = {"type": "object", "properties": {"live": {"type": "boolean"}}}
V2_READY = {"type": "object", "properties": {"ready": {"type": "boolean"}}}
V2_MODEL_READY = {"type": "object", "properties": {"name": {"type": "string"}, "ready": {"type": "boolean"}}}
V2_SERVER = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "version": {"type": "string"},
        "extensions": {"type": "array", "items": {"type": "string"}},
    },
}
V2_TENSOR = {
    "type": "object",
    "required": ["name", "datatype", "shape", "data"],
    "properties": {
        "name": {"type": "string"},
        "datatype": {"type": "string"},
        "shape": {"type": "array", "items": {"type": "integer"}},
        "data": {"type": "array", "items": {}},
        "parameters": _OBJECT,
    },
}
V2_MODEL = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "versions": {"type": "array", "items": {"type": "string"}},
        "platform": {"type": "string"},
        "inputs": {"type": "array", "items": _OBJECT},
        "outputs": {"type": "array", "items": _OBJECT},
    },
}
V2_INFER_REQUEST = {
    "type": "object",
    "required": ["inputs"],
    "properties": {
        "id": {"type": "string"},
        "parameters": _OBJECT,
        "inputs": {
            "type": "array",
            "items": V2_TENSOR,
            "description": "age FP64, salary FP64, gender BYTES; shape [N, 1] or [N]",
        },
        "outputs": {"type": "array", "items": _OBJECT},
    },
}
V2_INFER_RESPONSE = {
    "type": "object",
    "properties": {
        "model_name": {"type": "string"},
        "model_version": {"type": "string"},
        "id": {"type": "string"},
        "parameters": _OBJECT,
        "outputs": {"type": "array", "items": V2_TENSOR},
    },
}


class V2Views:
    """The V2 views: health, server and model metadata, model readiness and infer, plus the handler that
    answers 404/405/413 under /v2 in the V2 error shape."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self.name, self.limit = state.settings.model_name, state.settings.max_body_bytes
        self.log_inputs = state.settings.log_inputs

    def rules(self) -> tuple[Rule, ...]:
        """The URL rules, in the order the OpenAPI document lists them."""
        return (
            Rule(f"{PREFIX}/health/live", "GET", self.v2_live),
            Rule(f"{PREFIX}/health/ready", "GET", self.v2_ready),
            Rule(f"{PREFIX}/", "GET", self.v2_server),
            Rule(PREFIX, "GET", self.v2_server),
            Rule(VERSIONED, "GET", self.v2_model),
            Rule(MODELS, "GET", self.v2_model),
            Rule(f"{VERSIONED}/ready", "GET", self.v2_model_ready),
            Rule(f"{MODELS}/ready", "GET", self.v2_model_ready),
            Rule(f"{VERSIONED}/infer", "POST", self.v2_infer),
            Rule(f"{MODELS}/infer", "POST", self.v2_infer),
        )

    def error_handlers(self) -> tuple[ErrorHandler, ...]:
        """404/405/413 answer in the V2 shape under /v2 (and in the service's shape elsewhere)."""
        kinds = (NotFound, MethodNotAllowed, RequestEntityTooLarge)
        return tuple((kind, self.routing_error) for kind in kinds)

    def model(self, model_name: str, version: str | None) -> Predictor:
        """The ready predictor for this URL's model and version: 404 unknown, 503 not ready."""
        name = self.name
        if model_name != name:
            raise V2Error(404, f"Unknown model; this server serves '{name}'.")
        predictor = self.state.ready_predictor()
        if version is not None and version != predictor.model_version:
            raise V2Error(404, f"Unknown version of model '{name}'; it has '{predictor.model_version}'.")
        return predictor

    @operation("v2Live", "V2 server liveness.", "Live.", V2_LIVE)
    def v2_live(self) -> Response:
        """The process is serving (says nothing about the model)."""
        return answer({"live": True})

    @operation("v2Ready", "V2 server readiness.", "Ready (503 with ready false when not).", V2_READY)
    def v2_ready(self) -> Response:
        """200 when the model passed its self-test, else 503."""
        predictor = self.state.predictor
        ready = predictor is not None and predictor.ready
        return answer({"ready": ready}, 200 if ready else 503)

    @operation("v2Server", "V2 server metadata.", "Name, version, extensions.", V2_SERVER)
    def v2_server(self) -> Response:
        """Server metadata; no protocol extensions."""
        return answer(v2.server_metadata(self.name, API_VERSION))

    @operation(
        "v2Model",
        "V2 model metadata.",
        "Inputs, outputs, versions, platform.",
        V2_MODEL,
        errors=(404, 503),
        error_schema=V2_ERROR,
    )
    @v2_errors
    def v2_model(self, name: str, version: str | None = None) -> Response:
        """Model metadata: inputs, outputs, version and platform."""
        predictor = self.model(name, version)
        explainable = explain.explainable(predictor)  # explain: metadata lists contributions
        return answer(v2.model_metadata(name, predictor.model_version, explainable))

    @operation(
        "v2ModelReady",
        "V2 model readiness.",
        "Ready (503 with ready false when not).",
        V2_MODEL_READY,
        errors=(404,),
        error_schema=V2_ERROR,
    )
    @v2_errors
    def v2_model_ready(self, name: str, version: str | None = None) -> Response:
        """200 when this model (and version) can answer, else 404 or 503."""
        try:
            self.model(name, version)
        except ModelNotReady:
            return answer({"name": name, "ready": False}, 503)
        return answer({"name": name, "ready": True})

    @operation(
        "v2Infer",
        "Score N customers sent as Open Inference Protocol tensors.",
        "probability (FP64, unrounded) and prediction (BYTES) tensors; threshold in parameters; "
        "contributions (FP64 [N, 3]: age, salary, gender) only when named in outputs.",  # explain
        V2_INFER_RESPONSE,
        body=V2_INFER_REQUEST,
        errors=(400, 401, 404, 409, 413, 415, 503),
        error_schema=V2_ERROR,
    )
    @v2_errors
    def v2_infer(self, name: str, version: str | None = None) -> Response:
        """Score N rows sent as V2 tensors; answers probability and prediction tensors."""
        predictor = self.model(name, version)
        environ = request.environ
        _check_transport(environ)
        body = read_json(environ, self.limit)
        start = perf_counter()
        rows = v2.decode_request(body, MAX_BATCH)
        explainer = explain.v2_explainer(predictor, rows)  # explain: 409 before scoring without a background
        if self.log_inputs:
            environ[INPUTS] = {
                "age": rows.age.tolist(),
                "salary": rows.salary.tolist(),
                "gender": rows.gender.tolist(),
            }
        timings = environ[TIMINGS]
        timings["validate"] = perf_counter() - start
        start = perf_counter()
        probabilities, buys = score(self.state, predictor, rows)
        contributions = explain.v2_contributions(explainer, rows)  # explain
        timings["infer"] = perf_counter() - start
        document = v2.encode_response(
            rows,
            environ.get("predict.request_id", ""),
            name,
            predictor.model_version,
            probabilities,
            buys,
            predictor.threshold,
            contributions,  # explain: contributions
        )
        return answer(document)

    def routing_error(self, error: HTTPException) -> Response:
        """404/405/413 in the V2 error shape under /v2, in the service's shape elsewhere."""
        if not request.path.startswith(PREFIX):
            return _handle_werkzeug(error)
        messages = {
            404: "No such V2 endpoint.",
            405: "This method is not allowed here.",
            413: "The request body is too large.",
        }
        status = error.code or 400
        response = answer({"error": messages.get(status, error.name)}, status)
        for header, value in error.get_headers():
            if header.lower() == "allow":
                response.headers["Allow"] = value
        return response
