"""The browser tests never skip in CI: a missing Chromium fails there and skips (naming packages) locally."""

from __future__ import annotations

import pytest

from tests.page import browser, conftest


def test_a_missing_browser_fails_when_ci_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "browser_available", lambda: False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="chromium-driver"):
        conftest.require_browser()


def test_a_missing_browser_skips_locally_naming_the_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "browser_available", lambda: False)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="'chromium' and 'chromium-driver'"):
        conftest.require_browser()


def test_the_tests_use_debians_binaries_and_never_download_one() -> None:
    assert str(browser.CHROMIUM) == "/usr/bin/chromium"
    assert str(browser.CHROMEDRIVER) == "/usr/bin/chromedriver"
