"""The WSGI entry point (`gunicorn service.wsgi:app`): the only module that does work at import."""

from __future__ import annotations

import logging
import sys

from flask import Flask

from runtime.errors import ModelError
from runtime.predictor import Predictor
from service.app import create_app
from service.check import EXIT_STARTUP
from service.errors import StartupError
from service.logs import configure_logging
from service.settings import Settings

logger = logging.getLogger(__name__)


def build() -> Flask:
    """Read settings, configure logging, load and self-test the model, build the app; exit on failure."""
    try:
        settings = Settings.from_env()
        configure_logging(settings.log_level)
        predictor = Predictor.from_path(settings.model_path, settings.threshold)
    except (StartupError, ModelError) as exc:
        sys.stderr.write(f"purchase-predictor: cannot start: {exc}\n")
        sys.stderr.flush()
        raise SystemExit(EXIT_STARTUP) from None
    return create_app(settings, predictor)


app = build()
