"""In-process inference: onnxruntime vs scikit-learn predict_proba, single row and bulk."""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pandas as pd

from bench.apps.alternative import load_pipeline
from bench.apps.stand_in import synthetic_customers
from runtime.session import open_session

log = logging.getLogger(__name__)

SESSION_NOTE = "runtime.session.session_options(): 1 intra-op and 1 inter-op thread, sequential, CPU provider"


def session(path: Path) -> ort.InferenceSession:
    """An onnxruntime session with the runtime's options (one intra-op thread)."""
    return open_session(str(path))


def onnx_feed(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The ONNX inputs for a customer frame: float64 [N,1] age and salary, string [N,1] gender."""
    return {
        "age": frame["age"].to_numpy("float64").reshape(-1, 1),
        "salary": frame["salary"].to_numpy("float64").reshape(-1, 1),
        "gender": frame["gender"].to_numpy(object).reshape(-1, 1),
    }


def time_calls(
    call: Callable[[], Any], max_calls: int, max_seconds: float, warmup: int = 5
) -> dict[str, Any]:
    """Median and p90 µs per call over up to `max_calls` calls or `max_seconds`, after a warm-up."""
    for _ in range(warmup):
        call()
    samples: list[float] = []
    deadline = time.perf_counter() + max_seconds
    while len(samples) < max_calls and (len(samples) < 3 or time.perf_counter() < deadline):
        start = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - start) / 1000)
    ordered = sorted(samples)
    return {
        "calls": len(samples),
        "median_us": round(statistics.median(samples), 1),
        "p90_us": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
    }


def rows_per_second(call: Callable[[], Any], rows: int) -> dict[str, Any]:
    """Rows per second of one bulk call over `rows` rows."""
    start = time.perf_counter()
    call()
    seconds = time.perf_counter() - start
    return {"rows": rows, "seconds": round(seconds, 3), "rows_per_s": round(rows / seconds)}


def compare(onnx_path: Path, pipeline_path: Path, bulk_rows: int, quick: bool) -> dict[str, Any]:
    """Single-row µs per call and bulk rows/s for both engines, plus their speed-up ratios."""
    sess, pipeline = session(onnx_path), load_pipeline(pipeline_path)
    one = pd.DataFrame([{"age": 45.0, "salary": 90_000.0, "gender": "Male"}])
    one_feed = onnx_feed(one)
    budget = (1.0, 200, 2000) if quick else (5.0, 1000, 20000)
    log.info("engine: single row")
    onnx_single = time_calls(lambda: sess.run(["probabilities"], one_feed), budget[2], budget[0])
    sk_single = time_calls(lambda: pipeline.predict_proba(one), budget[1], budget[0])
    log.info("engine: %d rows", bulk_rows)
    frame, _ = synthetic_customers(bulk_rows, seed=1)
    feed = onnx_feed(frame)
    onnx_bulk = rows_per_second(lambda: sess.run(["probabilities"], feed), bulk_rows)
    sk_bulk = rows_per_second(lambda: pipeline.predict_proba(frame), bulk_rows)
    model = pipeline.steps[-1][1]
    inner = getattr(model, "estimator", None)
    return {
        "session_options": SESSION_NOTE,
        "sklearn_estimator": type(model).__name__,
        "sklearn_inner_estimator": type(inner).__name__ if inner is not None else None,
        "sklearn_n_jobs": getattr(model, "n_jobs", None),
        "single_row": {"onnxruntime": onnx_single, "sklearn": sk_single},
        "bulk": {"onnxruntime": onnx_bulk, "sklearn": sk_bulk},
        "single_row_speedup": round(sk_single["median_us"] / onnx_single["median_us"], 1),
        "bulk_speedup": round(onnx_bulk["rows_per_s"] / sk_bulk["rows_per_s"], 2),
    }
