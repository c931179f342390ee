"""`python -m bench.device_micro`: CPU per call of each in-code performance device vs its plain path.

In one process, best of several repeats (robust to a busy machine: the minimum is the least disturbed
run): the fast path vs the marshmallow schema, and prometheus_client's bulk updates vs one public
`inc`/`observe` per observation (in multiprocess mode, as under gunicorn); the pause of a full
collection with and without gc.freeze; the forest's lookup table vs onnxruntime
(runtime/forest_table.py), keyed BLAKE2b vs HMAC-SHA256 feedback-token tags and the hand-rendered
/predict body vs json.dumps, also with cold caches;
and the access line plus metric updates of a request written by the flusher every FLUSHED requests vs
written in the request (CPU only: the GIL hand-offs the flusher avoids under threads show only over
HTTP, in bench.devices).
"""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

BODY = {"age": 45, "salary": 90000, "gender": "Male"}
BATCH = 10_000  # customers in one /predict/batch request (the maximum)
FLUSHED = 200  # requests a worker serves between two flushes at ~1,000 requests/s (every 0.2 s)


def per_call_us(call: Callable[[], Any], number: int, repeats: int = 7) -> float:
    """Best-of-`repeats` process CPU µs per call of `call`, `number` calls per repeat."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(number):
            call()
        best = min(best, (time.process_time() - start) / number)
    return round(best * 1e6, 2)


def measure(number: int = 20_000) -> dict[str, dict[str, float]]:
    """Per device: µs per request (or per 10,000-row batch) with the device and with its plain path."""
    from service.fast import fastpath
    from service.http.schemas import BatchRequestSchema, CustomerSchema
    from service.observe import metrics
    from service.observe.logs import AccessLog

    schema = CustomerSchema()
    bulk = metrics.Metrics()
    metrics.bulk_supported = lambda counter, histogram: False
    plain = metrics.Metrics()

    def per_request(target: metrics.Metrics) -> Callable[[], None]:
        """The metric updates of FLUSHED /predict requests, then one flush (what the flusher thread does)."""

        def run() -> None:
            for _ in range(FLUSHED):
                target.observe_request("/predict", "POST", 200, 0.004)
                target.observe_prediction(0.61234567, True)
            target.flush()

        return run

    # name -> (with the device, without it, calls per repeat, requests per call)
    pairs: dict[str, tuple[Callable[[], Any], Callable[[], Any], int, int]] = {
        "fastpath": (lambda: fastpath.customer(BODY), lambda: schema.load(BODY), number, 1),
        "prometheus_bulk": (per_request(bulk), per_request(plain), number // (4 * FLUSHED), FLUSHED),
    }
    batch = {"customers": [dict(BODY, age=18 + i % 60) for i in range(BATCH)]}
    batch_schema, values = BatchRequestSchema(), np.random.default_rng(0).random(BATCH)
    pairs["fastpath_batch"] = (lambda: fastpath.batch(batch), lambda: batch_schema.load(batch), 3, 1)
    pairs["prometheus_bulk_batch"] = (
        lambda: metrics.observe_many(bulk.probability, values),
        lambda: metrics.public_observe_many(plain.probability, values),
        3,
        1,
    )
    with tempfile.TemporaryFile("w") as stream:  # a real file: each flush is a write system call
        access = AccessLog(stream, enabled=True)

        def observability(every: int) -> Callable[[], None]:
            """FLUSHED requests' access lines and metric updates, written out every `every` requests."""

            def run() -> None:
                for index in range(1, FLUSHED + 1):
                    access.write("0123456789abcdef", "POST", "/predict", 200, 0.004)
                    bulk.observe_request("/predict", "POST", 200, 0.004)
                    bulk.observe_prediction(0.61234567, True)
                    if index % every == 0:
                        access.flush()
                        bulk.flush()

            return run

        pairs["flusher"] = (observability(FLUSHED), observability(1), number // (4 * FLUSHED), FLUSHED)
        return _measure_pairs(pairs)


def _measure_pairs(
    pairs: dict[str, tuple[Callable[[], Any], Callable[[], Any], int, int]],
) -> dict[str, dict[str, float]]:
    """Time each (with, without) pair; per request when a call serves several."""
    out = {}
    for name, (device, fallback, count, requests) in pairs.items():
        with_us = round(per_call_us(device, count) / requests, 2)
        without_us = round(per_call_us(fallback, count) / requests, 2)
        out[name] = {"with_us": with_us, "without_us": without_us, "saved_us": round(without_us - with_us, 2)}
        log.info("%-16s with %7.2f µs  without %7.2f µs", name, with_us, without_us)
    return out


_EVICT = np.ones(2_000_000)  # 16 MB: more than the last-level cache


def cold_us(call: Callable[[], Any], calls: int = 2_000) -> float:
    """Median wall µs of `call` with the caches flushed before each call (as under load, where other
    requests' work evicts what a request touches)."""
    elapsed = []
    for _ in range(calls):
        np.add(_EVICT, 1.0, out=_EVICT)
        start = time.perf_counter()
        call()
        elapsed.append(time.perf_counter() - start)
    return round(float(np.median(elapsed)) * 1e6, 2)


def cold_pair(device: Callable[[], Any], fallback: Callable[[], Any]) -> dict[str, float]:
    """A device and its plain path, each timed with cold caches (cold_us)."""
    with_us, without_us = cold_us(device), cold_us(fallback)
    log.info("%-16s with %7.2f µs  without %7.2f µs (caches flushed)", "  cold", with_us, without_us)
    return {"with_us": with_us, "without_us": without_us, "saved_us": round(without_us - with_us, 2)}


def feedback_token() -> dict[str, dict[str, float]]:
    """A feedback token's tag: keyed BLAKE2b (issued) vs HMAC-SHA256 (version 1), warm and cold."""
    from monitoring.tokens import TokenSigner

    signer = TokenSigner(b"k" * 32, 86_400)
    body = bytes(60)
    pairs: dict[str, tuple[Callable[[], Any], Callable[[], Any], int, int]] = {
        "feedback_token": (lambda: signer._tag(body), lambda: signer._hmac_tag(body), 20_000, 1),
    }
    out = _measure_pairs(pairs)
    out["feedback_token_cold"] = cold_pair(lambda: signer._tag(body), lambda: signer._hmac_tag(body))
    return out


def answer_render() -> dict[str, dict[str, float]]:
    """The /predict body rendered by hand (service.http.routes.answer_one) vs json.dumps, warm and cold."""
    from runtime.predictor import Prediction
    from service.http.routes import answer_one, answer_tail

    constant = {"threshold": 0.6, "model_version": "forest-5906aeff46f1"}
    tail, token = answer_tail(constant), "AQAAAABrDLyAAAAAAGsNpjg_7fJM2cJi2wF-qAcDhvnnvgAAAAAAAAAAZm9yZXN0"
    result = Prediction(0.93581234, True, [])

    def dumped() -> str:
        body = {"probability": round(result.probability, 4), "prediction": "Yes", "warnings": result.warnings}
        return json.dumps({**body, "feedback_token": token, **constant})

    out = _measure_pairs({"answer_render": (lambda: answer_one(result, tail, token), dumped, 20_000, 1)})
    out["answer_render_cold"] = cold_pair(lambda: answer_one(result, tail, token), dumped)
    return out


def lookup_table(model: Path, number: int = 20_000) -> dict[str, dict[str, float]]:
    """The forest's lookup table vs onnxruntime: one /predict row (warm, and with the caches flushed
    between calls, as under load where other requests' work evicts the forest) and a 10,000-row batch."""
    from runtime.model import load_model
    from runtime.predictor import Predictor

    table, plain = Predictor(load_model(model)), Predictor(load_model(model), table=False)
    if table.table is None:
        raise RuntimeError(f"{model} gets no lookup table (not a forest on raw inputs)")
    rng = np.random.default_rng(0)
    columns = (
        rng.uniform(18, 70, BATCH),
        rng.uniform(15_000, 150_000, BATCH),
        rng.choice(np.array(["Female", "Male"], dtype=object), BATCH),
    )
    pairs: dict[str, tuple[Callable[[], Any], Callable[[], Any], int, int]] = {
        "lookup_table": (
            lambda: table.predict_one(45, 90000.0, "Male"),
            lambda: plain.predict_one(45, 90000.0, "Male"),
            number,
            1,
        ),
        "lookup_table_batch": (
            lambda: table.predict_columns(*columns),
            lambda: plain.predict_columns(*columns),
            5,
            1,
        ),
    }
    out = _measure_pairs(pairs)
    out["lookup_table_cold"] = cold_pair(
        lambda: table.predict_one(45, 90000.0, "Male"), lambda: plain.predict_one(45, 90000.0, "Male")
    )
    return out


def full_collection_pause(model: Path) -> dict[str, float]:
    """How long one full garbage collection stalls a worker holding the app, without and with gc.freeze()."""
    from runtime.predictor import Predictor
    from service.http.app import create_app
    from service.process.settings import Settings

    apps = [create_app(Settings(model_path=model), Predictor.from_path(model))]  # noqa: F841 (kept alive)
    pauses = []
    for freeze in (False, True):
        gc.collect()
        if freeze:
            gc.freeze()
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            gc.collect()
            best = min(best, time.perf_counter() - start)
        pauses.append(round(best * 1e6, 1))
    gc.unfreeze()
    log.info("full collection   without freeze %7.0f µs  with %7.0f µs", *pauses)
    return {"with_us": pauses[1], "without_us": pauses[0], "saved_us": round(pauses[0] - pauses[1], 1)}


def main(argv: list[str] | None = None) -> int:
    """Print the figures as JSON; the model is models/purchase_model.onnx unless given."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    model = Path(argv[0] if argv else sys.argv[1] if len(sys.argv) > 1 else "models/purchase_model.onnx")
    with tempfile.TemporaryDirectory(prefix="bench-micro-") as directory:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory  # before prometheus_client is imported
        figures = measure()
        figures.update(lookup_table(model))
        figures.update(feedback_token())
        figures.update(answer_render())
        figures["gc_freeze"] = full_collection_pause(model)
    sys.stdout.write(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
