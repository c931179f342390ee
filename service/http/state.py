"""What the views share: settings, the predictor (or None), metrics, the monitor and documents prebuilt at
start. `build_state` makes it whole before any view is registered; nothing changes it afterwards."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from monitoring.monitor import Monitor
from purchase_predictor import __version__
from runtime.explain import background_document
from runtime.predictor import Predictor
from service.http.errors import ModelNotReady
from service.http.schemas import INPUT_RULES, MAX_BATCH
from service.observe.drift import start_monitor
from service.observe.logs import AccessLog
from service.observe.metrics import Metrics
from service.process.settings import Settings

logger = logging.getLogger(__name__)

EXTENSION = "purchase_predictor"


@dataclass(frozen=True)
class ServiceState:
    """Per-app state, stored in `app.extensions`; complete when built (see `build_state`)."""

    settings: Settings
    predictor: Predictor | None
    metrics: Metrics
    access_log: AccessLog
    model_json: bytes
    model_version: str
    monitor: Monitor | None  # None when drift monitoring is off (setting, or no reference profile)

    def ready_predictor(self) -> Predictor:
        """The predictor if it passed its self-test, else 503."""
        predictor = self.predictor
        if predictor is None or not predictor.ready:
            raise ModelNotReady("The model is not loaded or has not passed its self-test yet; retry later.")
        return predictor


def build_state(settings: Settings, predictor: Predictor | None) -> ServiceState:
    """The app's state: metrics, access log, the /model document and, when it runs, the drift monitor."""
    metrics = Metrics()
    return ServiceState(
        settings=settings,
        predictor=predictor,
        metrics=metrics,
        access_log=AccessLog(),
        model_json=model_document(predictor, settings),
        model_version=predictor.model_version if predictor is not None else "none",
        monitor=start_monitor(settings, predictor, metrics),
    )


def model_document(predictor: Predictor | None, settings: Settings) -> bytes:
    """The /model answer, rendered once."""
    if predictor is None:
        return b""
    meta = predictor.metadata
    return json.dumps(
        {
            "package_version": __version__,  # the purchase-predictor package serving it
            "model_version": meta.model_version,
            "model_family": meta.model_family,
            "calibration": meta.calibration,
            "schema_version": meta.schema_version,
            "created_at": meta.created_at,
            "threshold": predictor.threshold,
            "threshold_source": "metadata" if settings.threshold is None else "PREDICT_THRESHOLD",
            "inputs": INPUT_RULES,
            "training_ranges": {k: list(v) for k, v in meta.training_ranges.items()},
            "metrics": meta.metrics,
            "max_batch": MAX_BATCH,
            "explanation_background": background_document(meta),  # null without one
        }
    ).encode()
