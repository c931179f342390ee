"""Fixtures: one real gunicorn serving the committed model, and one headless Chromium, per session.

Without Chromium the browser tests skip locally (naming the Debian packages); with `CI` set they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from runtime.predictor import Predictor
from service.http.app import create_app
from service.process.settings import Settings
from tests.page.browser import MISSING, browser_available, chromium
from tests.page.traffic import FEEDBACK_KEY, record_history, send_traffic
from tests.service.server import Server, running_server

REPO = Path(__file__).resolve().parents[2]
COMMITTED_MODEL = REPO / "models" / "purchase_model.onnx"


def require_browser() -> None:
    """Skip without a browser, unless in CI, where a missing browser is a failure."""
    if browser_available():
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but the browser tests cannot run: {MISSING}")
    pytest.skip(MISSING)


@pytest.fixture()
def client(tmp_path: Path) -> Iterator[FlaskClient]:
    """A test client of the app serving the committed model (no browser or server), monitoring in tmp_path."""
    settings = Settings(model_path=COMMITTED_MODEL, monitor_db=str(tmp_path / "monitoring.sqlite3"))
    app = create_app(settings, Predictor.from_path(COMMITTED_MODEL, settings.threshold))
    with app.test_client() as test_client:
        yield test_client


@contextmanager
def monitored_server(folder: Path, **extra: str) -> Iterator[Server]:
    """gunicorn with drift monitoring in `folder`: four earlier days recorded, today's traffic sent."""
    db = folder / "monitoring.sqlite3"
    record_history(COMMITTED_MODEL, db)
    with running_server(
        COMMITTED_MODEL, PREDICT_MONITOR_DB=str(db), PREDICT_MONITOR_KEY=FEEDBACK_KEY, **extra
    ) as running:
        yield running


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """gunicorn serving the committed model on a free loopback port, with monitoring data to show."""
    with monitored_server(tmp_path_factory.mktemp("monitoring")) as running:
        send_traffic(running.url)
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium shared by the browser tests."""
    require_browser()
    with chromium() as driver:
        yield driver


@pytest.fixture()
def driver(browser: Any) -> Any:
    """The shared browser with its log drained and a desktop viewport."""
    browser.get_log("browser")
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return browser
