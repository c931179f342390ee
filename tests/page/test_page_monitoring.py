"""The "Is it still right?" panel against real gunicorn: it shows the numbers /monitoring/drift returns."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient
from selenium.webdriver.common.by import By

from tests.onnx_factory import write_model
from tests.page.browser import open_page, page_errors
from tests.page.conftest import COMMITTED_MODEL, monitored_server
from tests.page.traffic import customers, settle, wait_counted
from tests.service.server import REPO, Server, running_server

pytestmark = pytest.mark.integration

METRICS = ("precision", "recall", "brier", "roc_auc")
LEVELS = {"none": "✓ None", "warning": "⚠ Warning", "page": "⚠ Page"}


def fixed(x: float, digits: int) -> str:
    """JavaScript's `x.toFixed(digits)`: the exact binary value rounded, halves away from zero."""
    return str(Decimal(x).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP))


def p_text(p: float | None) -> str:
    """A p-value as the page writes it."""
    return "–" if p is None else "< 0.001" if p < 0.001 else fixed(p, 3)


def pct(x: float) -> str:
    """A share as the page writes it."""
    return f"{fixed(x * 100, 1)} %"


def dec(x: float | None) -> str:
    """A metric as the page writes it."""
    return "–" if x is None else fixed(x, 3)


def cells(row: Any) -> list[str]:
    """The texts of a table row's cells (header cell first)."""
    return [c.text for c in row.find_elements(By.CSS_SELECTOR, "th, td")]


def assert_panel_shows(driver: Any, doc: dict[str, Any]) -> None:
    """The latest window's figures and every window's trend row are on the page as the endpoint says."""
    windows, last = doc["windows"], doc["windows"][-1]
    window_line = driver.find_element(By.ID, "monitoring-window").text
    assert f"{last['rows']} rows, model {last['model_version']}" in window_line
    status = driver.find_element(By.ID, "monitoring-status").text
    alarmed = [n for n, f in last["features"].items() if f["alarm"]]
    if last["level"] == "none":
        assert status == "✓ No drift alarm in the latest window."
    else:
        assert status.startswith("⚠ Drift alarm") and all(n.capitalize() in status for n in alarmed)
    parts = {**last["features"], "score": last["score"]}
    for name, part in parts.items():
        row = cells(driver.find_element(By.CSS_SELECTOR, f"#monitoring-features tr[data-feature='{name}']"))
        assert row[5] == p_text(part["p_value"]), name
        assert row[6] == ("⚠ Alarm" if part["alarm"] else "✓ OK"), name
        assert row[4] == f"PSI {dec(part['psi'])} (noise {dec(part['psi_noise_floor'])})", name
    gender = parts["gender"]
    female = gender["reference_counts"][0] / sum(gender["reference_counts"])
    row = cells(driver.find_element(By.CSS_SELECTOR, "#monitoring-features tr[data-feature='gender']"))
    assert row[1:3] == [f"Female {pct(female)}", f"Female {pct(gender['counts'][0] / sum(gender['counts']))}"]
    row = cells(driver.find_element(By.CSS_SELECTOR, "#monitoring-features tr[data-feature='score']"))
    score = last["score"]
    assert row[1:3] == [f"Yes {pct(score['reference_yes_rate'])}", f"Yes {pct(score['yes_rate'])}"]
    real = last["quality"]["realized"]
    labels = driver.find_element(By.ID, "monitoring-labels").text
    assert f"{real['labels']} of {last['rows']} predictions ({pct(real['coverage'])})" in labels
    for metric in METRICS:
        row = cells(driver.find_element(By.CSS_SELECTOR, f"#monitoring-quality tr[data-metric='{metric}']"))
        if real["labels"]:
            low, high = real[f"{metric}_ci"]
            assert row[3] == f"{dec(real[metric])} ({dec(low)}–{dec(high)})", metric
        else:
            assert row[3] == "–", metric
        assert row[2] == dec(last["quality"]["estimated"][metric] if metric != "roc_auc" else None), metric
    trend = [cells(r) for r in driver.find_elements(By.CSS_SELECTOR, "#monitoring-windows tbody tr")]
    expected = [
        [
            str(w["rows"]),
            pct(w["score"]["yes_rate"]),
            LEVELS[w["level"]],
            f"{w['quality']['realized']['labels']} ({pct(w['quality']['realized']['coverage'])})",
            *(dec(w["quality"]["realized"].get(m)) for m in METRICS),
        ]
        for w in reversed(windows)
    ]
    assert [row[1:] for row in trend] == expected
    assert len(driver.find_elements(By.CSS_SELECTOR, "#monitoring-panel .trend circle")) == len(windows)


