"""Fixtures: a tiny contract-conforming model in a temp folder, settings, predictor, app and client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from runtime.predictor import Predictor
from service.app import create_app
from service.settings import Settings

REPO = Path(__file__).resolve().parents[2]
COMMITTED_MODEL = REPO / "models" / "purchase_model.onnx"


@pytest.fixture(scope="session")
def settings(model_path: Path) -> Settings:
    """Settings pointing at the test model."""
    return Settings(model_path=model_path, max_body_bytes=1024 * 1024)


@pytest.fixture(scope="session")
def predictor(settings: Settings) -> Predictor:
    """A loaded, self-tested predictor."""
    return Predictor.from_path(settings.model_path, settings.threshold)


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
