"""The page in headless Chromium against real gunicorn: keyboard use, answers, errors, map, axe, layout."""

from __future__ import annotations

import random
from typing import Any

import pytest
import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.page.browser import open_page, page_errors, set_viewport, wait_for
from tests.service.server import Server

pytestmark = pytest.mark.integration

# Viridis in ten steps, written out independently of the page's copy.
VIRIDIS = [
    "#440154",
    "#482878",
    "#3e4989",
    "#31688e",
    "#26828e",
    "#1f9e89",
    "#35b779",
    "#6ece58",
    "#b5de2b",
    "#fde725",
]


def tab_to(driver: Any, element_id: str, limit: int = 30) -> None:
    """Press Tab until the element has the focus."""
    for _ in range(limit):
        if driver.switch_to.active_element.get_attribute("id") == element_id:
            return
        ActionChains(driver).send_keys(Keys.TAB).perform()
    raise AssertionError(f"Tab never reached #{element_id}")


def type_into(driver: Any, element_id: str, text: str) -> None:
    """Tab to a text field, clear it and type, all with the keyboard."""
    tab_to(driver, element_id)
    ActionChains(driver).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).send_keys(
        Keys.BACKSPACE
    ).perform()
    if text:
        ActionChains(driver).send_keys(text).perform()


def fill_and_submit(driver: Any, age: str, salary: str, gender: str) -> None:
    """Fill the customer form from the top of the page with the keyboard only, then press Predict."""
    driver.find_element(By.TAG_NAME, "body").click()  # start from the document, not a field
    type_into(driver, "age", age)
    type_into(driver, "salary", salary)
    tab_to(driver, "gender")
    ActionChains(driver).send_keys(Keys.END if gender == "Male" else Keys.HOME).perform()
    assert driver.find_element(By.ID, "gender").get_attribute("value") == gender
    tab_to(driver, "predict-button")
    ActionChains(driver).send_keys(Keys.ENTER).perform()


def answer_of(driver: Any) -> dict[str, str]:
    """What the page shows as the answer, once it is there."""
    box = driver.find_element(By.ID, "answer")
    wait_for(lambda: box.get_attribute("data-prediction"), what="the answer")
    return {
        "probability": box.get_attribute("data-probability"),
        "prediction": box.get_attribute("data-prediction"),
        "verdict": driver.find_element(By.ID, "verdict").text,
    }


def test_a_customer_typed_with_the_keyboard_gets_the_apis_answer(driver: Any, server: Server) -> None:
    open_page(driver, server.url + "/")
    fill_and_submit(driver, "47", "12,000", "Male")
    shown = answer_of(driver)
    body: dict[str, Any] = {"age": 47, "salary": 12000, "gender": "Male"}
    expected = requests.post(f"{server.url}/predict", json=body, timeout=10).json()
    assert float(shown["probability"]) == expected["probability"]
    assert shown["prediction"] == expected["prediction"]
    assert shown["verdict"].startswith(expected["prediction"])
    warnings = driver.find_elements(By.CSS_SELECTOR, "#answer .warnings li")
    assert [w.text for w in warnings] == expected["warnings"]  # salary 12,000 is below the training range
    marker = wait_for(lambda: driver.find_elements(By.ID, "map-customer"), what="the mark on the map")
    assert marker[0].is_displayed()
    assert page_errors(driver) == []


# What a business user reads: the rule from the model's published inputs (GET /model), never "JSON number".
PLAIN = {
    "empty-age": "Enter the age: a number greater than 0 and at most 120.",
    "salary-lots": "Yearly salary must be a number from 0 to 1,000,000.",
    "age-200": "Age must be a number greater than 0 and at most 120.",
    "age-0": "Age must be a number greater than 0 and at most 120.",
}


