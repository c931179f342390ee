"""The WSGI entry point (`gunicorn service.process.wsgi:app`): the only module that does work at import.

Under gunicorn (service/process/gunicorn.conf.py) the master has validated the model and copied it into the
model store (PREDICT_STATE_DIR); workers load that copy, never the file at PREDICT_MODEL_PATH, so a worker
that restarts for any reason serves the validated model even if a bad file sits at the model path. Likewise
the settings: workers take the ones the master last validated (service.process.reload.validated_settings,
inherited through fork), so a key file edited into a bad one never stops a worker from booting; without such a
master (`flask run`, tests) they are read from the environment. A shadow model in the store is loaded beside
the live one (service.process.shadow_worker); it can fail without stopping the worker.
"""

from __future__ import annotations

import logging
import sys

from flask import Flask

from runtime.errors import ModelError
from runtime.predictor import Predictor
from service.http.app import create_app
from service.observe.logs import configure_logging
from service.process.check import EXIT_STARTUP
from service.process.model_store import ModelStore, StoreError
from service.process.reload import validated_settings
from service.process.settings import Settings
from service.process.shadow_worker import attach_shadow
from service.process.startup_errors import StartupError

logger = logging.getLogger(__name__)


def load_predictor(settings: Settings) -> Predictor:
    """The store's current model when there is one, else the model at the model path; self-tested."""
    if settings.state_dir is not None:
        store = ModelStore(settings.state_dir)
        entry = store.current()
        if entry is not None:
            path, data = store.read(entry)
            return Predictor.from_path(path, settings.threshold, data, settings.max_model_bytes)
    return Predictor.from_path(settings.model_path, settings.threshold, max_bytes=settings.max_model_bytes)


def build() -> Flask:
    """Read settings, configure logging, load and self-test the model, build the app; exit on failure."""
    try:
        settings = validated_settings() or Settings.from_env()
        configure_logging(settings.log_level, settings.secret_values())
        predictor = load_predictor(settings)
    except (StartupError, ModelError, StoreError) as exc:
        sys.stderr.write(f"purchase-predictor: cannot start: {exc}\n")
        sys.stderr.flush()
        raise SystemExit(EXIT_STARTUP) from None
    app = create_app(settings, predictor)
    attach_shadow(app, settings)  # a candidate scored beside the live model, if the store holds one
    return app


app = build()
