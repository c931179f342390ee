"""A store that fails: backoff and its log lines, counts merged back and written later, the flusher's quiet
retries, and the service's 503 with Retry-After (no PostgreSQL needed: nothing listens on the port)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pytest

from monitoring.monitor import Monitor
from monitoring.pending import Pending, merge
from monitoring.profile import ReferenceProfile
from monitoring.store import CountBatch, Store, StoreUnavailable, SumBatch
from monitoring.store_guard import FIRST_RETRY_S, MAX_RETRY_S, Health
from monitoring.tokens import TokenSigner
from monitoring.window import ROWS, SUM_VAR
from runtime.predictor import Predictor
from service.fast.flusher import Flusher
from service.http.app import create_app
from service.process.settings import Settings
from tests.monitoring.conftest import COMMITTED_MODEL, customers
from tests.service.server import free_port

WINDOW = 3600
KEY = "resilience-test-key-0123456789"


class Clock:
    """A settable clock."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# --- backoff ---------------------------------------------------------------------------------------------
def test_backoff_doubles_up_to_its_ceiling_and_only_background_calls_retry() -> None:
    clock, changes = Clock(), list[bool]()
    health = Health("postgresql", changes.append, clock=clock, jitter=lambda: 1.0)
    waits = []
    for _ in range(7):
        health.failed(ConnectionError("refused"))
        waits.append(health.retry_at - clock.now)
        assert not health.may_try(background=False)  # request threads are refused at once
        assert not health.may_try(background=True)
        assert health.retry_after() == max(1, int(np.ceil(waits[-1])))
        clock.now = health.retry_at
        assert health.may_try(background=True) and not health.may_try(background=False)
    assert waits == [min(MAX_RETRY_S, FIRST_RETRY_S * 2**i) for i in range(7)]
    assert waits[-1] == MAX_RETRY_S
    health.succeeded()
    assert health.up and health.may_try(background=False) and changes == [False, True]


