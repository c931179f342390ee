"""Optional API keys: which paths need which key (by path, in ONE place) and the check before each request.

Off unless PREDICT_API_KEYS or PREDICT_ADMIN_API_KEYS is set. A protected path needs
`Authorization: Bearer <key>`; the key is compared with every configured key in constant time
(hmac.compare_digest). Missing or wrong: 401 in the service's error shape with `WWW-Authenticate: Bearer`.
Routes added later (V2 inference, feedback, monitoring) are covered by the rules without knowing of them.
Keys never reach logs or responses.

`X-What-If: 1` (keep these rows out of drift monitoring) is an admin privilege: with keys on it is honoured
only for a request that carries an admin key; without keys every caller holds every scope (a local or
development setup), so it is honoured for all (docs/api-limits.md).
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from flask import Flask, Response, request

from service.http.errors import HTTPError, error_response
from service.process.settings import Settings

logger = logging.getLogger(__name__)

PREDICTION, ADMIN = "prediction", "admin"
# (prefix, suffix, scope): a path starting with `prefix` and ending with `suffix` needs a key of `scope`.
# First match wins; every other path (/, /docs, /openapi.json, /model, /v2 metadata, /health, /ready) is open.
RULES: tuple[tuple[str, str, str], ...] = (
    ("/predict", "", PREDICTION),
    ("/feedback", "", PREDICTION),
    ("/v2/models/", "/infer", PREDICTION),
    ("/monitoring", "", ADMIN),
    ("/metrics", "", ADMIN),
    ("/admin", "", ADMIN),
)


ADMIN_CALLER = "predict.admin_caller"  # environ: the caller sent an admin key (set with X-What-If only)


def wants_what_if(environ: dict[str, Any]) -> bool:
    """Whether the request asks for its rows to stay out of monitoring."""
    return environ.get("HTTP_X_WHAT_IF") == "1"


def honours_what_if(environ: dict[str, Any], keys_on: bool) -> bool:
    """Whether X-What-If: 1 is honoured: always without keys, only with an admin key when keys are on."""
    return wants_what_if(environ) and (not keys_on or environ.get(ADMIN_CALLER) is True)


def keys_enabled(settings: Settings) -> bool:
    """Whether any path needs a key with these settings."""
    return KeyRing(settings.api_keys, settings.admin_api_keys).enabled


def scope_of(path: str) -> str | None:
    """Which key a path needs (PREDICTION or ADMIN), or None when it is open."""
    for prefix, suffix, scope in RULES:
        if path.startswith(prefix) and path.endswith(suffix):
            return scope
    return None


class Unauthorized(HTTPError):
    """No valid API key for a protected path."""

    status = 401
    code = "unauthorized"


class KeyRing:
    """The configured keys per scope; admin keys also open prediction paths."""

    def __init__(self, api_keys: frozenset[str], admin_api_keys: frozenset[str]) -> None:
        admin = admin_api_keys or api_keys  # without admin keys, admin paths take the prediction keys
        self._keys: dict[str, list[bytes]] = {
            PREDICTION: [k.encode() for k in api_keys | admin_api_keys] if api_keys else [],
            ADMIN: [k.encode() for k in admin],
        }

    @property
    def enabled(self) -> bool:
        """Whether any path needs a key."""
        return any(self._keys.values())

    def required(self, scope: str) -> bool:
        """Whether paths of this scope need a key."""
        return bool(self._keys[scope])

    def accepts(self, scope: str, presented: bytes) -> bool:
        """Whether `presented` is a key of `scope`; compares with every key, in constant time each."""
        matched = False
        for key in self._keys[scope]:
            matched |= hmac.compare_digest(key, presented)
        return matched


def required_scopes(settings: Settings) -> frozenset[str]:
    """The scopes whose paths need a key with these settings (for the OpenAPI document)."""
    ring = KeyRing(settings.api_keys, settings.admin_api_keys)
    return frozenset(scope for scope in (PREDICTION, ADMIN) if ring.required(scope))


def bearer_token(header: str | None) -> bytes | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token.encode("utf-8", "replace")


def _unauthorized(error: Unauthorized) -> Response:
    """The 401 in the one error shape, with the challenge header."""
    response = error_response(error)
    response.headers["WWW-Authenticate"] = 'Bearer realm="purchase-predictor"'
    return response


def install(app: Flask, settings: Settings) -> None:
    """Check keys before every request when keys are configured; do nothing otherwise."""
    ring = KeyRing(settings.api_keys, settings.admin_api_keys)
    if not ring.enabled:
        return

    def check_key() -> None:
        """Refuse a protected path without a valid key (runs before routing errors, so 404s too)."""
        environ = request.environ
        if wants_what_if(environ):  # an admin privilege: note whether the caller holds an admin key
            presented = bearer_token(request.headers.get("Authorization"))
            environ[ADMIN_CALLER] = presented is not None and ring.accepts(ADMIN, presented)
        scope = scope_of(request.path)
        if scope is None or not ring.required(scope):
            return
        token = bearer_token(request.headers.get("Authorization"))
        if token is None:
            raise Unauthorized(f"This endpoint needs an API key: send 'Authorization: Bearer <{scope} key>'.")
        if not ring.accepts(scope, token):
            raise Unauthorized(f"The API key is not valid for this endpoint (it needs a {scope} key).")

    app.before_request(check_key)
    app.register_error_handler(Unauthorized, _unauthorized)
    logger.info(
        "API keys required",
        extra={"prediction_keys": ring.required(PREDICTION), "admin_keys": ring.required(ADMIN)},
    )
