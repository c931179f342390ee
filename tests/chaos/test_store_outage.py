"""Two gunicorn replicas (2 workers each) on one real PostgreSQL under /predict load; the store is stopped
(`pg_ctl stop -m immediate`) for OUTAGE_S and started again on the same port, and separately frozen with
SIGSTOP (postmaster and every process it started) for OUTAGE_S and resumed.

Proves: no /predict fails and /ready stays 200; /feedback (valid token) and /monitoring/drift answer 503
with Retry-After in the error shape meanwhile, never 500, and within a few seconds; the store gauge reads 0;
afterwards the store counts every row that was answered (nothing of the outage lost) and /feedback works
again on every replica; each process writes a handful of log lines per outage and no traceback.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tests.chaos.store_cluster import (
    STORE_TIMEOUT_S,
    Load,
    Probe,
    Replica,
    gauge,
    predict_token,
    probe,
    replicas,
    stored_rows,
    wait_for_rows,
)
from tests.monitoring.postgres import PACKAGE, PostgresServer, pg_bin, postgres_instance

OUTAGE_S = 10.0
WORKERS = 2
LINES_PER_PROCESS = 3  # "down" and "back" are two; one spare
SLOWEST_ANSWER_S = 2 * STORE_TIMEOUT_S + 2.5  # connect_timeout (2 s at least) + a deadline, and slack
MIN_ROWS_DURING = 500  # /predict answered during the outage, at the least (about 3000 are)
SETTLE_S = 2 * STORE_TIMEOUT_S + 1  # near a recovery, a call stuck before it may still finish with 200


@dataclass
class Cluster:
    """The store, the replicas on it, and every /predict answered so far."""

    pg: PostgresServer
    replicas: list[Replica]
    load: Load
    store_up: list[float | None] = field(default_factory=list)  # the gauge, read late in the outage
    during: int = 0  # /predict answered while the store was unavailable
    ready: set[int] = field(default_factory=set)  # /ready statuses during the outage


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A PostgreSQL server and two replicas on it (skipped only outside CI when PostgreSQL is missing)."""
    if pg_bin() is None and not os.environ.get("CI"):
        pytest.skip(f"PostgreSQL is not installed (Debian package {PACKAGE})")
    with (
        postgres_instance() as pg,
        replicas(pg.url, tmp_path_factory.mktemp("outage"), 2, WORKERS) as started,
    ):
        yield Cluster(pg, started, Load([r.url for r in started]))


def run_outage(cluster: Cluster, begin: Callable[[], None], end: Callable[[], None]) -> list[Probe]:
    """Under load: begin the outage, probe every replica until OUTAGE_S has passed, end it; the probes
    sent while the store was unavailable (those sent just before it returned are left out: see SETTLE_S)."""
    load = cluster.load
    load.start()
    try:
        time.sleep(1.0)  # steady load first
        begin()
        began, probes, answered = time.monotonic(), [], load.answered
        cluster.store_up, cluster.ready = [], set()
        while time.monotonic() - began < OUTAGE_S:
            for replica in cluster.replicas:
                probes += probe(replica.url, load)
                cluster.ready.add(requests.get(f"{replica.url}/ready", timeout=15).status_code)
            if not cluster.store_up and time.monotonic() - began > OUTAGE_S - SETTLE_S - 1:
                cluster.store_up = [gauge(r.url, "predict_monitoring_store_up") for r in cluster.replicas]
            time.sleep(0.2)
        ended, cluster.during = time.monotonic(), load.answered - answered
        end()
        time.sleep(1.0)  # load goes on while the store comes back
    finally:
        load.stop()
    return [p for p in probes if p.sent < ended - SETTLE_S]


