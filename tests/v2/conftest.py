"""Fixtures for the V2 tests: a tiny model, an app, a Flask client and one real gunicorn per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from runtime.predictor import Predictor
from service.http.app import create_app
from service.process.settings import Settings
from tests.service.server import Server, running_server

INFER = "/v2/models/purchase-predictor/infer"


@pytest.fixture(scope="session")
def app(settings: Settings, predictor: Predictor) -> Flask:
    """One app for the session (hypothesis runs many examples against it)."""
    return create_app(settings, predictor)


@pytest.fixture(scope="session")
def client(app: Flask) -> FlaskClient:
    """A test client for the app."""
    return app.test_client()


@pytest.fixture(scope="session")
def server(model_path: Path) -> Iterator[Server]:
    """A real gunicorn serving the test model with one worker, stopped at the end of the session."""
    with running_server(model_path, PREDICT_WORKERS="1") as running:
        yield running
