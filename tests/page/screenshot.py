"""`make screenshot`: serve the committed model with gunicorn, try a customer, save the page as a PNG."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from selenium.webdriver.common.by import By

from tests.page.browser import MISSING, browser_available, chromium, open_page, set_viewport, wait_for
from tests.service.server import running_server

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "models" / "purchase_model.onnx"
WIDTH = 1440


def take(out: Path, model: Path = MODEL, width: int = WIDTH) -> Path:
    """Start a real server, show one customer's answer on the page and write a full-page screenshot."""
    with running_server(model) as server, chromium(width=width) as driver:
        set_viewport(driver, width, 900)
        open_page(driver, server.url + "/")
        for name, value in (("age", "44"), ("salary", "72000")):
            field = driver.find_element(By.ID, name)
            field.clear()
            field.send_keys(value)
        driver.find_element(By.ID, "predict-button").click()
        wait_for(lambda: driver.find_elements(By.ID, "map-customer"), what="the customer's mark on the map")
        height = driver.execute_script("return document.documentElement.scrollHeight")
        set_viewport(driver, width, int(height))
        out.parent.mkdir(parents=True, exist_ok=True)
        if not driver.save_screenshot(str(out)):
            raise RuntimeError(f"Chromium could not write {out}")
    logger.info("wrote %s (%d x %d px)", out, width, height)
    return out


def main() -> None:
    """Command line: --out PATH (default docs/page.png), --width PX."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "page.png")
    parser.add_argument("--width", type=int, default=WIDTH)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not browser_available():
        raise SystemExit(f"make screenshot {MISSING}; run `make setup-browser`")
    take(args.out, width=args.width)


if __name__ == "__main__":
    main()