def check_outage(cluster: Cluster, probes: list[Probe], offsets: list[int]) -> None:
    """The assertions common to both kinds of outage."""
    load = cluster.load
    assert load.failed == [], f"{len(load.failed)} /predict failed, e.g. {load.failed[:5]}"
    assert cluster.during >= MIN_ROWS_DURING, cluster.during  # the load did go on during the outage
    assert {p.path for p in probes} == {"/feedback", "/monitoring/drift"} and len(probes) >= 8
    wrong = [p for p in probes if p.status != 503 or p.error != "monitoring_store_unavailable"]
    assert wrong == [], wrong[:5]
    assert all(p.retry_after is not None and int(p.retry_after) >= 1 for p in probes)
    assert max(p.seconds for p in probes) < SLOWEST_ANSWER_S, max(probes, key=lambda p: p.seconds)
    assert cluster.store_up == [0.0] * len(cluster.replicas)  # MonitoringStoreDown fires on this
    assert cluster.ready == {200}  # predictions do not need the store: the replicas stay ready
    # healed: every row answered is counted (those queued during the outage included), feedback works again
    counted = wait_for_rows(cluster.pg.url, load.answered)
    assert counted == load.answered
    for replica in cluster.replicas:
        deadline, statuses = time.monotonic() + 20, set()
        for _ in range(4 * WORKERS):  # new connections: more than one worker answers
            while True:
                token = predict_token(replica.url, load)
                body: dict[str, Any] = {"feedback_token": token, "purchased": False}
                answer = requests.post(f"{replica.url}/feedback", json=body, timeout=15)
                if answer.status_code != 503 or time.monotonic() > deadline:
                    break
                time.sleep(0.25)
            statuses.add(answer.status_code)
        assert statuses == {200}, (replica.url, statuses)
    assert wait_for_rows(cluster.pg.url, load.answered) == load.answered  # the tokens' rows too
    for replica in cluster.replicas:
        assert gauge(replica.url, "predict_monitoring_store_up") == 1.0
        assert gauge(replica.url, "predict_monitoring_pending_rows") == 0.0
    for replica, offset in zip(cluster.replicas, offsets, strict=True):
        lines = replica.lines(offset)
        text = replica.log.read_text(errors="replace")
        assert "Traceback" not in text
        store_lines = [line for line in lines if str(line.get("logger", "")).startswith("monitoring")]
        assert 1 <= len([x for x in store_lines if "unavailable" in x["msg"]]) <= WORKERS
        assert len([x for x in store_lines if "is back" in x["msg"]]) >= 1
        assert len(lines) <= LINES_PER_PROCESS * WORKERS, lines
        assert not [x for x in lines if x.get("level") in ("ERROR", "CRITICAL")], lines
    pairs = zip(cluster.replicas, offsets, strict=True)
    line_counts = [len(replica.lines(offset)) for replica, offset in pairs]
    print(  # noqa: T201 - the figures docs/operations/monitoring-store.md quotes (pytest -s shows them)
        f"\noutage: /predict answered {load.answered} ({cluster.during} during the outage), failed "
        f"{len(load.failed)}; store rows afterwards {counted}; probes {len(probes)}, statuses "
        f"{sorted({p.status for p in probes})}, slowest {max(p.seconds for p in probes):.2f} s; "
        f"log lines per replica {line_counts}"
    )


def test_a_store_stopped_and_restarted_costs_no_prediction_and_no_row(cluster: Cluster) -> None:
    offsets = [r.size() for r in cluster.replicas]
    before = stored_rows(cluster.pg.url)
    probes = run_outage(cluster, cluster.pg.stop_immediate, cluster.pg.start)
    check_outage(cluster, probes, offsets)
    assert stored_rows(cluster.pg.url) > before


def test_a_frozen_store_costs_no_prediction_and_no_row_and_blocks_nothing_for_long(cluster: Cluster) -> None:
    offsets = [r.size() for r in cluster.replicas]
    probes = run_outage(cluster, cluster.pg.freeze, cluster.pg.thaw)
    check_outage(cluster, probes, offsets)
