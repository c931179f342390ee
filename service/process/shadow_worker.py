"""A worker's side of shadow testing: load the store's shadow model beside the live one, never instead.

Each worker, as it boots (service.process.wsgi), reads the shadow slot (service.process.shadow_slot) and,
when it holds a candidate other than the live model, loads it through the same checks as the live model
(self-test included) and hands it to the drift monitor, which scores it beside the live model on every
monitored row (monitoring.shadow). Anything that goes wrong here is one log line and a `failed` status in
/monitoring/drift: the live model keeps serving. Shadow numbers live in the monitoring windows, so with
monitoring off (PREDICT_MONITOR=0, or a live model without a reference profile) the candidate is not
scored, and the worker says so in one line.
"""

from __future__ import annotations

import logging

from flask import Flask

from monitoring.documents import ShadowStatus
from monitoring.monitor import Monitor
from monitoring.profile import ProfileError, parse_profile
from monitoring.shadow import Shadow
from monitoring.shadow_metrics import ShadowCollector
from runtime import contract as c
from runtime.contract import printable, shown
from runtime.errors import ModelError
from runtime.predictor import Predictor
from service.http.state import EXTENSION, ServiceState
from service.process.model_store import ModelStore, StoreError
from service.process.settings import Settings
from service.process.shadow_slot import ShadowSlot

logger = logging.getLogger(__name__)


def attach_shadow(app: Flask, settings: Settings) -> None:
    """Score the stored shadow model in this worker when there is one (never raises)."""
    state: ServiceState = app.extensions[EXTENSION]
    if settings.state_dir is None or state.predictor is None:
        return
    try:
        entry = ShadowSlot(settings.state_dir).current()
        live = ModelStore(settings.state_dir).current()
    except StoreError as exc:
        logger.error("shadow model not loaded, the live model serves alone: %s", printable(str(exc)))
        return
    if entry is None or (live is not None and live.sha256 == entry.sha256):  # none, or promoted already
        return
    monitor: Monitor | None = state.monitor
    if monitor is None:
        logger.warning(
            "shadow model %s is not scored: drift monitoring is off (PREDICT_MONITOR=0, or the "
            "live model has no reference profile)",
            shown(entry.version),
        )
        return
    state.metrics.add_collector(ShadowCollector(monitor))  # predict_shadow_loaded says 0 if it fails
    try:
        path, data = ShadowSlot(settings.state_dir).read(entry)
        candidate = Predictor.from_path(path, settings.threshold, data, settings.max_model_bytes)
    except (ModelError, StoreError, OSError) as exc:
        reason = printable(str(exc))
        logger.error(
            "shadow model %s failed to load, the live model serves alone: %s", shown(entry.version), reason
        )
        monitor.shadow_status = ShadowStatus(model_version=entry.version, state="failed", reason=reason)
        return
    try:
        profile = parse_profile(candidate.metadata.extra.get(c.META_REFERENCE_PROFILE))
    except ProfileError:
        profile = None  # compared all the same; no score drift against its own reference
    monitor.shadow = Shadow(candidate, profile)
    monitor.shadow_status = ShadowStatus(model_version=candidate.model_version, state="scoring", reason="")
    logger.info(
        "scoring the shadow model %s beside %s", shown(candidate.model_version), shown(state.model_version)
    )
