"""The application factory: builds the state, registers the views, hooks and error handlers, nothing else.

The state is complete before any view exists (`build_state`); each group of views is a class built from it
whose `rules()` are added with `add_url_rule` (MLServer's `Endpoints` and route list), and registering
changes no shared state, so the order below is only the order of the route table (and of /openapi.json).
"""

from __future__ import annotations

import logging

from flask import Flask

from runtime.predictor import Predictor
from service.http import auth, errors, openapi
from service.http.api import add_views
from service.http.monitoring_routes import MonitoringViews
from service.http.openapi import API_VERSION
from service.http.page_routes import PageViews
from service.http.routes import PredictionViews
from service.http.state import EXTENSION, build_state
from service.http.v2_routes import V2Views
from service.observe import middleware
from service.process.settings import Settings

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, predictor: Predictor | None = None) -> Flask:
    """Build the Flask app; without a ready predictor it runs but answers 503 where the model is needed."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    state = build_state(settings, predictor)
    app.extensions[EXTENSION] = state
    middleware.install(app, state)
    auth.install(app, settings)  # optional API keys
    predictions = PredictionViews(state)
    add_views(app, predictions)
    add_views(app, V2Views(state))  # Open Inference Protocol (V2)
    add_views(app, PageViews())  # the web page at /
    add_views(app, MonitoringViews(state))  # drift monitoring and feedback
    errors.register_error_handlers(app)
    predictions.openapi_json = openapi.document(  # keep last; API-key scopes: docs/operations/api-keys.md
        app, API_VERSION, settings.max_body_bytes, auth.required_scopes(settings)
    )
    return app
