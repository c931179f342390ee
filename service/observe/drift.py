"""Drift monitoring started for the service: the monitor, its gauges on /metrics and its background writes."""

from __future__ import annotations

import logging

from monitoring.monitor import Monitor
from monitoring.prometheus import DriftCollector, StoreMetrics
from monitoring.setup import build_monitor
from runtime.predictor import Predictor
from service.fast.flusher import FLUSHER
from service.observe.metrics import Metrics
from service.process.settings import Settings

logger = logging.getLogger(__name__)


def start_monitor(settings: Settings, predictor: Predictor | None, metrics: Metrics) -> Monitor | None:
    """The monitor (when enabled and the model carries a reference profile), wired to the flusher and to
    the app's metrics; None when monitoring is off."""
    if not settings.monitor or predictor is None:
        return None
    monitor = build_monitor(
        predictor,
        settings.monitor_db,
        settings.monitor_key,
        settings.monitor_window,
        settings.monitor_feedback_ttl,
        FLUSHER.ensure_running,
        settings.monitor_store_timeout,
    )
    if monitor is None:
        return None
    FLUSHER.register(monitor)
    metrics.add_collector(DriftCollector(lambda: monitor.drift(2)))
    store_metrics = StoreMetrics(metrics.registry)
    monitor.on_status, monitor.on_lost = store_metrics.status, store_metrics.rows_lost
    monitor.report()
    return monitor
