"""Open Inference Protocol (KServe V2) REST routes: health, metadata and infer, under /v2 only.

Tensors are decoded and validated by `runtime.v2` (the contract's rules, as /predict); the rows are
scored by the same `Predictor.predict_columns` call as /predict/batch, so a row gets the same bits.
Every /v2 error is `{"error": "<message>"}` with Content-Type exactly `application/json` (the clients
read `error` only then): 400 bad tensor or body, 404 unknown model or version, 405 wrong method, 413 too
large, 503 not ready. The infer route needs no Content-Type (tritonclient sends none).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from time import perf_counter
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge

from runtime import v2
from runtime.predictor import Predictor
from service.errors import HTTPError, ModelNotReady, _handle_werkzeug
from service.observability import INPUTS, TIMINGS
from service.routes import JSON_MIMETYPE, read_json
from service.schemas import MAX_BATCH
from service.state import ServiceState

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
        except v2.TensorError as exc:
            return answer({"error": str(exc)}, 400)
        except HTTPError as exc:
            return answer({"error": exc.message}, exc.status)
        except HTTPException as exc:  # e.g. the body size limit while reading a chunked body
            return answer({"error": exc.name}, exc.code or 400)

    return wrapped


def _check_transport(environ: dict[str, Any]) -> None:
    """Refuse binary tensor framing and compressed bodies; treat any other body as JSON."""
    kind = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
    if "HTTP_INFERENCE_HEADER_CONTENT_LENGTH" in environ or kind == "application/octet-stream":
        raise V2Error(400, BINARY_HINT)
    if environ.get("HTTP_CONTENT_ENCODING", "identity").strip().lower() != "identity":
        raise V2Error(400, "Compressed request bodies are not supported; send plain JSON.")
    environ["CONTENT_TYPE"] = JSON_MIMETYPE  # clients may send none: the body is parsed as JSON regardless


def score(
    state: ServiceState, predictor: Predictor, rows: v2.InferRequest
) -> tuple[v2.FloatArray, list[bool]]:
    """Score validated V2 rows: the one place V2 rows are scored; counted in /metrics and in monitoring."""
    probabilities, buys, _warnings = predictor.predict_columns(rows.age, rows.salary, rows.gender)
    state.metrics.observe_predictions(probabilities, sum(buys))
    if state.monitor:
        state.monitor.observe_many((rows.age, rows.salary, rows.gender), probabilities, tokens=False)
    return probabilities, buys


def register(app: Flask, state: ServiceState) -> None:
    """Add the V2 routes and make 404/405/413 under /v2 answer in the V2 error shape."""
    name, limit = state.settings.model_name, state.settings.max_body_bytes
    log_inputs = state.settings.log_inputs
    server_version = json.loads(state.openapi_json)["info"]["version"]

    def model(model_name: str, version: str | None) -> Predictor:
        """The ready predictor for this URL's model and version: 404 unknown, 503 not ready."""
        if model_name != name:
            raise V2Error(404, f"Unknown model; this server serves '{name}'.")
        predictor = state.ready_predictor()
        if version is not None and version != predictor.model_version:
            raise V2Error(404, f"Unknown version of model '{name}'; it has '{predictor.model_version}'.")
        return predictor

    @app.get(f"{PREFIX}/health/live")
    def v2_live() -> Response:
        """The process is serving (says nothing about the model)."""
        return answer({"live": True})

    @app.get(f"{PREFIX}/health/ready")
    def v2_ready() -> Response:
        """200 when the model passed its self-test, else 503."""
        predictor = state.predictor
        ready = predictor is not None and predictor.ready
        return answer({"ready": ready}, 200 if ready else 503)

    @app.get(PREFIX)
    @app.get(f"{PREFIX}/")
    def v2_server() -> Response:
        """Server metadata; no protocol extensions."""
        return answer(v2.server_metadata(name, server_version))

    @app.get(MODELS)
    @app.get(VERSIONED)
    @v2_errors
    def v2_model(name: str, version: str | None = None) -> Response:
        """Model metadata: inputs, outputs, version and platform."""
        predictor = model(name, version)
        return answer(v2.model_metadata(name, predictor.model_version))

    @app.get(f"{MODELS}/ready")
    @app.get(f"{VERSIONED}/ready")
    @v2_errors
    def v2_model_ready(name: str, version: str | None = None) -> Response:
        """200 when this model (and version) can answer, else 404 or 503."""
        try:
            model(name, version)
        except ModelNotReady:
            return answer({"name": name, "ready": False}, 503)
        return answer({"name": name, "ready": True})

    @app.post(f"{MODELS}/infer")
    @app.post(f"{VERSIONED}/infer")
    @v2_errors
    def v2_infer(name: str, version: str | None = None) -> Response:
        """Score N rows sent as V2 tensors; answers probability and prediction tensors."""
        predictor = model(name, version)
        environ = request.environ
        _check_transport(environ)
        body = read_json(environ, limit)
        start = perf_counter()
        rows = v2.decode_request(body, MAX_BATCH)
        if log_inputs:
            environ[INPUTS] = {"age": rows.age.tolist(), "salary": rows.salary.tolist(),
                               "gender": rows.gender.tolist()}  # fmt: skip
        timings = environ[TIMINGS]
        timings["validate"] = perf_counter() - start
        start = perf_counter()
        probabilities, buys = score(state, predictor, rows)
        timings["infer"] = perf_counter() - start
        document = v2.encode_response(
            rows, environ.get("predict.request_id", ""), name, predictor.model_version,
            probabilities, buys, predictor.threshold,
        )  # fmt: skip
        return answer(document)

    def routing_error(error: HTTPException) -> Response:
        """404/405/413 in the V2 error shape under /v2, in the service's shape elsewhere."""
        if not request.path.startswith(PREFIX):
            return _handle_werkzeug(error)
        messages = {404: "No such V2 endpoint.", 405: "This method is not allowed here.",
                    413: "The request body is too large."}  # fmt: skip
        status = error.code or 400
        response = answer({"error": messages.get(status, error.name)}, status)
        for header, value in error.get_headers():
            if header.lower() == "allow":
                response.headers["Allow"] = value
        return response

    for kind in (NotFound, MethodNotAllowed, RequestEntityTooLarge):
        app.register_error_handler(kind, routing_error)
