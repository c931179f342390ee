"""deploy/prometheus/alerts.yml is valid and fires as its unit tests say (`promtool test rules`)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.service.server import REPO

RULES = REPO / "deploy" / "prometheus"


@pytest.fixture(scope="module")
def promtool() -> str:
    """The promtool binary (skipped only outside CI when Prometheus is not installed)."""
    found = shutil.which("promtool")
    if found is None and not os.environ.get("CI"):
        pytest.skip("promtool is not installed (Debian package prometheus)")
    assert found is not None, "install the Debian package prometheus"
    return found


@pytest.mark.parametrize(
    "command",
    [("check", "rules", "alerts.yml"), ("test", "rules", "alerts_test.yml")],
    ids=["rules-are-valid", "rules-fire-as-their-unit-tests-expect"],
)
def test_promtool_accepts_the_alert_rules(promtool: str, command: tuple[str, ...]) -> None:
    result = subprocess.run(
        [promtool, *command], cwd=RULES, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
