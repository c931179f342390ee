"""Profile the service's POST /predict in process (Flask test client + pyinstrument), next to the floor.

Usage: python -m bench.profile_service [--model PATH] [--requests N] [--batch ROWS] [--html OUT]
Mirrors gunicorn's set-up: PROMETHEUS_MULTIPROC_DIR set before prometheus_client loads, JSON logging on.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness.rounds import SEED_EXAMPLE
from bench.http_bench import batch_body

log = logging.getLogger(__name__)


def per_request_us(client: Any, count: int, path: str = "/predict", body: Any = None) -> float:
    """Mean CPU µs per POST (default: the seed example) through a Flask test client, after a warm-up."""
    body = SEED_EXAMPLE if body is None else body
    for _ in range(min(50, count)):
        client.post(path, json=body)
    start = time.process_time()
    for _ in range(count):
        response = client.post(path, json=body)
    elapsed = time.process_time() - start
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}: {response.get_data(as_text=True)[:200]}")
    return elapsed / count * 1e6


def service_client(model: Path, metrics_dir: str) -> Any:
    """A test client of the real service app, built as service.process.wsgi builds it."""
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    from runtime.predictor import Predictor
    from service.http.app import create_app
    from service.observe.logs import configure_logging
    from service.process.settings import Settings

    configure_logging("INFO")  # the access log goes to stderr, redirected by main()
    settings = Settings(model_path=model)
    return create_app(settings, Predictor.from_path(model)).test_client()


def main(argv: list[str] | None = None) -> int:
    """Time the service and the floor per request, then print a pyinstrument profile of the service."""
    parser = argparse.ArgumentParser(prog="python -m bench.profile_service", description=__doc__)
    parser.add_argument("--model", type=Path, default=Path("models/purchase_model.onnx"))
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--batch", type=int, help="profile POST /predict/batch with this many rows instead")
    parser.add_argument("--html", type=Path, help="also write the profile as HTML here")
    args = parser.parse_args(argv)
    from pyinstrument import Profiler

    from bench.apps.floor import create_app as floor_app

    with tempfile.TemporaryDirectory() as metrics_dir, open(os.devnull, "w") as devnull:
        with contextlib.redirect_stderr(devnull):
            client = service_client(args.model, metrics_dir)
            floor = floor_app().test_client()
            path, body = "/predict", None
            if args.batch:
                path, body = "/predict/batch", json.loads(batch_body(args.batch))
            service_us = per_request_us(client, args.requests, path, body)
            floor_us = per_request_us(floor, args.requests, "/predict", body)
            profiler = Profiler(interval=0.0002)
            with profiler:
                per_request_us(client, args.requests, path, body)
        sys.stdout.write(
            f"in-process CPU µs/request on {path}: service {service_us:.0f}, floor {floor_us:.0f} "
            f"(same body), ratio {service_us / floor_us:.2f}\n"
        )
        sys.stdout.write(profiler.output_text(unicode=True, color=False, show_all=False))
        if args.html:
            args.html.write_text(profiler.output_html())
    return 0


if __name__ == "__main__":
    sys.exit(main())
