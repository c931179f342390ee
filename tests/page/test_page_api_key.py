"""Real gunicorn with PREDICT_API_KEYS and PREDICT_ADMIN_API_KEYS: the page asks for a key on 401, keeps it
for the tab only and retries; a prediction-only key leaves the monitoring panel asking for an admin key while
the rest of the page works.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.page.browser import open_page, page_errors, wait_for
from tests.page.conftest import monitored_server
from tests.page.test_page_browser import serious_violations
from tests.page.traffic import send_traffic
from tests.service.server import Server

pytestmark = pytest.mark.integration

KEY = "page-test-prediction-key-13"
ADMIN_KEY = "page-test-admin-key-13-abcdef"
REFUSED = (("/predict/batch", 401), ("/monitoring/drift", 401))


@pytest.fixture()
def keyed(tmp_path: Path) -> Iterator[Server]:
    """gunicorn that needs a prediction key for /predict* and an admin key for /monitoring*, with traffic."""
    with monitored_server(tmp_path, PREDICT_API_KEYS=KEY, PREDICT_ADMIN_API_KEYS=ADMIN_KEY) as server:
        send_traffic(server.url, key=KEY, admin_key=ADMIN_KEY)
        yield server


def enter_key(driver: Any, field_id: str, key: str) -> None:
    """Type a key into a key field (which has the focus) and press Enter."""
    wait_for(lambda: driver.find_element(By.ID, field_id).is_displayed(), what=f"the field #{field_id}")
    wait_for(
        lambda: driver.switch_to.active_element.get_attribute("id") == field_id, what=f"focus on #{field_id}"
    )
    ActionChains(driver).send_keys(key, Keys.ENTER).perform()


def refusal_shown(driver: Any) -> bool:
    """The admin key's field says the key was refused (looked up afresh: the panel redraws its form)."""
    try:
        found = driver.find_elements(By.ID, "admin-key-error")
        return bool(found) and found[0].is_displayed() and "refused" in found[0].text
    except StaleElementReferenceException:  # redrawn between the lookup and the read
        return False


def stored(driver: Any) -> list[Any]:
    """How many keys the tab's session storage, the local storage and the cookies hold."""
    script = "return [sessionStorage.length, localStorage.length, document.cookie]"
    return list(driver.execute_script(script))


def test_the_page_asks_for_a_key_keeps_it_for_the_tab_and_retries(driver: Any, keyed: Server) -> None:
    url = keyed.url
    prediction_only = {"Authorization": f"Bearer {KEY}"}
    assert requests.get(f"{url}/monitoring/drift", headers=prediction_only, timeout=10).status_code == 401
    try:
        driver.get(url + "/")
        wait_for(lambda: driver.find_element(By.ID, "api-key").is_displayed(), what="the key panel")
        assert serious_violations(driver) == []  # while the page asks for a key
        driver.find_element(By.ID, "api-key").click()
        enter_key(driver, "api-key", "wrong-key-that-is-long-enough")
        refused = driver.find_element(By.ID, "api-key-error")
        wait_for(lambda: refused.is_displayed() and "refused" in refused.text, what="the refusal")
        enter_key(driver, "api-key", KEY)
        wait_for(lambda: driver.execute_script("return window.purchasePage.ready()"), what="the panels")
        assert not driver.find_element(By.ID, "key-panel").is_displayed()
        assert driver.find_element(By.ID, "model-version").text.startswith("forest-")

        # A prediction key cannot read monitoring: the panel says so and asks, the rest keeps working.
        status = driver.find_element(By.ID, "monitoring-status").text
        assert "need an admin API key" in status and "not one" in status
        assert driver.find_element(By.ID, "admin-key").is_displayed()
        driver.find_element(By.ID, "predict-button").click()
        answer = driver.find_element(By.ID, "answer")
        wait_for(lambda: answer.get_attribute("data-prediction"), what="the answer with the prediction key")
        assert stored(driver) == [1, 0, ""]
        assert serious_violations(driver) == []  # with the admin key form in the panel

        driver.find_element(By.ID, "admin-key").click()
        enter_key(driver, "admin-key", "not-the-admin-key-either")
        wait_for(lambda: refusal_shown(driver), what="the admin key's refusal")
        enter_key(driver, "admin-key", ADMIN_KEY)  # the refused field has the focus again
        wait_for(lambda: driver.find_elements(By.ID, "monitoring-features"), what="the monitoring figures")
        assert stored(driver) == [2, 0, ""]  # the prediction key and the admin key, for this tab only

        open_page(driver, url + "/")  # a reload in the same tab reuses both keys without asking
        assert not driver.find_element(By.ID, "key-panel").is_displayed()
        assert driver.find_elements(By.ID, "monitoring-features")
        assert page_errors(driver, REFUSED) == []
        assert driver.execute_script("return document.body.innerText.includes(arguments[0])", KEY) is False
    finally:
        driver.execute_script("sessionStorage.clear()")


def test_an_admin_key_opens_every_panel_at_once(driver: Any, keyed: Server) -> None:
    try:
        driver.get(keyed.url + "/")
        enter_key(driver, "api-key", ADMIN_KEY)
        wait_for(lambda: driver.find_elements(By.ID, "monitoring-features"), what="the monitoring figures")
        assert driver.execute_script("return window.purchasePage.map() !== null")
        assert stored(driver) == [1, 0, ""]
        assert page_errors(driver, REFUSED) == []
    finally:
        driver.execute_script("sessionStorage.clear()")
