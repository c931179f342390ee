"""The OpenAPI document, generated once per app from its route table (service.http.api) and the schemas."""

from __future__ import annotations

import json
import logging
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from service.http import api, auth, schemas
from service.http.api import Operation, Route, SchemaRef

logger = logging.getLogger(__name__)

API_VERSION = "1.0.0"  # the HTTP API's version (the document's info.version, V2's server version)
JSON = "application/json"
ERROR_TEXT = {
    400: "Malformed JSON body, or a query parameter with a value the route does not accept "
    "(`invalid_parameter`, e.g. `explain` other than true or false).",
    401: "No valid API key (only when API keys are configured): send `Authorization: Bearer <key>`.",
    404: "No such endpoint.",
    405: "Method not allowed.",
    413: "Body larger than the configured limit.",
    415: "Content-Type is not application/json.",
    422: "The body breaks the validation rules; `details` explains the first 10 problems (field and batch "
    "index), `message` counts them all.",
    500: "Unexpected server error (never caused by client input).",
    503: "The model is not loaded or has not passed its self-test.",
    409: "Conflicts with the service's state: the feedback token was already used (`/feedback`), or "
    "`explain=true` asked of a model without an explanation background (`explanation_unavailable`).",
    410: "The feedback token has expired.",
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


def _errors(*statuses: int, schema: str | dict[str, Any] = "Error") -> dict[str, Any]:
    """Error responses sharing one error schema (the service's Error unless told)."""
    return {
        str(s): {
            "description": ERROR_TEXT.get(s, "Error."),
            "headers": HEADERS,
            "content": {JSON: {"schema": schema}},
        }
        for s in statuses
    }


def _schema(spec: APISpec, ref: SchemaRef) -> str | dict[str, Any]:
    """A component name for a marshmallow Schema class (registered on first use), or the inline schema."""
    if isinstance(ref, dict):
        return ref
    name = ref.__name__.removesuffix("Schema")
    if name not in spec.components.schemas:
        spec.components.schema(name, schema=ref)
    return name


def _answer(spec: APISpec, op: Operation) -> dict[str, Any]:
    """The success response of an operation."""
    schema = _schema(spec, op.schema) if op.schema is not None else _STRING
    return {
        str(op.status): {
            "description": op.description,
            "headers": HEADERS,
            "content": {op.content_type: {"schema": schema}},
        }
    }


def _operation(spec: APISpec, route: Route) -> dict[str, Any]:
    """The OpenAPI operation object of one route (a minimal one, and a warning, without metadata)."""
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": kind}}
        for name, kind in route.parameters
    ]
    op = route.operation
    if op is None:
        logger.warning("route without OpenAPI metadata: %s %s", route.method.upper(), route.path)
        document: dict[str, Any] = {
            "summary": route.doc,
            "operationId": route.endpoint,
            "responses": {"200": {"description": "Undocumented.", "headers": HEADERS}, **COMMON},
        }
    else:
        error_schema = "Error" if op.error_schema is None else _schema(spec, op.error_schema)
        errors = _errors(*op.errors, schema=error_schema)
        document = {
            "summary": op.summary,
            "operationId": op.operation_id,
            "responses": {**_answer(spec, op), **errors, **COMMON},
        }
        if op.body is not None:
            body = {JSON: {"schema": _schema(spec, op.body)}}
            document["requestBody"] = {"required": True, "content": body}
        parameters += [dict(parameter) for parameter in op.query]
    if parameters:
        document["parameters"] = parameters
    return document


COMMON = _errors(404, 405, 500)

# API keys (service.http.auth): one bearer scheme per scope; the paths a scope covers come from auth.RULES.
SECURITY_SCHEMES = {
    auth.PREDICTION: (
        "predictionKey",
        "API key for scoring and feedback (`/predict*`, `/feedback`, `/v2/models/{name}/infer`): any key of "
        "PREDICT_API_KEYS or PREDICT_ADMIN_API_KEYS (or their `_FILE` variants), sent as "
        "`Authorization: Bearer <key>`. Needed only when PREDICT_API_KEYS is set.",
    ),
    auth.ADMIN: (
        "adminKey",
        "API key for operators (`/metrics`, `/monitoring/*`, `/admin/*`): a key of PREDICT_ADMIN_API_KEYS, "
        "or of PREDICT_API_KEYS when no admin keys are set, sent as `Authorization: Bearer <key>`. "
        "Needed when either variable is set.",
    ),
}
CHALLENGE = {
    "WWW-Authenticate": {"description": 'Always `Bearer realm="purchase-predictor"`.', "schema": _STRING}
}


def _unauthorized(scope: str) -> dict[str, Any]:
    """The 401 auth answers on a path of `scope`: the service's Error shape with the challenge header."""
    text = (
        f"No valid {scope} key: the `Authorization: Bearer <key>` header is missing, malformed, or holds a "
        f"key that is not a {scope} key (see the `{SECURITY_SCHEMES[scope][0]}` scheme). A wrong key is "
        "also 401; the service never answers 403."
    )
    return {"description": text, "headers": {**HEADERS, **CHALLENGE}, "content": {JSON: {"schema": "Error"}}}


def _secure(document: dict[str, Any], path: str, required: frozenset[str]) -> None:
    """Add the API-key requirement and the 401 to an operation on a path auth can protect."""
    scope = auth.scope_of(path)
    if scope is None:
        return
    requirement: list[dict[str, list[str]]] = [{SECURITY_SCHEMES[scope][0]: []}]
    document["security"] = requirement if scope in required else [*requirement, {}]  # {}: no key needed
    document["responses"]["401"] = _unauthorized(scope)


def build_spec(
    app: Flask, version: str, max_body_bytes: int, required: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Assemble the document from the app's route table: every route, its answer and every error.

    `required` holds the API-key scopes this server enforces: their operations list only the key as their
    security requirement; operations of a scope not enforced also accept no key (`{}`).
    """
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
    paths: dict[str, dict[str, Any]] = {}
    seen: dict[str, int] = {}
    for route in api.routes(app):
        operation = _operation(spec, route)
        _secure(operation, route.path, required)
        ident = operation["operationId"]
        seen[ident] = seen.get(ident, 0) + 1
        if seen[ident] > 1:  # one view under several rules (e.g. V2's versioned paths): unique ids
            operation["operationId"] = f"{ident}{seen[ident]}"
        paths.setdefault(route.path, {})[route.method] = operation
    _schema(spec, schemas.ErrorSchema)
    for name, description in SECURITY_SCHEMES.values():
        spec.components.security_scheme(
            name, {"type": "http", "scheme": "bearer", "bearerFormat": "API key", "description": description}
        )
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def document(app: Flask, version: str, max_body_bytes: int, required: frozenset[str] = frozenset()) -> bytes:
    """The /openapi.json answer, rendered once the app has all its routes."""
    return json.dumps(build_spec(app, version, max_body_bytes, required)).encode()
