"""Prometheus metrics; per-app registry, aggregated across gunicorn workers in multiprocess mode.

Per-request observations are queued in memory and applied by service.fast.flusher every few hundred
milliseconds, aggregated per label set and bucket: prometheus_client's multiprocess values take a lock
and a system call on every update. /metrics applies its own process's queue before rendering; other
workers' most recent observations show up within the flusher's interval.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from typing import Any

import numpy as np
import numpy.typing as npt
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from service.fast.flusher import FLUSHER
from service.fast.prometheus_bulk import (
    PublicRecorder,
    Recorder,
    bulk_supported,
    observe_many,
    public_observe_many,
)

logger = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
PROBABILITY_BUCKETS = tuple(round(0.1 * i, 1) for i in range(1, 11))


class Metrics:
    """Request, latency and prediction metrics for one app."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "predict_http_requests",
            "HTTP requests by endpoint, method and status.",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "predict_http_request_duration_seconds",
            "Request latency by endpoint, method and status.",
            ["endpoint", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.predictions = Counter(
            "predict_predictions", "Predictions by outcome.", ["outcome"], registry=self.registry
        )
        self.probability = Histogram(
            "predict_probability", "Predicted P(buy).", buckets=PROBABILITY_BUCKETS, registry=self.registry
        )
        self._yes = self.predictions.labels("Yes")
        self._no = self.predictions.labels("No")
        # prometheus_client internals behind one adapter (service.fast.prometheus_bulk), checked here
        bulk = bulk_supported(self._yes, self.probability)
        self._recorder = Recorder if bulk else PublicRecorder
        self._observe_many = observe_many if bulk else public_observe_many
        self._recorders: dict[tuple[str, str, int] | bool, Recorder | PublicRecorder] = {
            True: self._recorder(self._yes, self.probability),
            False: self._recorder(self._no, self.probability),
        }
        self._queue: deque[tuple[tuple[str, str, int] | bool, float]] = deque()  # atomic appends
        self._flushing = threading.Lock()
        self._collectors: list[Collector] = []  # extra scrape-time collectors (docs/monitoring.md)
        FLUSHER.register(self)

    def add_collector(self, collector: Collector) -> None:
        """Render `collector` on every scrape as well (it computes its values when collected)."""
        self._collectors.append(collector)
        self.registry.register(collector)

    def observe_request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        """Count one request and its latency."""
        self._queue.append(((endpoint, method, status), seconds))
        FLUSHER.ensure_running()

    def observe_prediction(self, probability: float, buy: bool) -> None:
        """Count one outcome and record its probability."""
        self._queue.append((buy, probability))
        FLUSHER.ensure_running()

    def flush(self) -> None:
        """Apply the queued observations: one update per counter, sum and bucket touched."""
        with self._flushing:
            queue = self._queue
            totals: dict[Any, Any] = {}  # recorder -> its tally
            while queue:
                key, value = queue.popleft()
                recorder = self._recorders.get(key) or self._request_recorder(key)
                total = totals.get(recorder)
                if total is None:
                    total = totals[recorder] = recorder.tally()
                total.add(value)
            for recorder, total in totals.items():
                recorder.apply(total)

    def _request_recorder(self, key: tuple[str, str, int] | bool) -> Recorder | PublicRecorder:
        """The recorder of a new (endpoint, method, status); outcome recorders exist from the start."""
        if isinstance(key, bool):
            raise KeyError(key)
        labels = (key[0], key[1], str(key[2]))
        recorder = self._recorder(self.requests.labels(*labels), self.latency.labels(*labels))
        self._recorders[key] = recorder
        return recorder

    def discard(self) -> None:
        """Drop the queued observations (a forked child's copies of its parent's)."""
        self._queue.clear()
        self._flushing = threading.Lock()

    def observe_predictions(self, probabilities: npt.ArrayLike, yes: int) -> None:
        """Count outcomes and record many probabilities with one update per histogram bucket."""
        values = np.asarray(probabilities, dtype=np.float64).ravel()
        if yes:
            self._yes.inc(yes)
        if values.size - yes:
            self._no.inc(values.size - yes)
        self._observe_many(self.probability, values)

    def render(self) -> bytes:
        """The text exposition; merges every worker's files when PROMETHEUS_MULTIPROC_DIR is set."""
        self.flush()
        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if directory:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=directory)
            for collector in self._collectors:
                registry.register(collector)
            return generate_latest(registry)
        return generate_latest(self.registry)
