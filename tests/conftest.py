"""Fixtures shared by every suite: a tiny contract-conforming model written once per session."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from tests.onnx_factory import write_model

logger = logging.getLogger(__name__)


@pytest.fixture(scope="session")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid model written once per test session."""
    return write_model(tmp_path_factory.mktemp("model") / "purchase_model.onnx")


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
