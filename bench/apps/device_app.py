"""The service's WSGI app with the device named in BENCH_DEVICE_OFF switched off (bench-only entry point)."""

from __future__ import annotations

import importlib
import os
from typing import Any

from bench.apps.device_switches import OFF_ENV, switch_off


def load_app() -> Any:
    """The service's WSGI app, built after switching off the device named in the environment."""
    switch_off(os.environ.get(OFF_ENV, "").strip())
    return importlib.import_module("service.process.wsgi").app


app = load_app()
