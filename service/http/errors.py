"""One error hierarchy and one handler: every error, 404/405/413/415 included, answers the same JSON shape.

Shape: `{"error": <code>, "message": <what to do>, "details": [{"field", "index"?, "message"}],
"request_id": <id>}`. Messages never contain submitted values or stack traces.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from service.process.startup_errors import ServiceError
from service.process.startup_errors import StartupError as StartupError  # re-exported: defined without Flask

logger = logging.getLogger(__name__)


class HTTPError(ServiceError):
    """An error answered to the client with its own status and code."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class MalformedJSON(HTTPError):
    """The body is not parsable JSON."""

    status = 400
    code = "malformed_json"


class NotFound(HTTPError):
    """No route matches the path."""

    status = 404
    code = "not_found"


class MethodNotAllowed(HTTPError):
    """The route exists but not for this method."""

    status = 405
    code = "method_not_allowed"


class PayloadTooLarge(HTTPError):
    """The body is bigger than the configured limit."""

    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(HTTPError):
    """The body is not declared as JSON."""

    status = 415
    code = "unsupported_media_type"


class InvalidInput(HTTPError):
    """The JSON is well formed but breaks the documented rules."""

    status = 422
    code = "invalid_input"


class ModelNotReady(HTTPError):
    """The model is not loaded or has not passed its self-test."""

    status = 503
    code = "model_not_ready"


class StoreUnavailable(HTTPError):
    """The monitoring store is down or not answering in time; the client retries after `retry_after` s."""

    status = 503
    code = "monitoring_store_unavailable"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


_WERKZEUG: dict[int, type[HTTPError]] = {
    400: MalformedJSON,
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
}
_WERKZEUG_MESSAGES = {
    400: "The request could not be understood; send a JSON body.",
    404: "No such endpoint; see /openapi.json for the available ones.",
    405: "This method is not allowed here; see the Allow header.",
    413: "The request body is too large.",
    415: "Send the body as JSON with 'Content-Type: application/json'.",
}


def error_response(error: HTTPError) -> Response:
    """Render an error in the one JSON shape."""
    body = {
        "error": error.code,
        "message": error.message,
        "details": error.details,
        "request_id": request.environ.get("predict.request_id", ""),
    }
    response = Response(json.dumps(body), status=error.status, mimetype="application/json")
    if isinstance(error, StoreUnavailable):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _handle_http_error(error: HTTPError) -> Response:
    """Answer a deliberate error."""
    return error_response(error)


def _handle_werkzeug(error: HTTPException) -> Response:
    """Translate Werkzeug's HTML errors (routing, size limits) into the JSON shape."""
    status = error.code or 500
    cls = _WERKZEUG.get(status)
    if cls is None:
        generic = HTTPError("The request could not be handled.")
        generic.status, generic.code = status, "http_error"
        response = error_response(generic)
    else:
        response = error_response(cls(_WERKZEUG_MESSAGES[status]))
    for name, value in error.get_headers():
        if name.lower() == "allow":
            response.headers["Allow"] = value
    return response


def _handle_unexpected(error: Exception) -> Response:
    """Log the stack trace and answer a generic 500 without details."""
    logger.exception("unhandled error", exc_info=error)
    return error_response(HTTPError("Internal error; the request id identifies it in the logs."))


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on an app."""
    app.register_error_handler(HTTPError, _handle_http_error)
    app.register_error_handler(HTTPException, _handle_werkzeug)
    app.register_error_handler(Exception, _handle_unexpected)
