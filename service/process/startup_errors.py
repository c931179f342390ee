"""The service's root error and the start-up error, without Flask: settings, API keys and the gunicorn
master raise them before (or without) any app, and service/http/errors.py builds the HTTP errors on them."""

from __future__ import annotations


class ServiceError(Exception):
    """Root of every error the service raises on purpose."""


class StartupError(ServiceError):
    """The service cannot start: bad settings, or a missing, corrupt or mismatched model."""