@pytest.mark.parametrize(
    ("field", "typed", "sent"),
    [("age", "", None), ("salary", "lots", "lots"), ("age", "200", 200), ("age", "0", 0)],
    ids=["empty-age", "salary-lots", "age-200", "age-0"],
)
def test_bad_input_shows_a_plain_message_next_to_the_field(
    driver: Any, server: Server, field: str, typed: str, sent: Any, request: pytest.FixtureRequest
) -> None:
    inputs = requests.get(f"{server.url}/model", timeout=10).json()["inputs"]
    assert (inputs["age"]["min"], inputs["age"]["max"], inputs["age"]["min_exclusive"]) == (0, 120, True)
    assert (inputs["salary"]["min"], inputs["salary"]["max"]) == (0, 1_000_000)  # the rules PLAIN spells out
    open_page(driver, server.url + "/")
    values = {"age": "42", "salary": "85000", field: typed}
    fill_and_submit(driver, values["age"], values["salary"], "Female")
    box = driver.find_element(By.ID, f"{field}-error")
    wait_for(box.is_displayed, what=f"the message next to {field}")
    body: dict[str, Any] = {"age": 42, "salary": 85000, "gender": "Female"}
    if sent is None:
        del body[field]
    else:
        body[field] = sent
    api = requests.post(f"{server.url}/predict", json=body, timeout=10)
    assert api.status_code == 422 and [d["field"] for d in api.json()["details"]] == [field]
    assert box.text == PLAIN[request.node.callspec.id]
    assert "JSON" not in driver.find_element(By.ID, "try").text
    assert driver.find_element(By.ID, field).get_attribute("aria-invalid") == "true"
    assert driver.switch_to.active_element.get_attribute("id") == field  # the focus goes to the field to fix
    assert page_errors(driver, (("/predict?explain=true", 422),)) == []  # the page asks with its reasons


def test_a_refused_entry_removes_the_previous_customers_answer(driver: Any, server: Server) -> None:
    open_page(driver, server.url + "/")
    fill_and_submit(driver, "47", "90,000", "Female")
    assert answer_of(driver)["verdict"]
    wait_for(lambda: driver.find_elements(By.ID, "map-customer"), what="the mark on the map")
    fill_and_submit(driver, "200", "90,000", "Female")
    wait_for(driver.find_element(By.ID, "age-error").is_displayed, what="the message next to age")
    box = driver.find_element(By.ID, "answer")
    assert driver.find_elements(By.ID, "verdict") == []
    assert box.get_attribute("data-prediction") is None and box.get_attribute("data-probability") is None
    assert "likely to buy" not in box.text and box.text.startswith("No answer")
    assert driver.find_elements(By.ID, "map-customer") == []  # the mark of the earlier customer is gone too
    assert "customer tried above" not in driver.find_element(By.ID, "map-summary").text
    fill_and_submit(driver, "47", "90,000", "Female")  # a valid entry answers again
    assert answer_of(driver)["verdict"]
    assert driver.find_element(By.ID, "age-error").is_displayed() is False
    assert page_errors(driver, (("/predict?explain=true", 422),)) == []  # the page asks with its reasons


def test_map_colours_agree_with_the_batch_endpoint_and_the_contour_separates_yes_from_no(
    driver: Any, server: Server
) -> None:
    open_page(driver, server.url + "/")
    grid = driver.execute_script("return window.purchasePage.map()")
    cells = grid["cells"]
    assert len(cells) == grid["rows"] * grid["cols"]
    assert {c["prediction"] for c in cells} == {"Yes", "No"}  # the map shows both answers
    sample = random.Random(13).sample(cells, 40)
    customers = [{"age": c["age"], "salary": c["salary"], "gender": grid["gender"]} for c in sample]
    answers = requests.post(f"{server.url}/predict/batch", json={"customers": customers}, timeout=10).json()
    rects = driver.find_elements(By.CSS_SELECTOR, "#map-cells rect")
    assert len(rects) == len(cells)
    for cell, answer in zip(sample, answers["predictions"], strict=True):
        rect = rects[cell["row"] * grid["cols"] + cell["col"]]
        assert float(rect.get_attribute("data-age")) == cell["age"]
        assert float(rect.get_attribute("data-salary")) == cell["salary"]
        assert rect.get_attribute("data-prediction") == answer["prediction"]
        assert rect.get_attribute("fill") == VIRIDIS[min(9, int(answer["probability"] * 10))]
    decision = {(c["row"], c["col"]): c["prediction"] for c in cells}
    borders = set()
    for (row, col), answer in decision.items():
        for neighbour in ((row, col + 1), (row + 1, col)):
            if neighbour in decision and decision[neighbour] != answer:
                borders.add(((row, col), neighbour))
    drawn = {(tuple(a), tuple(b)) for a, b in grid["contour"]}
    assert drawn == borders  # every Yes/No border is drawn, and nothing else
    assert driver.find_element(By.ID, "map-contour").get_attribute("d").count("M") == len(borders)
    assert driver.find_element(By.ID, "map-range").is_displayed()  # the training range is outlined
    legend = driver.find_elements(By.CSS_SELECTOR, "#legend li")
    assert [li.get_attribute("data-colour") for li in legend] == VIRIDIS


def test_the_map_has_a_text_alternative(driver: Any, server: Server) -> None:
    open_page(driver, server.url + "/")
    summary = driver.find_element(By.ID, "map-summary").text
    assert "the model says Yes in" in summary
    assert driver.find_element(By.ID, "map-svg-desc").get_attribute("textContent") == summary
    grid = driver.execute_script("return window.purchasePage.map()")
    rows = driver.find_elements(By.CSS_SELECTOR, "#map-table tbody tr")
    assert len(rows) == grid["rows"]