def test_an_outage_is_two_log_lines_however_many_attempts_fail(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    health = Health("postgresql", clock=clock, jitter=lambda: 1.0)
    with caplog.at_level(logging.DEBUG, logger="monitoring"):
        for _ in range(3):  # three outages
            for _ in range(50):
                health.failed(OSError("connection refused\nsecond line"))
                clock.now = health.retry_at
            health.succeeded()
            health.succeeded()
    lines = [r for r in caplog.records if r.name.startswith("monitoring")]
    assert [r.levelname for r in lines] == ["WARNING", "INFO"] * 3
    assert all(r.exc_info is None for r in lines)  # never a traceback
    assert "OSError: connection refused" in lines[0].getMessage()
    assert "second line" not in lines[0].getMessage()
    assert "back after" in lines[1].getMessage()


def test_jitter_spreads_the_retries_of_many_processes() -> None:
    waits = set()
    for _ in range(20):
        clock = Clock()
        health = Health("postgresql", clock=clock)
        health.failed(OSError())
        waits.add(round(health.retry_at - clock.now, 6))
    assert len(waits) > 10
    assert all(FIRST_RETRY_S * 0.8 <= w <= FIRST_RETRY_S * 1.2 for w in waits)


# --- merging back ----------------------------------------------------------------------------------------
def test_merge_adds_counts_and_sums_key_by_key() -> None:
    counts: CountBatch = {(0, 10, "v"): {(ROWS, 0): 2, ("age", 3): 1}}
    sums: SumBatch = {(0, 10, "v"): {"sum_p_yes": 0.5}}
    merge(
        counts,
        sums,
        {(0, 10, "v"): {(ROWS, 0): 3}, (10, 20, "v"): {(ROWS, 0): 1}},
        {(0, 10, "v"): {"sum_p_yes": 0.25, "sum_p_no": 0.1}},
    )
    assert counts == {(0, 10, "v"): {(ROWS, 0): 5, ("age", 3): 1}, (10, 20, "v"): {(ROWS, 0): 1}}
    assert sums == {(0, 10, "v"): {"sum_p_yes": 0.75, "sum_p_no": 0.1}}
    pending = Pending()
    pending.add(counts, sums)
    assert (pending.rows, pending.entries) == (6, 5)
    assert pending.take() == (counts, sums) and pending.entries == 0


class FlakyStore(Store):
    """A real SQLite store whose writes fail while `down` is set, as a store that is down does."""

    down = True

    def add(self, counts: CountBatch, sums: SumBatch, background: bool = True) -> None:
        if self.down:
            raise StoreUnavailable("down for the test", 1)
        super().add(counts, sums, background)


def monitor_on(store: Store, predictor: Predictor, profile: ReferenceProfile, clock: Clock) -> Monitor:
    """A monitor with a fixed key and a settable clock."""
    return Monitor(
        profile,
        store,
        TokenSigner(b"k" * 32, 86_400),
        predictor.model_version,
        predictor.threshold,
        predictor.metadata.training_ranges,
        WINDOW,
        clock=clock,
    )


def test_failed_flushes_are_merged_back_and_written_when_the_store_returns(
    committed: Predictor, profile: ReferenceProfile, tmp_path: Path
) -> None:
    flaky, clock = FlakyStore(str(tmp_path / "m.sqlite3")), Clock(7 * WINDOW + 10)
    monitor = monitor_on(flaky, committed, profile, clock)
    statuses: list[tuple[bool, int]] = []
    monitor.on_status = lambda up, rows: statuses.append((up, rows))
    data = customers(np.random.default_rng(3), 6000)
    p = committed.probabilities(data.age, data.salary, data.gender)
    for start in range(0, 6000, 200):  # 30 failed flushes over three windows
        clock.now += WINDOW / 10
        sl = slice(start, start + 200)
        for i in range(start, start + 20):
            monitor.observe_one(data.age[i], data.salary[i], data.gender[i], float(p[i]), bool(p[i] >= 0.6))
        monitor.observe_many((data.age[sl][20:], data.salary[sl][20:], data.gender[sl][20:]), p[sl][20:])
        monitor.flush()
    assert monitor.pending.rows == 6000
    bins = sum(len(v.counts) for v in (profile.numeric["age"], profile.numeric["salary"], profile.score))
    assert monitor.pending.entries <= 4 * (bins + 2 + 2 + 1 + 2 + 3)  # windows x bins, not rows
    flaky.down = False
    monitor.flush()
    assert monitor.pending.entries == 0
    windows = flaky.windows(10)
    assert sum(w.rows for w in windows) == 6000
    expected = np.bincount(
        profile.numeric["age"].indices(data.age), minlength=len(profile.numeric["age"].counts)
    )
    stored = np.sum([w.vector("age", len(expected)) for w in windows], axis=0)
    assert stored.tolist() == expected.tolist()
    assert sum(w.sums[SUM_VAR] for w in windows) == pytest.approx(float((p * (1 - p)).sum()), rel=1e-12)
    assert statuses[0][1] > 0 and statuses[-1][1] == 0  # the gauges follow


def test_exit_tries_the_store_once_more_whatever_the_backoff(
    committed: Predictor, profile: ReferenceProfile, tmp_path: Path
) -> None:
    store = Store(str(tmp_path / "m.sqlite3"))
    monitor = monitor_on(store, committed, profile, Clock(5.0))
    store.health.failed(OSError("gone"))  # down, next try in 0.5 s or more
    monitor.observe_one(40.0, 50_000.0, "Male", 0.4, False)
    monitor.flush()
    assert monitor.pending.rows == 1  # the backoff has not elapsed: not tried
    lost: list[int] = []
    monitor.on_lost = lost.append
    monitor.at_exit()
    assert lost == [] and monitor.pending.rows == 0 and sum(w.rows for w in store.windows(5)) == 1


def test_what_is_still_held_at_exit_is_logged_once_and_counted(
    committed: Predictor, profile: ReferenceProfile, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monitor = monitor_on(FlakyStore(str(tmp_path / "m.sqlite3")), committed, profile, Clock(5.0))
    lost: list[int] = []
    monitor.on_lost = lost.append
    for _ in range(7):
        monitor.observe_one(40.0, 50_000.0, "Male", 0.4, False)
    monitor.flush()
    with caplog.at_level(logging.INFO, logger="monitoring"):
        monitor.at_exit()
    assert lost == [7]
    (line,) = [r.getMessage() for r in caplog.records]
    assert "7 scored rows" in line and "not written" in line


# --- the flusher -----------------------------------------------------------------------------------------
class Broken:
    """A flush target that fails until `fixed` is set."""

    fixed = False

    def flush(self) -> None:
        if not self.fixed:
            raise RuntimeError("boom")

    def discard(self) -> None:
        pass


def test_the_flusher_logs_a_failing_target_once_and_its_recovery_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    flusher, target = Flusher(), Broken()
    flusher.register(target)
    with caplog.at_level(logging.INFO, logger="service.fast.flusher"):
        for _ in range(20):
            flusher._flush_each()
        target.fixed = True
        for _ in range(3):
            flusher._flush_each()
    assert [r.levelname for r in caplog.records] == ["ERROR", "INFO"]
    assert caplog.records[0].exc_info is not None


# --- the service -----------------------------------------------------------------------------------------
@pytest.fixture
def down_client(committed: Predictor):  # type: ignore[no-untyped-def]
    """A test client whose PostgreSQL store refuses connections (nothing listens on its port)."""
    url = f"postgresql://monitor@127.0.0.1:{free_port()}/postgres"
    settings = Settings(model_path=COMMITTED_MODEL, monitor_db=url, monitor_key=KEY, monitor_store_timeout=1)
    app = create_app(settings, committed)
    yield app.test_client()
    monitor = app.extensions["purchase_predictor"].monitor
    monitor.discard()  # nothing left for the flusher's report at exit
    monitor.store.close()


def test_a_store_that_is_down_answers_503_with_retry_after_where_it_is_needed(down_client) -> None:  # type: ignore[no-untyped-def]
    answer = down_client.post("/predict", json={"age": 40, "salary": 50_000, "gender": "Male"})
    assert answer.status_code == 200  # predictions do not need the store
    token = answer.get_json()["feedback_token"]
    assert down_client.get("/ready").status_code == 200
    for method, path, body in (
        ("post", "/feedback", {"feedback_token": token, "purchased": True}),
        ("get", "/monitoring/drift", None),
        ("get", "/monitoring/report", None),
    ):
        started = time.monotonic()
        response = getattr(down_client, method)(path, json=body)
        assert time.monotonic() - started < 1.0  # refused at once: the store is known to be down
        assert response.status_code == 503, path
        assert int(response.headers["Retry-After"]) >= 1
        doc = response.get_json()
        assert doc["error"] == "monitoring_store_unavailable" and set(doc) == {
            "error",
            "message",
            "details",
            "request_id",
        }
        assert "postgresql" in doc["message"] and "monitor@" not in doc["message"]
    metrics = down_client.get("/metrics").get_data(as_text=True)
    assert "predict_monitoring_store_up 0.0" in metrics
    assert "predict_monitoring_pending_rows" in metrics


def test_a_working_store_reports_up(committed: Predictor, tmp_path: Path) -> None:
    settings = Settings(model_path=COMMITTED_MODEL, monitor_db=str(tmp_path / "m.sqlite3"))
    client = create_app(settings, committed).test_client()
    assert client.post("/predict", json={"age": 40, "salary": 50_000, "gender": "Male"}).status_code == 200
    assert client.get("/monitoring/drift").status_code == 200
    metrics = client.get("/metrics").get_data(as_text=True)
    assert "predict_monitoring_store_up 1.0" in metrics
    assert "predict_monitoring_pending_rows 0.0" in metrics
