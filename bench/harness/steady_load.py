"""A paced, counted HTTP load on one loopback server: keep-alive connections, every request accounted for.

Used by the soak run (bench/soak.py) and the fault and chaos tests (tests/faults/, tests/chaos/). Each
thread sends POST /predict bodies on its own persistent connection at an even pace; a request that does
not come back with a 2xx is counted as failed with its kind (status code or exception name), and the
thread reconnects. Nothing is retried: a failure is a failure.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

BODIES = [
    json.dumps({"age": 18 + i % 43, "salary": 15000 + 1750 * i, "gender": ("Male", "Female")[i % 2]}).encode()
    for i in range(64)
]
HEADERS = {"Content-Type": "application/json"}


@dataclass
class Counts:
    """Requests answered with 2xx, failed ones by kind, and the model versions that answered."""

    ok: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    versions: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        """Every request sent."""
        return self.ok + sum(self.failed.values())

    @property
    def failure_rate(self) -> float:
        """Failed / sent (0 when nothing was sent)."""
        return sum(self.failed.values()) / self.total if self.total else 0.0


class Load:
    """`threads` paced senders at `rate` requests/s in total; start(), then stop() returns the counts."""

    def __init__(
        self,
        url: str,
        threads: int = 4,
        rate: float = 200.0,
        path: str = "/predict",
        timeout: float = 30.0,
        headers: dict[str, str] | None = None,
    ) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.path, self.timeout = path, timeout
        self.headers = {**HEADERS, **(headers or {})}
        self.interval = threads / rate if rate > 0 else 0.0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._counts = Counts()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]

    def start(self) -> Load:
        """Start every sender."""
        for thread in self._threads:
            thread.start()
        return self

    def snapshot(self) -> Counts:
        """A copy of the counts so far."""
        with self._lock:
            return Counts(self._counts.ok, Counter(self._counts.failed), Counter(self._counts.versions))

    def stop(self) -> Counts:
        """Stop sending, wait for the requests in flight, return the counts."""
        self._stop.set()
        for thread in self._threads:
            thread.join(self.timeout + 5)
        return self.snapshot()

    def _record(self, ok: bool, kind: str) -> None:
        """Count one request."""
        with self._lock:
            if ok:
                self._counts.ok += 1
                self._counts.versions[kind] += 1
            else:
                self._counts.failed[kind] += 1

    def _run(self, index: int) -> None:
        """Send requests at this thread's pace until stopped."""
        connection: http.client.HTTPConnection | None = None
        next_at, i = time.monotonic(), index
        while not self._stop.is_set():
            if connection is None:
                connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                connection.request("POST", self.path, BODIES[i % len(BODIES)], self.headers)
                response = connection.getresponse()
                response.read()
                ok = 200 <= response.status < 300
                self._record(ok, response.getheader("X-Model-Version", "?") if ok else str(response.status))
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as exc:
                self._record(False, type(exc).__name__)
                if connection is not None:
                    connection.close()
                connection = None
            i += 1
            next_at += self.interval
            delay = next_at - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
            else:
                next_at = time.monotonic()  # behind schedule: do not burst to catch up
        if connection is not None:
            connection.close()
