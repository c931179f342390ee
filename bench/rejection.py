"""`python -m bench.rejection`: what refusing a body costs next to scoring a valid body of the same size.

In one process, through the Flask test client on the app `make serve` builds (drift monitoring on, into
a temporary SQLite file; feedback tokens are minted for valid rows as in production), each body sent as
raw bytes with `Content-Type: application/json`: best-of-repeats wall time per request (the minimum is
the least disturbed run on a shared machine), valid and invalid bodies interleaved. Pairs:

- /predict/batch, 10,000 customers: valid vs out-of-range, wrong-type and unknown-key customers;
- /predict with unknown keys, the body as large as the valid 10,000-customer batch, vs that batch;
- V2 infer, 10,000 rows: valid vs out-of-range and wrong-type rows;
- /predict with 150,000 unknown keys (a hostile body), absolute, vs a valid /predict padded with
  whitespace to the same size (that body is read by the JSON parser only: a floor, not a target).

Target (docs/api-limits.md): an invalid body costs at most 2 × a valid body of the same size.
Results: bench/results/rejection.{json,md} (quick runs: rejection-quick.*) and the table on stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.harness import report

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "purchase_model.onnx"
ROWS = 10_000
TARGET = 2.0  # invalid / valid, at most
MANY_KEYS = 150_000
JSON_TYPE = "application/json"
V2_INFER = "/v2/models/purchase-predictor/infer"


def customers(n: int, **change: Any) -> list[dict[str, Any]]:
    """n customers; `change` overrides fields in every one (a value of ... drops the field)."""
    rows = [
        {"age": 18 + i % 60, "salary": 20_000 + 7 * i, "gender": "Female" if i % 2 else "Male"}
        for i in range(n)
    ]
    return [{k: v for k, v in {**row, **change}.items() if v is not ...} for row in rows]


def unknown_keys(count: int) -> dict[str, int]:
    """A /predict body of `count` unknown keys."""
    return {f"k{i}": 0 for i in range(count)}


def unknown_keys_of_size(size: int) -> bytes:
    """A /predict body of unknown keys, `size` bytes long within a few bytes."""
    count = size // len(b'"k12345": 0, ')
    body = json.dumps(unknown_keys(count)).encode()
    while len(body) < size - 16:  # top up
        count += max(1, (size - len(body)) // 12)
        body = json.dumps(unknown_keys(count)).encode()
    return body


def v2_body(ages: list[Any], salaries: list[Any], genders: list[Any]) -> bytes:
    """A V2 infer body of three [N] tensors."""
    n = len(ages)
    return json.dumps(
        {
            "inputs": [
                {"name": "age", "datatype": "FP64", "shape": [n], "data": ages},
                {"name": "salary", "datatype": "FP64", "shape": [n], "data": salaries},
                {"name": "gender", "datatype": "BYTES", "shape": [n], "data": genders},
            ]
        }
    ).encode()


def bodies(rows: int) -> dict[str, tuple[str, bytes, int]]:
    """name -> (path, body, expected status)."""

    def batch(**change: Any) -> bytes:
        return json.dumps({"customers": customers(rows, **change)}).encode()

    valid_batch = batch()
    good = customers(rows)
    return {
        "batch_valid": ("/predict/batch", valid_batch, 200),
        "batch_out_of_range": ("/predict/batch", batch(age=-4), 422),
        "batch_wrong_type": ("/predict/batch", batch(age="45"), 422),
        "batch_unknown_key": ("/predict/batch", batch(age=..., agee=45), 422),
        "predict_unknown_keys_batch_size": ("/predict", unknown_keys_of_size(len(valid_batch)), 422),
        "v2_valid": (V2_INFER, v2_body([r["age"] for r in good], [r["salary"] for r in good],
                                       [r["gender"] for r in good]), 200),
        "v2_out_of_range": (V2_INFER, v2_body([-4] * rows, [r["salary"] for r in good],
                                              [r["gender"] for r in good]), 400),
        "v2_wrong_type": (V2_INFER, v2_body(["45"] * rows, [r["salary"] for r in good],
                                            [r["gender"] for r in good]), 400),
    }  # fmt: skip


def padded_predict(size: int) -> bytes:
    """A valid /predict body padded with whitespace to `size` bytes."""
    body = json.dumps({"age": 45, "salary": 90000, "gender": "Male"}).encode()
    return body[:-1] + b" " * max(0, size - len(body)) + b"}"


def best_seconds(call: Callable[[], Any], repeats: int) -> float:
    """The fastest of `repeats` wall-clock runs of `call`."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def measure(model: Path, rows: int, repeats: int, many_keys: int) -> dict[str, Any]:
    """Seconds per request for every body, and the invalid/valid ratios."""
    from runtime.predictor import Predictor
    from service.http.app import create_app
    from service.process.settings import Settings

    with tempfile.TemporaryDirectory(prefix="bench-reject-") as tmp:
        settings = Settings(model_path=model, monitor_db=str(Path(tmp) / "monitoring.sqlite3"))
        client = create_app(settings, Predictor.from_path(model, None)).test_client()
        cases = bodies(rows)
        many = json.dumps(unknown_keys(many_keys)).encode()
        cases["predict_150k_unknown_keys"] = ("/predict", many, 422)
        cases["predict_valid_padded"] = ("/predict", padded_predict(len(many)), 200)

        def post(path: str, body: bytes, status: int) -> Callable[[], None]:
            def call() -> None:
                response = client.post(path, data=body, content_type=JSON_TYPE)
                if response.status_code != status:
                    raise RuntimeError(f"{path}: {response.status_code}, expected {status}")

            return call

        calls = {name: post(*case) for name, case in cases.items()}
        seconds = {name: float("inf") for name in calls}
        for _ in range(repeats):  # interleaved: drift on the machine hits every body alike
            for name, call in calls.items():
                seconds[name] = min(seconds[name], best_seconds(call, 1))
    sizes = {name: len(case[1]) for name, case in cases.items()}
    pairs = {
        "batch_out_of_range": "batch_valid",
        "batch_wrong_type": "batch_valid",
        "batch_unknown_key": "batch_valid",
        "predict_unknown_keys_batch_size": "batch_valid",
        "v2_out_of_range": "v2_valid",
        "v2_wrong_type": "v2_valid",
    }
    ratios = {name: round(seconds[name] / seconds[valid], 2) for name, valid in pairs.items()}
    floor_ratio = round(seconds["predict_150k_unknown_keys"] / seconds["predict_valid_padded"], 2)
    return {
        "rows": rows,
        "repeats": repeats,
        "seconds": {k: round(v, 4) for k, v in seconds.items()},
        "bytes": sizes,
        "ratios_invalid_over_valid": ratios,
        "max_ratio": max(ratios.values()),
        "target": f"every ratio <= {TARGET}",
        "status": "met" if max(ratios.values()) <= TARGET else "MISSED",
        "predict_150k_unknown_keys_over_padded_valid": floor_ratio,
    }


