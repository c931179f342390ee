"""Headless Debian Chromium driven by Selenium, pointed explicitly at /usr/bin (never downloaded)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
MISSING = "needs Debian packages 'chromium' and 'chromium-driver' (/usr/bin/chromium, /usr/bin/chromedriver)"


def browser_available() -> bool:
    """Both the browser and its driver are installed where the tests look for them."""
    return CHROMIUM.is_file() and CHROMEDRIVER.is_file()


@contextmanager
def chromium(width: int = 1440, height: int = 1000) -> Iterator[Any]:
    """A headless Chromium with browser logs on; quit in `finally`, its profile folder removed."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="page-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--metrics-recording-only",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=str(CHROMEDRIVER), env={**os.environ, "SE_AVOID_STATS": "true"})
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.set_page_load_timeout(30)
        driver.set_script_timeout(60)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def set_viewport(driver: Any, width: int, height: int) -> None:
    """Make the page's viewport exactly this size (phones get a mobile viewport)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def wait_for(condition: Callable[[], Any], timeout: float = 30, what: str = "the page") -> Any:
    """Poll until the condition is truthy; fail naming what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def open_page(driver: Any, url: str) -> None:
    """Load the page and wait until the map and the monitoring panel have been drawn."""
    driver.get(url)
    wait_for(
        lambda: driver.execute_script("return window.purchasePage && window.purchasePage.ready()"),
        what="the map and the monitoring panel",
    )


def page_errors(driver: Any, expected: tuple[tuple[str, int], ...] = ()) -> list[str]:
    """Severe browser log entries (script errors, failed loads) except the (path, status) answers expected."""
    errors = []
    for entry in driver.get_log("browser"):
        if entry["level"] != "SEVERE":
            continue
        message = entry["message"]
        known = entry.get("source") == "network" and any(
            f"{path} - Failed to load resource" in message and f"status of {status}" in message
            for path, status in expected
        )
        if not known:
            errors.append(message)
    return errors