def serious_violations(driver: Any) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now (every <details> opened)."""
    from axe_selenium_python import Axe

    driver.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    axe = Axe(driver)
    axe.inject()
    bad = [v for v in axe.run()["violations"] if v["impact"] in ("serious", "critical")]
    return [axe.report(bad)] if bad else []


@pytest.mark.parametrize("width", [375, 1440])
def test_axe_finds_no_serious_or_critical_violation(driver: Any, server: Server, width: int) -> None:
    set_viewport(driver, width, 900)
    open_page(driver, server.url + "/")
    assert serious_violations(driver) == []  # as loaded
    assert driver.find_elements(By.CSS_SELECTOR, "#monitoring-features tbody tr[data-feature]")  # real data
    fill_and_submit(driver, "30", "400000", "Female")  # an answer with warnings
    answer_of(driver)
    assert serious_violations(driver) == []
    fill_and_submit(driver, "", "lots", "Female")  # messages next to two fields
    wait_for(driver.find_element(By.ID, "salary-error").is_displayed, what="the field messages")
    assert serious_violations(driver) == []


def test_keyboard_focus_is_visible(driver: Any, server: Server) -> None:
    open_page(driver, server.url + "/")
    driver.find_element(By.TAG_NAME, "body").click()
    for element_id in ("age", "gender", "predict-button"):
        tab_to(driver, element_id)
        style = driver.execute_script(
            "const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]"
        )
        assert style[0] != "none" and style[1] != "0px", element_id


def test_choosing_another_gender_redraws_the_map_for_it(driver: Any, server: Server) -> None:
    open_page(driver, server.url + "/")
    assert driver.execute_script("return window.purchasePage.map().gender") == "Female"
    tab_to(driver, "gender")
    ActionChains(driver).send_keys(Keys.END).perform()
    male_map = "return window.purchasePage.map().gender === 'Male'"
    wait_for(lambda: driver.execute_script(male_map), what="the map for Male customers")
    assert "Male customers" in driver.find_element(By.ID, "map-summary").text


def test_no_request_leaves_the_services_origin(driver: Any, server: Server) -> None:
    open_page(driver, server.url + "/")
    fill_and_submit(driver, "52", "40000", "Male")
    answer_of(driver)
    male_map = "return window.purchasePage.map().gender === 'Male'"
    wait_for(lambda: driver.execute_script(male_map), what="the map for Male customers")
    names = driver.execute_script(
        "return performance.getEntries().filter(e => e.name.includes('://')).map(e => e.name)"
    )
    assert any(name.endswith("/predict/batch") for name in names)
    assert [n for n in names if not n.startswith(server.url + "/")] == []


@pytest.mark.parametrize("width", [375, 1440])
def test_the_layout_has_no_horizontal_overflow(driver: Any, server: Server, width: int) -> None:
    set_viewport(driver, width, 900)
    open_page(driver, server.url + "/")
    fill_and_submit(driver, "35", "70000", "Female")
    answer_of(driver)
    driver.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    scroll, client, viewport = driver.execute_script(
        "const e = document.documentElement; return [e.scrollWidth, e.clientWidth, window.innerWidth]"
    )
    assert viewport == width
    assert scroll <= client
    svg_width = driver.execute_script(
        "return document.querySelector('#map-svg').getBoundingClientRect().width"
    )
    assert 0 < svg_width <= width
    assert driver.find_elements(By.CSS_SELECTOR, "#monitoring-windows tbody tr")  # monitoring is drawn
    assert wider_than_the_viewport(driver) == []


def wider_than_the_viewport(driver: Any) -> list[str]:
    """Visible elements reaching past the viewport's right edge, and boxes that scroll sideways inside."""
    found: list[str] = driver.execute_script("""
        const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
          (e.getAttribute('aria-label') ? '[' + e.getAttribute('aria-label') + ']' : '');
        const out = [];
        for (const e of document.querySelectorAll('main *, header *, footer *')) {
          const box = e.getBoundingClientRect();
          if (box.width === 0 || box.height === 0) continue;
          if (box.right > window.innerWidth + 0.5) out.push(name(e) + ' ends at ' + Math.round(box.right));
          const x = getComputedStyle(e).overflowX;
          if ((x === 'auto' || x === 'scroll') && e.scrollWidth > e.clientWidth) {
            out.push(name(e) + ' scrolls ' + e.scrollWidth + ' > ' + e.clientWidth);
          }
        }
        return out;
    """)
    return found
