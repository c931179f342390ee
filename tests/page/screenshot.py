"""`make screenshot`: serve the committed model with gunicorn and a temporary monitoring store holding four
earlier days and today's traffic (with some labels), try a customer, save the page as a PNG."""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

from selenium.webdriver.common.by import By

from tests.page.browser import MISSING, browser_available, chromium, open_page, set_viewport, wait_for
from tests.page.traffic import FEEDBACK_KEY, record_history, send_traffic
from tests.service.server import running_server

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "models" / "purchase_model.onnx"
WIDTH = 1440


def take(out: Path, model: Path = MODEL, width: int = WIDTH) -> Path:
    """Start a real server, show one customer's answer on the page and write a full-page screenshot."""
    with tempfile.TemporaryDirectory(prefix="page-screenshot-") as folder:
        db = Path(folder) / "monitoring.sqlite3"
        record_history(model, db)
        with running_server(model, PREDICT_MONITOR_DB=str(db), PREDICT_MONITOR_KEY=FEEDBACK_KEY) as server:
            send_traffic(server.url)
            return _shoot(server.url, out, width)


def _shoot(url: str, out: Path, width: int) -> Path:
    """Open the page in headless Chromium, try one customer and write a full-page screenshot."""
    with chromium(width=width) as driver:
        set_viewport(driver, width, 900)
        open_page(driver, url + "/")
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
