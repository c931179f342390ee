"""service/process/gunicorn.conf.py unchanged, except that BENCH_DEVICE_OFF=gc_freeze leaves out gc.freeze
in each worker (bench-only: `python -m bench.devices` serves bench.apps.device_app with it)."""

from __future__ import annotations

import gc
import importlib.util
import os
from pathlib import Path
from typing import Any

SERVICE_CONF = Path(__file__).resolve().parents[2] / "service" / "process" / "gunicorn.conf.py"
_spec = importlib.util.spec_from_file_location("service_gunicorn_conf", SERVICE_CONF)
assert _spec is not None and _spec.loader is not None
_service = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_service)
globals().update({k: v for k, v in vars(_service).items() if not k.startswith("__")})


def post_worker_init(worker: Any) -> None:
    """The service's worker tuning minus the device named in BENCH_DEVICE_OFF."""
    if os.environ.get("BENCH_DEVICE_OFF", "").strip() != "gc_freeze":
        gc.collect()
        gc.freeze()
