"""Prometheus gauges of shadow scoring, computed at scrape time from the store's windows (every worker's
rows): per window (`current`, `last_closed`) the rows compared, decision agreement, mean and largest |Δp|,
and each model's Yes rate on those rows; plus whether this worker scores the shadow (1) or failed to load
it (0)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from monitoring.shadow import ShadowSection, section
from monitoring.store_guard import StoreUnavailable

if TYPE_CHECKING:
    from monitoring.monitor import Monitor

logger = logging.getLogger(__name__)

GAUGES = (
    ("predict_shadow_rows", "Rows scored by both the live and the shadow model in the window.", "rows"),
    ("predict_shadow_agreement", "Share of rows where the shadow model's decision equals the live one's.",
     "agreement"),
    ("predict_shadow_mean_abs_diff", "Mean |p_shadow - p_live| over the window's rows.", "mean_abs_diff"),
    ("predict_shadow_max_abs_diff", "Largest |p_shadow - p_live| (4 decimals).", "max_abs_diff"),
)  # fmt: skip


class ShadowCollector(Collector):
    """Reads the monitor's newest windows on every scrape (one small query)."""

    def __init__(self, monitor: Monitor) -> None:
        self._monitor = monitor

    def _sections(self) -> list[tuple[str, ShadowSection]]:
        """(window label, section) for the open and the last closed window of the live model."""
        monitor = self._monitor
        now = monitor.clock()
        mine = [w for w in monitor.windows(3) if w.model_version == monitor.model_version]
        found = []
        for label, windows in (
            ("current", [w for w in mine if w.end > now]),
            ("last_closed", [w for w in mine if w.end <= now]),
        ):
            part = section(windows[-1], monitor.shadow) if windows else None
            if part is not None:
                found.append((label, part))
        return found

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The shadow gauges (none while the store is down: predict_monitoring_store_up says so)."""
        status = self._monitor.shadow_status
        if status is not None:
            loaded = GaugeMetricFamily(
                "predict_shadow_loaded",
                "1 when this worker scores the shadow model, 0 when it failed to load it.",
                labels=["model_version"],
            )
            loaded.add_metric([status["model_version"]], 1.0 if status["state"] == "scoring" else 0.0)
            yield loaded
        try:
            sections = self._sections()
        except StoreUnavailable:
            return
        except Exception:  # a scrape must not fail because of monitoring
            logger.exception("shadow gauges could not be computed")
            return
        labels = ["window", "model_version"]
        for name, text, key in GAUGES:
            family = GaugeMetricFamily(name, text, labels=labels)
            for label, part in sections:
                value = part[key]  # type: ignore[literal-required]
                if value is not None:
                    family.add_metric([label, part["model_version"]], float(value))
            yield family
        yes = GaugeMetricFamily(
            "predict_shadow_yes_rate", "Yes rate on the compared rows, per model.", labels=[*labels, "model"]
        )
        for label, part in sections:
            for model, value in (("shadow", part["yes_rate"]), ("live", part["live_yes_rate"])):
                if value is not None:
                    yes.add_metric([label, part["model_version"], model], float(value))
        yield yes
