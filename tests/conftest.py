"""Fixtures shared by every suite: a tiny contract-conforming model written once per session, its settings
and its predictor; a copy of it that a test may replace, and real gunicorn serving that copy (the fault
and chaos suites)."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from bench.harness.gunicorn import Gunicorn, gunicorn
from monitoring.profile import ReferenceProfile, parse_profile
from runtime import contract as c
from runtime.predictor import Predictor
from service.process.settings import Settings
from tests.onnx_factory import write_model

logger = logging.getLogger(__name__)

ServerFactory = Callable[..., AbstractContextManager[Gunicorn]]
COMMITTED_MODEL = Path(__file__).resolve().parents[1] / "models" / "purchase_model.onnx"


@pytest.fixture(scope="session")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid model written once per test session."""
    return write_model(tmp_path_factory.mktemp("model") / "purchase_model.onnx")


@pytest.fixture(scope="session")
def settings(model_path: Path) -> Settings:
    """Settings pointing at the test model (the service and V2 suites)."""
    return Settings(model_path=model_path, max_body_bytes=1024 * 1024)


@pytest.fixture(scope="session")
def predictor(settings: Settings) -> Predictor:
    """A loaded, self-tested predictor."""
    return Predictor.from_path(settings.model_path, settings.threshold)


@pytest.fixture(scope="session")
def committed() -> Predictor:
    """The committed model, loaded and self-tested."""
    return Predictor.from_path(COMMITTED_MODEL)


@pytest.fixture(scope="session")
def profile(committed: Predictor) -> ReferenceProfile:
    """The committed model's reference profile."""
    return parse_profile(committed.metadata.extra.get(c.META_REFERENCE_PROFILE))


@pytest.fixture()
def live_model(model_path: Path, tmp_path: Path) -> Path:
    """A copy of the test model at the path the server serves from; tests replace it."""
    path = tmp_path / "live" / "purchase_model.onnx"
    path.parent.mkdir()
    shutil.copyfile(model_path, path)
    return path


@pytest.fixture()
def start_server(live_model: Path, tmp_path: Path) -> Iterator[ServerFactory]:
    """Start gunicorn on `live_model` with a state directory and a log file in tmp_path."""

    def factory(workers: int = 2, **extra: str) -> AbstractContextManager[Gunicorn]:
        """The server as a context manager."""
        return gunicorn(live_model, tmp_path / "state", tmp_path / "server.log", workers, **extra)

    yield factory


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI (CI set), a skipped test fails the run: every real component must be installed and tested."""
    if not os.environ.get("CI") or exitstatus != pytest.ExitCode.OK:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped:
        for report in skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            logger.error("skipped in CI: %s (%s)", report.nodeid, reason)
            if reporter is not None:
                reporter.write_line(f"SKIPPED IN CI (not allowed): {report.nodeid}: {reason}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="module")
def committed_predictor() -> Predictor:
    """The committed model (it carries an explanation background)."""
    return Predictor.from_path(COMMITTED_MODEL)


@pytest.fixture(scope="module")
def committed_client(committed_predictor: Predictor) -> FlaskClient:
    """The app on the committed model, monitoring off (no feedback tokens: answers are comparable bytes)."""
    from service.http.app import create_app

    settings = Settings(model_path=COMMITTED_MODEL, max_body_bytes=16 * 1024 * 1024, monitor=False)
    return create_app(settings, committed_predictor).test_client()
