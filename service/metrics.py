"""Prometheus metrics; per-app registry, aggregated across gunicorn workers in multiprocess mode."""

from __future__ import annotations

import logging
import os
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
PROBABILITY_BUCKETS = tuple(round(0.1 * i, 1) for i in range(1, 11))


class Metrics:
    """Request, latency and prediction metrics for one app."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "predict_http_requests", "HTTP requests by endpoint, method and status.",
            ["endpoint", "method", "status"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "predict_http_request_duration_seconds", "Request latency by endpoint, method and status.",
            ["endpoint", "method", "status"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.predictions = Counter(
            "predict_predictions", "Predictions by outcome.", ["outcome"], registry=self.registry
        )
        self.probability = Histogram(
            "predict_probability", "Predicted P(buy).", buckets=PROBABILITY_BUCKETS, registry=self.registry
        )
        self._yes = self.predictions.labels("Yes")
        self._no = self.predictions.labels("No")
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe_request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        """Count one request and its latency (label children are cached: routes x methods x statuses)."""
        key = (endpoint, method, status)
        children = self._children.get(key)
        if children is None:
            labels = (endpoint, method, str(status))
            children = self._children[key] = (self.requests.labels(*labels), self.latency.labels(*labels))
        children[0].inc()
        children[1].observe(seconds)

    def observe_predictions(self, probabilities: list[float], yes: int) -> None:
        """Count outcomes and record the probabilities."""
        if yes:
            self._yes.inc(yes)
        if len(probabilities) - yes:
            self._no.inc(len(probabilities) - yes)
        for p in probabilities:
            self.probability.observe(p)

    def render(self) -> bytes:
        """The text exposition; merges every worker's files when PROMETHEUS_MULTIPROC_DIR is set."""
        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if directory:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=directory)
            return generate_latest(registry)
        return generate_latest(self.registry)
