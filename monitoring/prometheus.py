"""Prometheus gauges of the last closed window (and the open window's row count), computed at scrape time,
and of the monitoring store itself (up or down, rows waiting in memory, rows lost at exit)."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from monitoring.documents import FEATURES, DataQuality, DriftDocument, DriftWindow, Quality, drift_sections
from monitoring.store_guard import StoreUnavailable

logger = logging.getLogger(__name__)


def _finite(value: Any) -> float | None:
    """A number Prometheus can carry, or None."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


class DriftCollector(Collector):
    """Reads the monitor's drift document on every scrape (a few small queries)."""

    def __init__(self, drift: Callable[[], DriftDocument]) -> None:
        self._drift = drift

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Gauges for the newest closed window of the serving model version."""
        try:
            doc = self._drift()
        except StoreUnavailable:  # reported by predict_monitoring_store_up; the scrape goes on
            return
        except Exception:  # a scrape must not fail because of monitoring
            logger.exception("monitoring gauges could not be computed")
            return
        version = v = doc["model_version"]
        mine = [w for w in doc["windows"] if w["model_version"] == version]
        rows = GaugeMetricFamily(
            "predict_drift_window_rows", "Rows in the window.", labels=["window", "model_version"]
        )
        current = [w for w in mine if not w["closed"]]
        closed = [w for w in mine if w["closed"]]
        rows.add_metric(["current", v], float(current[-1]["rows"]) if current else 0.0)
        rows.add_metric(["last_closed", v], float(closed[-1]["rows"]) if closed else 0.0)
        yield rows
        if not closed:
            return
        last = closed[-1]
        yield from self._window(last, version)

    def _window(self, w: DriftWindow, v: str) -> Iterator[GaugeMetricFamily]:
        """The gauges of one evaluated window."""
        yield from _feature_gauges(w, v)
        level = GaugeMetricFamily(
            "predict_drift_level", "Alarm level: 0 none, 1 warning, 2 page.", labels=["model_version"]
        )
        level.add_metric([v], {"none": 0.0, "warning": 1.0, "page": 2.0}[w["level"]])
        yield level
        yield from _quality_gauges(w["quality"], v)
        yield from _data_quality_gauges(w["data_quality"], v)


def _feature_gauges(w: DriftWindow, v: str) -> Iterator[GaugeMetricFamily]:
    """Per feature and the score: adjusted p-value, alarm, PSI and its noise floor."""
    p_value = GaugeMetricFamily(
        "predict_drift_p_value", "Bonferroni-adjusted p-value.", labels=["feature", "model_version"]
    )
    alarm = GaugeMetricFamily(
        "predict_drift_alarm", "1 when the feature drifted.", labels=["feature", "model_version"]
    )
    psi = GaugeMetricFamily(
        "predict_drift_psi", "Population stability index.", labels=["feature", "model_version"]
    )
    floor = GaugeMetricFamily(
        "predict_drift_psi_noise_floor",
        "PSI expected without drift.",
        labels=["feature", "model_version"],
    )
    for name, entry in drift_sections(w):
        if name not in FEATURES:
            continue
        for family, key in ((p_value, "p_value"), (alarm, "alarm"), (psi, "psi"), (floor, "psi_noise_floor")):
            value = _finite(entry.get(key))
            if value is not None:
                family.add_metric([name, v], value)
    yield from (p_value, alarm, psi, floor)


def _quality_gauges(quality: Quality, v: str) -> Iterator[GaugeMetricFamily]:
    """Estimated, realized and reference metrics, the label coverage and the concept-drift flag."""
    sections: tuple[tuple[str, Mapping[str, Any], str], ...] = (
        ("predict_estimated_metric", quality.get("estimated", {}), "Label-free estimate (CBPE)."),
        ("predict_realized_metric", quality.get("realized", {}), "Realized from delayed labels."),
        ("predict_reference_metric", quality.get("reference", {}), "Cross-validated baseline."),
    )
    for name, section, help_text in sections:
        family = GaugeMetricFamily(name, help_text, labels=["metric", "model_version"])
        for metric in ("precision", "recall", "brier", "roc_auc", "accuracy"):
            value = _finite(section.get(metric))
            if value is not None:
                family.add_metric([metric, v], value)
        yield family
    coverage = GaugeMetricFamily(
        "predict_label_coverage_ratio", "Labelled share of the window's rows.", labels=["model_version"]
    )
    realized: Mapping[str, Any] = quality.get("realized", {})
    coverage.add_metric([v], float(realized.get("coverage", 0.0)))
    yield coverage
    concept = GaugeMetricFamily("predict_concept_drift", "1 when realized and estimated quality disagree.")
    concept.add_metric([v], float(bool(quality.get("concept_drift"))))
    yield concept


def _data_quality_gauges(dq: DataQuality, v: str) -> Iterator[GaugeMetricFamily]:
    """Rows outside the training range per input and rejected requests per field."""
    outside = GaugeMetricFamily(
        "predict_window_out_of_training_range",
        "Rows outside the training range.",
        labels=["feature", "model_version"],
    )
    for name, n in dq.get("out_of_training_range", {}).items():
        outside.add_metric([name, v], float(n))
    rejected = GaugeMetricFamily(
        "predict_window_rejected_inputs", "Rejected requests by field.", labels=["field", "model_version"]
    )
    for name, n in dq.get("rejected", {}).items():
        rejected.add_metric([name, v], float(n))
    yield outside
    yield rejected


class StoreMetrics:
    """The store's gauges and counter, written by each process (prometheus_client's multiprocess files under
    gunicorn): up is the minimum over live workers, pending rows their sum, lost rows a total."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.up = Gauge(
            "predict_monitoring_store_up",
            "1 when the monitoring store answers, 0 while it is down (minimum over the workers).",
            multiprocess_mode="livemin",
            registry=registry,
        )
        self.pending = Gauge(
            "predict_monitoring_pending_rows",
            "Scored rows held in memory until the monitoring store takes them (sum over the workers).",
            multiprocess_mode="livesum",
            registry=registry,
        )
        self.lost = Counter(
            "predict_monitoring_rows_lost",
            "Scored rows a worker held when it exited with the monitoring store down (not counted).",
            registry=registry,
        )

    def status(self, up: bool, pending_rows: int) -> None:
        """Set the gauges (called by the monitor when either changes)."""
        self.up.set(1.0 if up else 0.0)
        self.pending.set(float(pending_rows))

    def rows_lost(self, rows: int) -> None:
        """Count rows a process could not write before it exited."""
        self.lost.inc(rows)
