"""A service that wants an API key: the page asks for one, keeps it for the tab only and retries with it.

The key check is the hardening issue's; until it lands, a small WSGI guard in front of the real app stands in
for it (JSON 401 without `Authorization: Bearer <key>`; the page and its assets stay open), served over
loopback HTTP by Werkzeug in a thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from werkzeug.serving import make_server

from runtime.predictor import Predictor
from service.app import create_app
from service.settings import Settings
from tests.page.browser import open_page, page_errors, wait_for
from tests.page.conftest import COMMITTED_MODEL

pytestmark = pytest.mark.integration

KEY = "page-test-key-13"
UNAUTHORIZED = b'{"error": "unauthorized", "message": "Send a valid API key.", "details": []}'


def guarded(app: Callable[..., Iterable[bytes]], key: str) -> Callable[..., Iterable[bytes]]:
    """Answer JSON 401 to API requests without the right bearer key."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Let the page through; check the key on everything else."""
        path = environ.get("PATH_INFO", "")
        if path == "/" or path.startswith("/page/") or environ.get("HTTP_AUTHORIZATION") == f"Bearer {key}":
            return app(environ, start_response)
        start_response("401 UNAUTHORIZED", [
            ("Content-Type", "application/json"), ("Content-Length", str(len(UNAUTHORIZED))),
            ("WWW-Authenticate", "Bearer"),
        ])  # fmt: skip
        return [UNAUTHORIZED]

    return wsgi


@contextmanager
def keyed_server(key: str) -> Iterator[str]:
    """The real app behind a key check, on a free loopback port; stopped in `finally`."""
    settings = Settings(model_path=COMMITTED_MODEL)
    app = create_app(settings, Predictor.from_path(COMMITTED_MODEL, settings.threshold))
    server = make_server("127.0.0.1", 0, guarded(app.wsgi_app, key), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def enter_key(driver: Any, key: str) -> None:
    """Type a key into the key field (which has the focus) and press Enter."""
    field = wait_for(lambda: driver.find_element(By.ID, "api-key").is_displayed(), what="the key field")
    assert field
    assert driver.switch_to.active_element.get_attribute("id") == "api-key"
    ActionChains(driver).send_keys(key, Keys.ENTER).perform()


def test_the_page_asks_for_a_key_keeps_it_for_the_tab_and_retries(driver: Any) -> None:
    with keyed_server(KEY) as url:
        driver.get(url + "/")
        enter_key(driver, "wrong-key")
        refused = driver.find_element(By.ID, "api-key-error")
        wait_for(lambda: refused.is_displayed() and "refused" in refused.text, what="the refusal")
        enter_key(driver, KEY)
        wait_for(lambda: driver.execute_script("return window.purchasePage.ready()"), what="the panels")
        assert not driver.find_element(By.ID, "key-panel").is_displayed()
        assert driver.find_element(By.ID, "model-version").text.startswith("forest-")
        stored = driver.execute_script("return [sessionStorage.length, localStorage.length, document.cookie]")
        assert stored == [1, 0, ""]  # the tab's session storage only
        open_page(driver, url + "/")  # a reload in the same tab reuses the key without asking
        assert not driver.find_element(By.ID, "key-panel").is_displayed()
        expected = (("/model", 401), ("/monitoring/drift", 401), ("/monitoring/drift", 404))
        assert page_errors(driver, expected) == []
        driver.execute_script("sessionStorage.clear()")