def test_the_panel_shows_what_the_drift_endpoint_returns(driver: Any, server: Server) -> None:
    settle(server.url)  # rows of earlier tests may still sit in a worker's queue until its flusher runs
    open_page(driver, server.url + "/")
    doc = requests.get(f"{server.url}/monitoring/drift", timeout=10).json()
    assert len(doc["windows"]) >= 5  # four recorded days and today's traffic
    levels = [w["level"] for w in doc["windows"][:4]]
    assert levels == ["none", "none", "none", "warning"]  # yesterday's customers were older
    assert_panel_shows(driver, doc)
    assert page_errors(driver) == []


def test_an_alarm_in_the_latest_window_is_shown_per_input(driver: Any, tmp_path: Path) -> None:
    with monitored_server(tmp_path) as server:
        older: list[Any] = [c for c, _ in customers(150, seed=7, older=True)]  # today's lean older too
        assert requests.post(f"{server.url}/predict/batch", json={"customers": older}, timeout=30).ok
        wait_counted(server.url, len(older))
        open_page(driver, server.url + "/")
        doc = requests.get(f"{server.url}/monitoring/drift", timeout=10).json()
        last = doc["windows"][-1]
        assert last["rows"] == len(older)  # the page's what-if map (1080 rows) is not counted as traffic
        assert last["features"]["age"]["alarm"] and last["level"] == "page"  # two windows in a row
        assert "two windows in a row" in driver.find_element(By.ID, "monitoring-status").text
        assert_panel_shows(driver, doc)
        row = driver.find_element(By.CSS_SELECTOR, "#monitoring-features tr[data-feature='age']")
        assert "alarm" in row.find_elements(By.TAG_NAME, "td")[-1].get_attribute("class")


def test_monitoring_turned_off_is_said_without_breaking_the_page(driver: Any) -> None:
    with running_server(COMMITTED_MODEL, PREDICT_MONITOR="0") as server:
        open_page(driver, server.url + "/")
        status = driver.find_element(By.ID, "monitoring-status").text
        assert status.startswith("Monitoring not available: Drift monitoring is off")
        assert driver.find_element(By.ID, "model-version").text.startswith("forest-")
        assert page_errors(driver, (("/monitoring/drift", 503),)) == []


def test_the_maps_what_if_rows_are_not_counted_as_traffic(client: FlaskClient) -> None:
    grid = {"customers": [{"age": a, "salary": 50_000, "gender": "Male"} for a in range(20, 60)]}
    what_if = client.post("/predict/batch", json=grid, headers={"X-What-If": "1"}).get_json()
    assert all("feedback_token" not in p for p in what_if["predictions"])
    assert client.get("/monitoring/drift").get_json()["windows"] == []
    counted = client.post("/predict/batch", json=grid).get_json()
    assert all("feedback_token" in p for p in counted["predictions"])
    assert [w["rows"] for w in client.get("/monitoring/drift").get_json()["windows"]] == [
        len(grid["customers"])
    ]


def test_a_shadow_model_is_summed_up_under_the_latest_window(driver: Any, tmp_path: Path) -> None:
    state = tmp_path / "state"
    with monitored_server(tmp_path, PREDICT_STATE_DIR=str(state), PREDICT_WORKERS="1") as server:
        shadow = write_model(
            tmp_path / "run" / "purchase_model.onnx", {"model_version": "logreg-pageshadow1"}
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREDICT_")}
        env |= {
            "PYTHONPATH": str(REPO),
            "PREDICT_STATE_DIR": str(state),
            "PREDICT_MODEL_PATH": str(COMMITTED_MODEL),
        }
        command = [sys.executable, "-m", "purchase_predictor", "deploy", "--shadow", str(shadow)]
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, done.stderr
        rows: list[Any] = [c for c, _ in customers(60, seed=11)]
        deadline = time.monotonic() + 60
        while True:  # until the new worker scores the shadow (it boots after the command returns)
            doc = requests.get(f"{server.url}/monitoring/drift", timeout=10).json()
            if doc["shadow"] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert requests.post(f"{server.url}/predict/batch", json={"customers": rows}, timeout=30).ok
        settle(server.url)
        open_page(driver, server.url + "/")
        part = requests.get(f"{server.url}/monitoring/drift", timeout=10).json()["windows"][-1]["shadow"]
        assert part["model_version"] == "logreg-pageshadow1" and part["rows"] == len(rows)
        text = driver.find_element(By.ID, "monitoring-shadow").text
        assert text == (
            "Shadow model logreg-pageshadow1 (scored beside the live model, never answering): "
            f"{len(rows)} rows, the same decision on {pct(part['agreement'])}, mean |Δp| "
            f"{dec(part['mean_abs_diff'])}, largest {dec(part['max_abs_diff'])}; Yes rate "
            f"{pct(part['yes_rate'])} (live {pct(part['live_yes_rate'])})."
        )
        assert page_errors(driver) == []
