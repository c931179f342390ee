"""The reasons under the page's answer, in headless Chromium against real gunicorn: words, bars, bits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from selenium.webdriver.common.by import By

from tests.page.browser import open_page, page_errors, wait_for
from tests.page.test_page_browser import answer_of, fill_and_submit, serious_violations
from tests.service.server import Server, running_server

pytestmark = pytest.mark.integration

NAMES = {"age": "Age", "salary": "Salary", "gender": "Gender"}


def said(name: str, value: float) -> str:
    """The sentence the page must show for one contribution, written out independently of the page."""
    points = f"{abs(value) * 100:.1f}"
    if value == 0:
        return f"{NAMES[name]} does not move the chance"
    if points == "0.0":
        return f"{NAMES[name]} moves the chance by less than 0.1 points"
    direction = "pushes the chance up by" if value > 0 else "pulls the chance down by"
    return f"{NAMES[name]} {direction} {points} points"


@pytest.mark.parametrize(("age", "salary", "gender"), [("42", "61,000", "Female"), ("58", "140000", "Male")])
def test_each_input_gets_a_sentence_and_a_bar_with_the_apis_numbers(
    driver: Any, server: Server, age: str, salary: str, gender: str
) -> None:
    open_page(driver, server.url + "/")
    wait_for(lambda: driver.execute_script("return window.purchasePage.ready()"), what="the page")
    fill_and_submit(driver, age, salary, gender)
    answer_of(driver)
    body: dict[str, Any] = {"age": float(age), "salary": float(salary.replace(",", "")), "gender": gender}
    expected = requests.post(f"{server.url}/predict?explain=true", json=body, timeout=10).json()[
        "explanation"
    ]
    items = wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#answer-reasons li"), what="the reasons")
    assert [item.get_attribute("data-input") for item in items] == ["age", "salary", "gender"]
    for item in items:
        name = item.get_attribute("data-input")
        value = expected["contributions"][name]
        assert float(item.get_attribute("data-contribution")) == value  # the API's bits, through the page
        assert item.find_element(By.CLASS_NAME, "reason-text").text == said(name, value)
        bar = item.find_element(By.CSS_SELECTOR, "svg.reason-bar")
        assert bar.get_attribute("aria-hidden") == "true" and bar.is_displayed()
        fill = bar.find_element(By.CSS_SELECTOR, ".reason-up, .reason-down")
        assert fill.get_attribute("class") == ("reason-up" if value >= 0 else "reason-down")
    base = driver.find_element(By.ID, "answer-base").text
    assert base.startswith(f"Base rate {expected['base'] * 100:.1f} %")
    assert page_errors(driver) == []


def test_the_reasons_pass_axe(driver: Any, server: Server) -> None:
    open_page(driver, server.url + "/")
    fill_and_submit(driver, "35", "90000", "Male")
    answer_of(driver)
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#answer-reasons li"), what="the reasons")
    assert serious_violations(driver) == []


def test_a_refused_entry_removes_the_previous_reasons(driver: Any, server: Server) -> None:
    open_page(driver, server.url + "/")
    fill_and_submit(driver, "35", "90000", "Male")
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#answer-reasons li"), what="the reasons")
    fill_and_submit(driver, "", "90000", "Male")
    wait_for(lambda: driver.find_elements(By.ID, "no-answer"), what="no answer")
    assert driver.find_elements(By.ID, "answer-why") == []


def test_a_model_without_a_background_gets_its_answer_without_reasons_or_errors(
    driver: Any, model_path: Path, tmp_path: Path
) -> None:
    """The test model carries no background: the page asks plainly (after /model) and shows no reasons."""
    with running_server(model_path, PREDICT_MONITOR_DB=str(tmp_path / "monitoring.sqlite3")) as old:
        assert requests.get(f"{old.url}/model", timeout=10).json()["explanation_background"] is None
        open_page(driver, old.url + "/")
        wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#model dl"), what="the model panel")
        fill_and_submit(driver, "45", "90000", "Female")
        assert answer_of(driver)["verdict"]
        assert driver.find_elements(By.ID, "answer-why") == []
        assert page_errors(driver, (("/monitoring/drift", 503),)) == []  # no profile, so no monitoring here
