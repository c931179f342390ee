"""Real gunicorn: 4 workers count exactly into one SQLite file; a real Prometheus scrapes the gauges."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests

from monitoring.profile import ReferenceProfile
from monitoring.store import Store
from monitoring.window import DECISION, GENDER_SERIES, ROWS, SCORE
from runtime.predictor import Predictor
from tests.monitoring.conftest import COMMITTED_MODEL, customers
from tests.monitoring.test_service import SENTINEL_AGE, SENTINEL_SALARY, SENTINEL_TEXTS
from tests.service.server import REPO, free_port, logged_server

ALERTS = REPO / "deploy" / "prometheus" / "alerts.yml"


def wait_for_rows(url: str, rows: int, timeout: float = 20) -> dict:
    """Poll /monitoring/drift until every worker has flushed `rows` rows (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        doc = requests.get(f"{url}/monitoring/drift", timeout=5).json()
        if sum(w["rows"] for w in doc["windows"]) >= rows or time.monotonic() > deadline:
            return doc
        time.sleep(0.2)


def test_four_workers_count_exactly_what_was_sent(
    committed: Predictor, profile: ReferenceProfile, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    db, log = state / "monitoring.sqlite3", tmp_path / "server.log"
    data = customers(np.random.default_rng(21), 300)
    with logged_server(COMMITTED_MODEL, log, PREDICT_WORKERS="4", PREDICT_MONITOR_DB=str(db)) as server:
        for i in range(200):  # a new connection each time: spread over the workers
            body = {"age": float(data.age[i]), "salary": float(data.salary[i]), "gender": data.gender[i]}
            assert requests.post(f"{server.url}/predict", json=body, timeout=10).status_code == 200
        for start in range(200, 300, 10):
            batch = [
                {"age": float(data.age[i]), "salary": float(data.salary[i]), "gender": data.gender[i]}
                for i in range(start, start + 10)
            ]
            assert requests.post(f"{server.url}/predict/batch", json={"customers": batch}, timeout=10).ok
        sentinel: dict[str, Any] = {"age": SENTINEL_AGE, "salary": SENTINEL_SALARY, "gender": "Male"}
        requests.post(f"{server.url}/predict", json=sentinel, timeout=10)
        wait_for_rows(server.url, 301)
        metrics = requests.get(f"{server.url}/metrics", timeout=10).content
    logs = log.read_bytes()
    (window,) = Store(str(db)).windows(5)
    p = committed.probabilities(data.age, data.salary, data.gender)
    assert window.total(ROWS) == 301
    for name in ("age", "salary"):
        size = len(profile.numeric[name].counts)
        values = np.r_[getattr(data, name), SENTINEL_AGE if name == "age" else SENTINEL_SALARY]
        expected = np.bincount(profile.numeric[name].indices(values), minlength=size)
        assert window.vector(name, size).tolist() == expected.tolist()
    expected_gender = [int((data.gender == "Female").sum()), int((data.gender == "Male").sum()) + 1]
    assert window.vector(GENDER_SERIES, 2).tolist() == expected_gender
    sentinel_p = committed.probabilities(
        np.array([SENTINEL_AGE]), np.array([SENTINEL_SALARY]), np.array(["Male"], dtype=object)
    )
    all_p = np.r_[p, sentinel_p]
    size = len(profile.score.counts)
    assert (
        window.vector(SCORE, size).tolist()
        == np.bincount(profile.score.indices(all_p), minlength=size).tolist()
    )
    assert window.vector(DECISION, 2)[1] == int((all_p >= committed.threshold).sum())
    stored = b"".join(f.read_bytes() for f in state.iterdir() if f.is_file())
    for blob in (stored, metrics, logs):
        for text in SENTINEL_TEXTS:
            assert text not in blob


def test_counts_survive_a_graceful_stop_right_after_the_requests(tmp_path: Path) -> None:
    db = tmp_path / "state" / "monitoring.sqlite3"
    data = customers(np.random.default_rng(8), 50)
    with logged_server(
        COMMITTED_MODEL, tmp_path / "server.log", PREDICT_WORKERS="2", PREDICT_MONITOR_DB=str(db)
    ) as server:
        for i in range(50):
            body = {"age": float(data.age[i]), "salary": float(data.salary[i]), "gender": data.gender[i]}
            assert requests.post(f"{server.url}/predict", json=body, timeout=10).ok
    # SIGTERM at once: each worker's queue is written at exit
    (window,) = Store(str(db)).windows(5)
    assert window.total(ROWS) == 50


@contextmanager
def prometheus(target: str, rules: Path) -> Iterator[str]:
    """A real Prometheus scraping `target` every second with the alert rules; yields its URL."""
    binary = shutil.which("prometheus")
    assert binary is not None, "install the Debian package prometheus"
    root = Path(tempfile.mkdtemp(prefix="prom-monitor-"))
    port = free_port()
    (root / "prometheus.yml").write_text(
        f"global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {rules}\n"
        f"scrape_configs:\n  - job_name: predictor\n    static_configs:\n      - targets: ['{target}']\n"
    )
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={root / 'prometheus.yml'}",
            f"--storage.tsdb.path={root / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


def query(url: str, promql: str) -> list[dict]:
    """The instant-query result vector (empty when Prometheus is not up yet)."""
    try:
        answer = requests.get(f"{url}/api/v1/query", params={"query": promql}, timeout=5).json()
    except (requests.ConnectionError, requests.Timeout, ValueError):
        return []
    return list(answer.get("data", {}).get("result", []))


def test_prometheus_scrapes_the_drift_gauges_from_gunicorn(tmp_path: Path) -> None:
    if shutil.which("prometheus") is None and not os.environ.get("CI"):
        pytest.skip("Prometheus is not installed (Debian package prometheus)")
    data = customers(np.random.default_rng(2), 60)
    env = {
        "PREDICT_WORKERS": "2",
        "PREDICT_MONITOR_DB": str(tmp_path / "m.sqlite3"),
        "PREDICT_MONITOR_WINDOW": "2",
    }
    with logged_server(COMMITTED_MODEL, tmp_path / "server.log", **env) as server:
        batch = [
            {"age": float(a), "salary": float(s), "gender": g}
            for a, s, g in zip(data.age, data.salary, data.gender, strict=True)
        ]
        assert requests.post(f"{server.url}/predict/batch", json={"customers": batch}, timeout=10).ok
        with prometheus(server.url.removeprefix("http://"), ALERTS) as prom:
            deadline, found = time.monotonic() + 90, []
            while time.monotonic() < deadline:
                found = query(prom, 'predict_drift_window_rows{window="last_closed"} > 0')
                if found:
                    break
                time.sleep(1)
            assert found and float(found[0]["value"][1]) == 60.0
            assert query(prom, "predict_drift_level")
            rules = requests.get(f"{prom}/api/v1/rules", timeout=5).json()["data"]["groups"]
            assert {r["name"] for g in rules for r in g["rules"]} >= {
                "PurchaseModelDriftWarning",
                "PurchaseModelDriftPage",
                "MonitoringStoreDown",
            }
