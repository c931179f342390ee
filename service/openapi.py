"""The OpenAPI document, generated once per app from the Marshmallow schemas in service.schemas."""

from __future__ import annotations

import logging
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from service import schemas

logger = logging.getLogger(__name__)

JSON = "application/json"
ERROR_TEXT = {
    400: "Malformed JSON body.",
    404: "No such endpoint.",
    405: "Method not allowed.",
    413: "Body larger than the configured limit.",
    415: "Content-Type is not application/json.",
    422: "The body breaks the validation rules; `details` names each field (and batch index).",
    500: "Unexpected server error (never caused by client input).",
    503: "The model is not loaded or has not passed its self-test.",
}
BODY_ERRORS = (400, 413, 415, 422, 503, 500)


_STRING = {"type": "string"}
HEADERS = {
    "X-Request-ID": {
        "description": "The request id (a sane incoming X-Request-ID is kept).",
        "schema": _STRING,
    },
    "X-Model-Version": {
        "description": "Version of the loaded model ('none' without one).",
        "schema": _STRING,
    },
    "Server-Timing": {"description": "parse, validate, infer and total durations in ms.", "schema": _STRING},
}


def _errors(*statuses: int) -> dict[str, Any]:
    """Error responses sharing the Error schema."""
    return {
        str(s): {"description": ERROR_TEXT[s], "headers": HEADERS, "content": {JSON: {"schema": "Error"}}}
        for s in statuses
    }


def _ok(schema: str, description: str) -> dict[str, Any]:
    """A 200 response with a JSON schema."""
    return {"200": {"description": description, "headers": HEADERS, "content": {JSON: {"schema": schema}}}}


def _text(content_type: str, description: str) -> dict[str, Any]:
    """A 200 response that is not JSON."""
    return {"200": {"description": description, "headers": HEADERS,
                    "content": {content_type: {"schema": _STRING}}}}  # fmt: skip


def _body(schema: str) -> dict[str, Any]:
    """A required JSON request body."""
    return {"required": True, "content": {JSON: {"schema": schema}}}


def build_spec(version: str, max_body_bytes: int) -> dict[str, Any]:
    """Assemble the document: every route, its success status and every error it can answer."""
    spec = APISpec(
        title="Purchase Predictor",
        version=version,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": (schemas.__doc__ or "")
            + f"\nRequest bodies are limited to {max_body_bytes} bytes."
        },
    )
    for name in ("Customer", "BatchRequest", "Prediction", "BatchItem", "BatchResponse", "Health", "Ready",
                 "ModelInfo", "ErrorDetail", "Error"):  # fmt: skip
        spec.components.schema(name, schema=getattr(schemas, f"{name}Schema"))
    common = _errors(404, 405, 500)
    operations: dict[str, dict[str, Any]] = {
        "/predict": {"post": {
            "summary": "Score one customer.", "operationId": "predict", "requestBody": _body("Customer"),
            "responses": {**_ok("Prediction", "The prediction."), **_errors(*BODY_ERRORS), **common},
        }},
        "/predict/batch": {"post": {
            "summary": f"Score 1 to {schemas.MAX_BATCH} customers in one model call.",
            "operationId": "predictBatch",
            "requestBody": _body("BatchRequest"),
            "responses": {**_ok("BatchResponse", "Predictions in request order."), **_errors(*BODY_ERRORS),
                          **common},
        }},
        "/health": {"get": {"summary": "Liveness.", "operationId": "health",
                            "responses": {**_ok("Health", "Alive."), **common}}},
        "/ready": {"get": {"summary": "Model loaded and golden examples reproduced.", "operationId": "ready",
                           "responses": {**_ok("Ready", "Ready."), **_errors(503), **common}}},
        "/model": {"get": {"summary": "Version, threshold, inputs, ranges, metrics.", "operationId": "model",
                           "responses": {**_ok("ModelInfo", "The model."), **_errors(503), **common}}},
        "/metrics": {"get": {"summary": "Prometheus metrics.", "operationId": "metrics",
                             "responses": {**_text("text/plain", "Prometheus text format."), **common}}},
        "/openapi.json": {"get": {"summary": "This document.", "operationId": "openapi",
                                  "responses": {**_ok("OpenAPI", "OpenAPI 3.0 document."), **common}}},
        "/docs": {"get": {"summary": "Browsable API documentation.", "operationId": "docs",
                          "responses": {**_text("text/html", "HTML page."), **common}}},
    }  # fmt: skip
    spec.components.schema("OpenAPI", {"type": "object", "description": "An OpenAPI 3.0 document."})
    for path, ops in operations.items():
        spec.path(path=path, operations=ops)
    return spec.to_dict()
