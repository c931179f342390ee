"""`/predict` throughput with a shadow model beside the same service without one (`python -m bench.shadow`).

Two gunicorn masters serve the committed model with drift monitoring on, each with its own state directory
and monitoring store; one of them scores a shadow model (the committed forest under another
model_version, deployed with `purchase-predictor deploy --shadow`: a second lookup-table read per row).
wrk loads them in turn, `--rounds` times, one at a time; the figure is the median requests/s with the
shadow over the median without. Target (issue 24): at least 0.85. Writes bench/results/shadow.{json,md}
(shadow-quick.* with --quick).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import onnx

from bench.harness import report
from bench.harness import wrk as http_load
from bench.harness.gunicorn import REPO, gunicorn, server_env

logger = logging.getLogger(__name__)

MODEL = REPO / "models" / "purchase_model.onnx"
RESULTS = REPO / "bench" / "results"
TARGET = 0.85
BODY = json.dumps({"age": 45, "salary": 90000, "gender": "Male"}).encode()


def candidate(folder: Path) -> Path:
    """The committed model under another model_version (a valid, different file)."""
    model = onnx.load(str(MODEL))
    for prop in model.metadata_props:
        if prop.key == "model_version":
            prop.value = prop.value + "-shadow"
    path = folder / "candidate.onnx"
    path.write_bytes(model.SerializeToString())
    return path


def deploy_shadow(model: Path, state: Path, shadow: Path) -> None:
    """`purchase-predictor deploy --shadow` against one server; raises when it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "purchase_predictor", "deploy", "--shadow", str(shadow)],
        cwd=REPO,
        env=server_env(model, state),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"deploy --shadow failed: {done.stderr.strip()[-300:]}")


def measure(rounds: int, duration_s: float, connections: int, workers: int) -> dict[str, Any]:
    """Interleaved wrk rounds against both servers; requests/s per round and the ratio of medians."""
    with tempfile.TemporaryDirectory(prefix="bench-shadow-") as tmp, ExitStack() as stack:
        root = Path(tmp)
        urls: dict[str, str] = {}
        for name in ("plain", "shadow"):
            folder = root / name
            folder.mkdir()
            model = folder / "purchase_model.onnx"
            model.write_bytes(MODEL.read_bytes())
            db = str(folder / "monitoring.sqlite3")
            server = stack.enter_context(
                gunicorn(model, folder / "state", folder / "server.log", workers, PREDICT_MONITOR_DB=db)
            )
            if name == "shadow":
                deploy_shadow(model, folder / "state", candidate(root))
                server.wait_workers(workers)
            urls[name] = f"{server.url}/predict"
        script = http_load.write_script(root, BODY)
        for url in urls.values():  # warm-up
            http_load.run_wrk(url, script, connections, duration_s=2)
        rates: dict[str, list[float]] = {name: [] for name in urls}
        for index in range(rounds):
            order = list(urls) if index % 2 == 0 else list(reversed(urls))
            for name in order:
                result = http_load.run_wrk(urls[name], script, connections, duration_s=duration_s)
                if result.errors:
                    raise RuntimeError(f"{name}: {result.errors} failed requests")
                rates[name].append(result.requests_per_s)
                logger.info("round %d %s: %.0f requests/s", index + 1, name, result.requests_per_s)
    medians = {name: statistics.median(values) for name, values in rates.items()}
    ratio = medians["shadow"] / medians["plain"]
    return {
        "rounds": rounds,
        "duration_s": duration_s,
        "connections": connections,
        "workers": workers,
        "requests_per_s": rates,
        "median_requests_per_s": medians,
        "ratio": round(ratio, 3),
        "target": TARGET,
        "met": ratio >= TARGET,
    }


def write(result: dict[str, Any], quick: bool) -> Path:
    """bench/results/shadow{-quick}.json and .md, through the one renderer."""
    medians = result["median_requests_per_s"]
    rounds = f"{result['rounds']} rounds of {result['duration_s']:g} s"
    table = report.Table(["server", f"median requests/s ({rounds})"], [False, True])
    table.add("without a shadow", round(medians["plain"])).add("with a shadow", round(medians["shadow"]))
    page: list[report.Block] = [
        "/predict with a shadow model beside the live one (`python -m bench.shadow`).",
        table,
        f"Ratio {result['ratio']:.3f} (target ≥ {TARGET}); {result['workers']} worker(s) each, "
        f"{result['connections']} connections, drift monitoring on in both.",
    ]
    json_path, _ = report.write(RESULTS, "shadow-quick" if quick else "shadow", result, page)
    return json_path.with_suffix("")


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and write the page (which says whether the target is met); exit 0."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(prog="python -m bench.shadow", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 rounds of 5 s")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    rounds, duration = (3, 5.0) if args.quick else (args.rounds, args.duration)
    result = measure(rounds, duration, args.connections, args.workers)
    stem = write(result, args.quick)
    logger.info(
        "with a shadow: %.3f x the requests/s without (target %.2f); %s.md", result["ratio"], TARGET, stem
    )
    return 0  # a missed target is reported in the page, as bench.run does


if __name__ == "__main__":
    sys.exit(main())
