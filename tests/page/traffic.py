"""Traffic for the monitoring panel: customers from data/customers.csv scored by a real server, labels sent
back through /feedback, and (before the server starts) earlier days recorded by the real Monitor with its
clock set back, so the panel has a trend across daily windows.
"""

from __future__ import annotations

import csv
import random
import time
from pathlib import Path
from typing import Any

import requests

from monitoring.setup import build_monitor
from runtime.predictor import Predictor
from service.process.settings import Settings

REPO = Path(__file__).resolve().parents[2]
CUSTOMERS = REPO / "data" / "customers.csv"
DAY = 86_400
FEEDBACK_KEY = "page-test-feedback-key-13"  # PREDICT_MONITOR_KEY shared by the history and the server


def customers(count: int, seed: int, older: bool = False) -> list[tuple[dict[str, Any], bool]]:
    """`count` customers (with whether they bought) drawn from the data; `older` leans to ages over 40."""
    rows: list[tuple[dict[str, Any], bool]] = []
    with CUSTOMERS.open(newline="") as handle:
        for r in csv.DictReader(handle):
            customer = {"age": int(r["Age"]), "salary": int(r["EstimatedSalary"]), "gender": r["Gender"]}
            rows.append((customer, r["Purchased"] == "1"))
    if older:
        rows = [r for r in rows if r[0]["age"] >= 40]
    rng = random.Random(seed)
    return [rng.choice(rows) for _ in range(count)]


def record_history(model: Path, db: Path, days: int = 4, rows: int = 80, labelled: int = 30) -> None:
    """Record `days` earlier daily windows in the store, through the Monitor with its clock set back."""
    settings = Settings(model_path=model)
    predictor = Predictor.from_path(model, settings.threshold)
    monitor = build_monitor(predictor, str(db), FEEDBACK_KEY, DAY, 30 * DAY, lambda: None)
    assert monitor is not None, "the committed model carries no reference profile"
    now = time.time()
    try:
        for back in range(days, 0, -1):
            moment = now - back * DAY
            monitor.clock = lambda moment=moment: moment  # type: ignore[misc]
            sample = customers(rows, seed=back, older=back == 1)
            ages = [float(c["age"]) for c, _ in sample]
            salaries = [float(c["salary"]) for c, _ in sample]
            genders = [c["gender"] for c, _ in sample]
            probabilities, _, _ = predictor.predict_columns(ages, salaries, genders)
            tokens = monitor.observe_many((ages, salaries, genders), probabilities)
            monitor.flush()
            monitor.feedback([(t, bought) for t, (_, bought) in zip(tokens[:labelled], sample, strict=False)])
    finally:
        monitor.store.close()


def wait_counted(url: str, rows: int, admin_key: str | None = None, timeout: float = 15) -> None:
    """Wait until the latest window holds `rows` rows: workers flush their queues in the background."""
    headers = {"Authorization": f"Bearer {admin_key}"} if admin_key else {}
    deadline = time.monotonic() + timeout
    while True:
        windows = requests.get(f"{url}/monitoring/drift", headers=headers, timeout=10).json()["windows"]
        if windows and windows[-1]["rows"] >= rows:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the monitoring store did not show {rows} rows within {timeout} s")
        time.sleep(0.1)


def settle(url: str, pause: float = 0.5, timeout: float = 15) -> None:
    """Wait until the latest window's row count stays the same for `pause` seconds (every queue flushed)."""
    deadline, previous = time.monotonic() + timeout, None
    while True:
        windows = requests.get(f"{url}/monitoring/drift", timeout=10).json()["windows"]
        rows = windows[-1]["rows"] if windows else 0
        if rows == previous:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the monitoring store kept changing for {timeout} s")
        previous = rows
        time.sleep(pause)


def send_traffic(
    url: str,
    rows: int = 120,
    labelled: int = 45,
    key: str | None = None,
    admin_key: str | None = None,
    seed: int = 13,
) -> None:
    """Score `rows` customers with /predict/batch, send the real outcome of the first `labelled`, and wait
    until every worker has flushed them to the store."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    sample = customers(rows, seed)
    answer = requests.post(
        f"{url}/predict/batch", json={"customers": [c for c, _ in sample]}, headers=headers, timeout=30
    )
    answer.raise_for_status()
    tokens = [p["feedback_token"] for p in answer.json()["predictions"]]
    feedback = [
        {"feedback_token": t, "purchased": bought} for t, (_, bought) in zip(tokens, sample, strict=True)
    ]
    body = {"feedback": feedback[:labelled]}
    sent = requests.post(f"{url}/feedback", json=body, headers=headers, timeout=30)
    sent.raise_for_status()
    wait_counted(url, rows, admin_key or key)
