"""Two gunicorn replicas (2 workers each) started at the same moment on a fresh PostgreSQL: every process
creates the schema at once, and all of them must end up on the one shared store — both replicas report
the same window counts, and a feedback token redeemed at one replica is refused (409) at the other.

Processes that boot together still reach the database some milliseconds apart, so the race on CREATE
TABLE only sometimes shows. The `late` case makes it certain: the fresh server is frozen (SIGSTOP) until
every worker has booted and is waiting on it, then resumed, so that every process's schema statements
arrive at the same instant (the code before the advisory lock failed this case every time).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.chaos.store_cluster import (
    CUSTOMER,
    Load,
    Replica,
    predict_token,
    replicas,
    wait_for_rows,
    wait_for_workers,
)
from tests.monitoring.postgres import PACKAGE, pg_bin, postgres_instance

ROWS_EACH = 40
TOKENS = 8  # each redeemed at one replica, then replayed at the other on a new connection


WORKERS = 2
WAITING_S = 0.5  # after the last worker's model self-test: time to block on the frozen server


@pytest.fixture(params=["answering", "late"])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, list[Replica]]]:
    """A fresh PostgreSQL and two replicas started together on it (`late`: frozen until they wait on it)."""
    if pg_bin() is None and not os.environ.get("CI"):
        pytest.skip(f"PostgreSQL is not installed (Debian package {PACKAGE})")
    with postgres_instance() as pg:
        if request.param == "late":
            pg.freeze()

        def thaw_when_waiting(started: list[Replica]) -> None:
            if request.param == "late":
                wait_for_workers(started, WORKERS)
                time.sleep(WAITING_S)
                pg.thaw()

        with replicas(pg.url, tmp_path, 2, WORKERS, thaw_when_waiting) as started:
            yield pg.url, started


def window_rows(url: str) -> int:
    """Rows of every window, as the replica at `url` reports them."""
    doc = requests.get(f"{url}/monitoring/drift", timeout=15).json()
    assert doc["store"] == "postgresql"
    return sum(int(w["rows"]) for w in doc["windows"])


def test_replicas_started_together_share_one_store(pair: tuple[str, list[Replica]]) -> None:
    store_url, (one, two) = pair
    load = Load([one.url, two.url])
    for replica in (one, two):
        for _ in range(ROWS_EACH):  # a new connection each time: spread over both workers
            answer = requests.post(f"{replica.url}/predict", json=CUSTOMER, timeout=15)
            assert answer.status_code == 200
            load.answered += 1
    assert wait_for_rows(store_url, load.answered) == load.answered
    # every worker flushes before it reads: both replicas, whichever worker answers, see every row
    assert {window_rows(r.url) for r in (one, two) for _ in range(4)} == {load.answered}
    for first, second in ((one, two), (two, one)):
        for _ in range(TOKENS // 2):
            token = predict_token(first.url, load)
            body: dict[str, Any] = {"feedback_token": token, "purchased": True}
            assert requests.post(f"{first.url}/feedback", json=body, timeout=15).status_code == 200
            replay = requests.post(f"{second.url}/feedback", json=body, timeout=15)
            assert replay.status_code == 409, replay.text
            assert replay.json()["error"] == "feedback_rejected"
    for replica in (one, two):
        text = replica.log.read_text(errors="replace")
        assert "Traceback" not in text and "memory only" not in text
        # a worker that gave up on the frozen server before it resumed says so once, and that it is back
        assert text.count("is unavailable") == text.count("is back") <= WORKERS
