"""`POST /predict?explain=true` beside a plain `POST /predict` on gunicorn (`python -m bench.explain_http`).

One server (the committed model, one worker, drift monitoring off so the figure is the explanation's own
cost), one customer body, wrk rounds alternating plain and explained requests. The figure is the median
server CPU per request (master and workers, from /proc: other processes on a shared machine do not count)
and, beside it, the requests per second. Target (issue 24): an explained request costs at most 3 × a plain
one. Writes bench/results/explain-http.{json,md} (explain-http-quick.* with --quick).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import requests

from bench.harness import procs, report
from bench.harness import wrk as http_load
from bench.harness.gunicorn import gunicorn

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "models" / "purchase_model.onnx"
RESULTS = REPO / "bench" / "results"
CUSTOMER: dict[str, Any] = {"age": 42, "salary": 61000, "gender": "Female"}
PATHS = {"plain": "/predict", "explain": "/predict?explain=true"}
TARGET = 3.0  # explained cost over plain cost, at most


def check_answers(url: str) -> None:
    """Both requests answer 200, only the explained one with an explanation."""
    for name, path in PATHS.items():
        answer = requests.post(url + path, json=CUSTOMER, timeout=10)
        answer.raise_for_status()
        if ("explanation" in answer.json()) != (name == "explain"):
            raise RuntimeError(f"{path} answered without the expected shape: {answer.text[:200]}")


def one_round(url: str, script: Path, pids: list[int], seconds: float, connections: int) -> dict[str, Any]:
    """One wrk run: its figures plus the server's CPU µs per request."""
    before = procs.cpu_seconds(pids)
    result = http_load.run_wrk(url, script, connections, 2, seconds)
    cpu_us = (procs.cpu_seconds(pids) - before) / max(result.requests, 1) * 1e6
    return {**result.as_dict(), "server_cpu_us": round(cpu_us, 1)}


def run(quick: bool, rounds: int) -> dict[str, Any]:
    """Alternate plain and explained rounds on one server; medians and ratios."""
    seconds, connections = (3.0, 4) if quick else (10.0, 8)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in PATHS}
    with tempfile.TemporaryDirectory(prefix="bench-explain-http-") as tmp:
        folder = Path(tmp)
        script = http_load.write_script(folder, json.dumps(CUSTOMER).encode())
        with gunicorn(MODEL, folder / "state", folder / "server.log", 1, PREDICT_MONITOR="false") as server:
            check_answers(server.url)
            pids = [server.pid, *server.workers()]
            for path in PATHS.values():  # warm-up: the explainer's tables are built on first use
                http_load.run_wrk(server.url + path, script, connections, 2, 1.0)
            for index in range(rounds):
                for name, path in PATHS.items():
                    found = one_round(server.url + path, script, pids, seconds, connections)
                    runs[name].append(found)
                    logger.info(
                        "round %d %-7s %7.0f req/s  %6.0f µs CPU/req  errors %d",
                        index + 1,
                        name,
                        found["requests_per_s"],
                        found["server_cpu_us"],
                        found["errors"],
                    )
    cpu = {name: statistics.median(r["server_cpu_us"] for r in found) for name, found in runs.items()}
    rate = {name: statistics.median(r["requests_per_s"] for r in found) for name, found in runs.items()}
    ratio = cpu["explain"] / cpu["plain"]
    return {
        "mode": "quick" if quick else "full",
        "rounds": rounds,
        "seconds": seconds,
        "connections": connections,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "target": TARGET,
        "runs": runs,
        "median_server_cpu_us": cpu,
        "median_requests_per_s": rate,
        "cost_ratio": ratio,
        "throughput_ratio": rate["plain"] / rate["explain"],
        "errors": sum(r["errors"] for found in runs.values() for r in found),
        "passed": ratio <= TARGET and all(r["errors"] == 0 for found in runs.values() for r in found),
    }


def page(results: dict[str, Any]) -> list[report.Block]:
    """The results page, through the one renderer."""
    cpu, rate = results["median_server_cpu_us"], results["median_requests_per_s"]
    verdict = "met" if results["passed"] else "MISSED"
    table = report.Table(["request", "server CPU µs per request", "requests/s"], [False, True, True])
    table.add("`/predict`", round(cpu["plain"]), round(rate["plain"]))
    table.add("`/predict?explain=true`", round(cpu["explain"]), round(rate["explain"]))
    return [
        f"`/predict?explain=true` beside `/predict` ({results['mode']} mode: {results['rounds']} alternated "
        f"wrk rounds of {results['seconds']:.0f} s, {results['connections']} connections, one worker, "
        f"{results['cpus']} cores, load average {results['load_average'][0]:.1f}; "
        "`python -m bench.explain_http`).",
        table,
        f"Cost ratio (CPU per request): {results['cost_ratio']:.2f} × (target ≤ {results['target']:.0f} ×: "
        f"{verdict}); throughput ratio {results['throughput_ratio']:.2f} ×; errors {results['errors']}.",
    ]


def main(argv: list[str] | None = None) -> int:
    """Run, log the markdown, write bench/results/explain-http[-quick].{json,md} (the page says whether the
    target is met); exit 0."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(prog="python -m bench.explain_http", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s rounds, 4 connections (default 10 s, 8)")
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds of each (default 3)")
    args = parser.parse_args(argv)
    results = run(args.quick, args.rounds)
    blocks = page(results)
    report.write(RESULTS, "explain-http-quick" if args.quick else "explain-http", results, blocks)
    logger.info("%s", report.markdown(blocks))
    return 0  # a missed target is reported in the page, as bench.run does


if __name__ == "__main__":
    sys.exit(main())
