"""Replicas of the service on one PostgreSQL store for the chaos tests: gunicorn masters started at the same
moment, steady /predict load that counts every answer, probes of what needs the store, and the log lines
each replica wrote. Every wait is bounded; every process started here is stopped.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import requests

from tests.monitoring.conftest import COMMITTED_MODEL
from tests.service.server import REPO, free_port, gunicorn_command, server_env

KEY = "chaos-store-feedback-key-0123456789"
CUSTOMER: dict[str, Any] = {"age": 41, "salary": 61_000, "gender": "Female"}
STORE_TIMEOUT_S = 1.0  # PREDICT_MONITOR_STORE_TIMEOUT of the replicas: a frozen store is given up quickly


@dataclass
class Replica:
    """One gunicorn master (and its workers), its URL and its log file."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def lines(self, offset: int = 0) -> list[dict[str, Any]]:
        """The JSON log lines written since byte `offset` (gunicorn's and the app's, not access lines)."""
        found = []
        with self.log.open("rb") as handle:
            handle.seek(offset)
            for raw in handle:
                try:
                    line = json.loads(raw)
                except ValueError:
                    line = {"logger": "?", "level": "?", "msg": raw.decode(errors="replace")}
                if isinstance(line, dict) and line.get("logger") != "service.access":
                    found.append(line)
        return found

    def size(self) -> int:
        """The log's size now (an offset for `lines`)."""
        return self.log.stat().st_size


@contextmanager
def replicas(
    store_url: str,
    folder: Path,
    count: int = 2,
    workers: int = 2,
    while_starting: Callable[[list[Replica]], None] = lambda started: None,
) -> Iterator[list[Replica]]:
    """Start `count` gunicorn masters at the same moment on one store, call `while_starting`, wait until all
    are ready; stop all."""
    started: list[Replica] = []
    sinks = []
    try:
        for index in range(count):
            port, log = free_port(), folder / f"replica{index}.log"
            sink = log.open("wb")
            sinks.append(sink)
            env = server_env(
                COMMITTED_MODEL,
                port,
                PREDICT_WORKERS=str(workers),
                PREDICT_MONITOR_DB=store_url,
                PREDICT_MONITOR_KEY=KEY,
                PREDICT_MONITOR_STORE_TIMEOUT=str(STORE_TIMEOUT_S),
                PREDICT_STATE_DIR=str(folder / f"state{index}"),
            )
            process = subprocess.Popen(
                gunicorn_command(), cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT
            )
            started.append(Replica(process, f"http://127.0.0.1:{port}", log))
        while_starting(started)
        deadline = time.monotonic() + 90
        waiting = list(started)
        while waiting:
            for replica in list(waiting):
                assert replica.process.poll() is None, replica.log.read_text()[-2000:]
                try:
                    if requests.get(f"{replica.url}/ready", timeout=2).status_code == 200:
                        waiting.remove(replica)
                except (requests.ConnectionError, requests.Timeout):
                    pass
            assert time.monotonic() < deadline, "the replicas did not become ready within 90 s"
            time.sleep(0.1)
        yield started
    finally:
        for replica in started:
            if replica.process.poll() is None:
                replica.process.send_signal(signal.SIGTERM)
        for replica in started:
            try:
                replica.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                replica.process.kill()
                replica.process.wait()
        for sink in sinks:
            sink.close()


def wait_for_workers(started: list[Replica], workers: int, timeout: float = 60) -> None:
    """Wait until every worker of every replica has loaded and self-tested its model: what it does next is
    open the monitoring store."""
    deadline = time.monotonic() + timeout
    while True:
        booted = sum(r.log.read_text(errors="replace").count("self-test passed") for r in started)
        if booted >= workers * len(started):
            return
        assert time.monotonic() < deadline, "the workers did not load their model in time"
        time.sleep(0.05)


@dataclass
class Load:
    """Client threads sending /predict to every replica in turn until stopped; counts every answer."""

    urls: list[str]
    threads: int = 4
    answered: int = 0  # 200 answers: each is one row the store must end up counting
    failed: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _workers: list[threading.Thread] = field(default_factory=list)

    def _run(self, offset: int) -> None:
        sessions = [requests.Session() for _ in self.urls]
        turn = offset
        while not self._stop.is_set():
            turn += 1
            index = turn % len(self.urls)
            try:
                answer = sessions[index].post(f"{self.urls[index]}/predict", json=CUSTOMER, timeout=15)
                outcome = "" if answer.status_code == 200 else f"status {answer.status_code}"
            except requests.RequestException as exc:
                outcome = type(exc).__name__
            with self._lock:
                if outcome:
                    self.failed.append(outcome)
                else:
                    self.answered += 1
        for session in sessions:
            session.close()

    def start(self) -> None:
        """Start the client threads."""
        self._stop.clear()
        self._workers = [
            threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(self.threads)
        ]
        for worker in self._workers:
            worker.start()

    def stop(self) -> None:
        """Stop and wait for the client threads (bounded by the request timeout)."""
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=30)
        assert not any(w.is_alive() for w in self._workers), "a load thread did not stop"


def predict_token(url: str, load: Load) -> str:
    """A fresh feedback token from one /predict (counted in the load's answers: it is a row too)."""
    answer = requests.post(f"{url}/predict", json=CUSTOMER, timeout=15)
    assert answer.status_code == 200, answer.text
    with load._lock:
        load.answered += 1
    return str(answer.json()["feedback_token"])


@dataclass
class Probe:
    """One request to an endpoint that needs the store."""

    sent: float  # time.monotonic() when sent
    path: str
    status: int
    seconds: float
    retry_after: str | None
    error: str | None


def probe(url: str, load: Load) -> list[Probe]:
    """POST /feedback with a valid, fresh token and GET /monitoring/drift, with their answers."""
    results = []
    token = predict_token(url, load)
    feedback: dict[str, Any] = {"feedback_token": token, "purchased": True}
    for path, call in (
        ("/feedback", lambda: requests.post(f"{url}/feedback", json=feedback, timeout=15)),
        ("/monitoring/drift", lambda: requests.get(f"{url}/monitoring/drift", timeout=15)),
    ):
        sent = time.monotonic()
        answer = call()
        seconds = time.monotonic() - sent
        error = answer.json().get("error") if answer.status_code >= 400 else None
        results.append(
            Probe(sent, path, answer.status_code, seconds, answer.headers.get("Retry-After"), error)
        )
    return results


def stored_rows(store_url: str) -> int:
    """Scored rows counted in the store, over every window."""
    with psycopg.connect(store_url, connect_timeout=5) as conn:
        row = conn.execute("SELECT COALESCE(SUM(n), 0) FROM monitor_counts WHERE series = 'rows'").fetchone()
    return int(row[0]) if row else 0


def wait_for_rows(store_url: str, rows: int, timeout: float = 30) -> int:
    """Poll the store until it counts `rows` rows (or more, or the time is up); the last count."""
    deadline = time.monotonic() + timeout
    while True:
        counted = stored_rows(store_url)
        if counted >= rows or time.monotonic() > deadline:
            return counted
        time.sleep(0.25)


def gauge(url: str, name: str) -> float | None:
    """A gauge's value on a replica's /metrics (None when absent)."""
    for line in requests.get(f"{url}/metrics", timeout=15).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None
