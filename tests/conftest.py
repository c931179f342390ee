"""Fixtures shared by every suite: a tiny contract-conforming model written once per session, its settings
and its predictor."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from runtime.predictor import Predictor
from service.settings import Settings
from tests.onnx_factory import write_model

logger = logging.getLogger(__name__)


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
