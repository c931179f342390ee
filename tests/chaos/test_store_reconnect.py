"""The store itself on a real PostgreSQL that is stopped and restarted, or frozen with SIGSTOP: calls fail
within their deadline, request calls are refused at once while it is down, the background retry brings it
back on a new connection, and a monitor's counts of the outage are all written afterwards."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from monitoring.monitor import Monitor
from monitoring.profile import ReferenceProfile
from monitoring.store import Store, StoreUnavailable
from monitoring.tokens import TokenSigner
from runtime.predictor import Predictor
from tests.monitoring.conftest import customers
from tests.monitoring.postgres import PACKAGE, PostgresServer, pg_bin, postgres_instance

TIMEOUT_S = 1.0
RECOVERY_S = 15.0  # bound on waiting for the background retry after the store is back


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    """A real PostgreSQL server (skipped only outside CI when it is not installed)."""
    if pg_bin() is None and not os.environ.get("CI"):
        pytest.skip(f"PostgreSQL is not installed (Debian package {PACKAGE})")
    with postgres_instance() as server:
        yield server


def refused_at_once(store: Store) -> None:
    """A request call while the store is down: StoreUnavailable, with no network wait."""
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as error:
        store.windows(5)
    assert time.monotonic() - started < 0.05 and error.value.retry_after >= 1


def heal(monitor: Monitor) -> float:
    """Flush in the background until the store is up again (bounded); how long it took."""
    started = time.monotonic()
    while not monitor.store.up:
        assert time.monotonic() - started < RECOVERY_S, "the store did not come back"
        monitor.flush()
        time.sleep(0.1)
    return time.monotonic() - started


def make_monitor(predictor: Predictor, profile: ReferenceProfile, store: Store) -> Monitor:
    """A monitor with a fixed key."""
    return Monitor(
        profile,
        store,
        TokenSigner(b"k" * 32, 86_400),
        predictor.model_version,
        predictor.threshold,
        predictor.metadata.training_ranges,
        3600,
    )


def observe(monitor: Monitor, predictor: Predictor, n: int, seed: int) -> None:
    """Queue n scored rows."""
    data = customers(np.random.default_rng(seed), n)
    columns = (data.age, data.salary, data.gender)
    monitor.observe_many(columns, predictor.probabilities(*columns))


@pytest.mark.parametrize("outage", ["stop", "freeze"])
def test_the_store_fails_within_its_deadline_and_heals_with_every_count(
    pg: PostgresServer,
    committed: Predictor,
    profile: ReferenceProfile,
    caplog: pytest.LogCaptureFixture,
    outage: str,
) -> None:
    store = Store(pg.url, TIMEOUT_S)
    monitor = make_monitor(committed, profile, store)
    try:
        before = sum(w.rows for w in store.windows(50))
        observe(monitor, committed, 100, 1)
        monitor.flush()
        with caplog.at_level(logging.INFO, logger="monitoring"):
            pg.stop_immediate() if outage == "stop" else pg.freeze()
            try:
                observe(monitor, committed, 250, 2)
                started = time.monotonic()
                monitor.flush()  # fails: a reset connection at once, a frozen server at the deadline
                assert time.monotonic() - started < TIMEOUT_S + 1.0
                assert not store.up and monitor.pending.rows == 250
                refused_at_once(store)
                for seed in range(3, 8):  # more rows, more failed flushes: all merged
                    observe(monitor, committed, 50, seed)
                    monitor.flush()
                    time.sleep(0.3)
                assert monitor.pending.rows == 500
            finally:
                pg.start() if outage == "stop" else pg.thaw()
            took = heal(monitor)
        assert monitor.pending.rows == 0
        assert sum(w.rows for w in store.windows(50)) == before + 600
        lines = [r for r in caplog.records if r.name.startswith("monitoring")]
        assert [r.levelname for r in lines] == ["WARNING", "INFO"], [r.getMessage() for r in lines]
        assert took < 6.0  # the retry interval is 5 s at most (with jitter)
    finally:
        store.close()


def test_a_request_waiting_behind_a_frozen_call_gives_up_within_the_deadline(pg: PostgresServer) -> None:
    store = Store(pg.url, TIMEOUT_S)
    try:
        store.probe()
        pg.freeze()
        try:
            outcome: list[BaseException] = []

            def write() -> None:
                try:
                    store.add({(0, 1, "v"): {("rows", 0): 1}}, {})
                except StoreUnavailable as exc:
                    outcome.append(exc)

            stuck = threading.Thread(target=write)
            stuck.start()
            time.sleep(0.1)  # the background write now holds the lock, blocked on the frozen server
            started = time.monotonic()
            with pytest.raises(StoreUnavailable):
                store.add_feedback([("nonce", 10)], {}, {})
            assert time.monotonic() - started < TIMEOUT_S + 0.5
            stuck.join(timeout=TIMEOUT_S + 2)
            assert not stuck.is_alive() and len(outcome) == 1 and not store.up
        finally:
            pg.thaw()
    finally:
        store.close()
