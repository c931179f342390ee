"""The application factory: registers routes, hooks and error handlers, and nothing else."""

from __future__ import annotations

import logging

from flask import Flask

from runtime.predictor import Predictor
from service.http import auth, errors, monitoring_routes, openapi, page_routes, routes, v2_routes
from service.http.openapi import API_VERSION
from service.http.state import EXTENSION, ServiceState, model_document
from service.observe import middleware
from service.observe.logs import AccessLog
from service.observe.metrics import Metrics
from service.process.settings import Settings

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, predictor: Predictor | None = None) -> Flask:
    """Build the Flask app; without a ready predictor it runs but answers 503 where the model is needed."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    state = ServiceState(
        settings=settings,
        predictor=predictor,
        metrics=Metrics(),
        access_log=AccessLog(),
        openapi_json=b"",  # rendered from the route table once every route is registered (below)
        model_json=model_document(predictor, settings),
        model_version=predictor.model_version if predictor is not None else "none",
    )
    app.extensions[EXTENSION] = state
    middleware.install(app, state)
    auth.install(app, settings)  # optional API keys
    routes.register(app, state)
    v2_routes.register(app, state)  # Open Inference Protocol (V2)
    page_routes.register(app, state)  # the web page at /
    monitoring_routes.register(app, state)  # drift monitoring and feedback
    errors.register_error_handlers(app)
    state.openapi_json = openapi.document(  # keep last; API-key scopes: docs/operations/api-keys.md
        app, API_VERSION, settings.max_body_bytes, auth.required_scopes(settings)
    )
    return app