def page(figures: dict[str, Any]) -> list[report.Block]:
    """The figures as a table of bodies and the target's verdict."""
    table = report.Table(["body", "bytes", "ms per request", "invalid / valid"], [False, True, True, True])
    ratios = figures["ratios_invalid_over_valid"]
    for name, seconds in figures["seconds"].items():
        ratio = report.cell(ratios[name], 2) if name in ratios else ""
        if name == "predict_150k_unknown_keys":
            ratio = f"{figures['predict_150k_unknown_keys_over_padded_valid']:.2f} (vs padded, not judged)"
        table.add(name, figures["bytes"][name], f"{seconds * 1000:.1f}", ratio)
    verdict = f"Target {figures['target']}: **{figures['status']}** (max {figures['max_ratio']:.2f})."
    return [table, verdict]


def render(figures: dict[str, Any]) -> str:
    """The figures as Markdown (bench.harness.report)."""
    return report.markdown(page(figures))


def main(argv: list[str] | None = None) -> int:
    """Measure, write bench/results/rejection[-quick].{json,md}, print the table."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("service.access").setLevel(logging.WARNING)  # no access line per measured request
    parser = argparse.ArgumentParser(prog="python -m bench.rejection", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 9 (CI smoke)")
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--out", type=report.results_folder, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    model = args.model
    with tempfile.TemporaryDirectory(prefix="bench-reject-metrics-") as directory:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory  # as under gunicorn
        if not model.exists():
            from bench.apps.stand_in import make_stand_ins

            log.warning("%s missing: using a stand-in model", model)
            model = make_stand_ins(Path(directory))[1]
        figures = measure(model, ROWS, 3 if args.quick else 9, MANY_KEYS)
    figures["mode"] = "quick" if args.quick else "full"
    path, _ = report.write(args.out, "rejection-quick" if args.quick else "rejection", figures, page(figures))
    sys.stdout.write(render(figures))
    log.info("wrote %s; target %s", path, figures["status"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
