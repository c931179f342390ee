"""Fixtures: an app and a client over the shared test model, settings and predictor (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from runtime.predictor import Predictor
from service.http.app import create_app
from service.process.settings import Settings

REPO = Path(__file__).resolve().parents[2]
COMMITTED_MODEL = REPO / "models" / "purchase_model.onnx"


@pytest.fixture()
def app(settings: Settings, predictor: Predictor) -> Flask:
    """The app under test."""
    return create_app(settings, predictor)


@pytest.fixture()
def client(app: Flask) -> Iterator[FlaskClient]:
    """A test client for the app."""
    with app.test_client() as test_client:
        yield test_client


@pytest.fixture()
def unready_client(settings: Settings) -> FlaskClient:
    """A client for an app without a model."""
    return create_app(settings, None).test_client()
