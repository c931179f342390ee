"""`python -m bench.front_pair`: two servers loaded at the same moment, for CPU ratios that machine drift
cannot move.

`make bench` and `bench.front` measure one server at a time; on this shared machine its speed drifts by
±15 % from one 10 s round to the next, which is the size of the effects in question. Here both servers of
a pair run under their own wrk (half the connections each) at once, so a slow or fast moment hits both;
each round gives the ratio of their server CPU per request (every process of each server, from /proc) and
of their throughputs. Pairs: the service behind the buffering-worker front (`make serve`) against the
gthread floor, the service on plain gthread against the same floor, and the front against no front.
Writes bench/results/front-pair.{json,md} (front-pair-quick with --quick).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.harness import procs, report, servers, variants, wrk
from bench.harness.models import resolve_models
from bench.harness.report import Table
from bench.harness.rounds import HttpPlan, wait_until_idle
from bench.harness.servers import FLOOR_APP, GUNICORN_CONF, PROJECT_MODEL_ENV
from bench.run import front_spec

log = logging.getLogger(__name__)

PAIRS = (  # (reference, measured): the measured one's figures are divided by the reference's
    ("floor", "front"),
    ("floor", "no_front"),
    ("no_front", "front"),
)
ROUNDS = 6  # by default
METRICS = ("cpu_us", "requests_per_s")
WHAT = {
    "floor": "floor app on the service's gunicorn config (gthread)",
    "no_front": "the service on plain gthread gunicorn (PREDICT_FRONT=none)",
    "front": "the service as make serve runs it (PREDICT_FRONT=worker: the buffering worker class)",
}


def specs(onnx_path: Path) -> list[servers.ServerSpec]:
    """The floor, the service alone and the service behind the worker front."""
    env = {PROJECT_MODEL_ENV: str(onnx_path)}
    return [
        servers.gunicorn_spec("floor", FLOOR_APP, GUNICORN_CONF, env),
        servers.gunicorn_spec("no_front", "service.process.wsgi:app", GUNICORN_CONF, env),
        front_spec("front", env),
    ]


def pair_round(pair: tuple[servers.RunningServer, ...], script: Path, plan: HttpPlan) -> dict[str, float]:
    """Both servers under load at once: measured ÷ reference in CPU per request and in requests/s."""
    pids = [server.all_pids() for server in pair]
    wait_until_idle([pid for group in pids for pid in group])
    before = [procs.cpu_seconds(group) for group in pids]
    connections = max(1, plan.connections // 2)
    with ThreadPoolExecutor(2) as pool:
        load = (script, connections, 1, plan.duration_s)  # wrk script, connections, threads, seconds
        runs = [pool.submit(wrk.run_wrk, server.url + "/predict", *load) for server in pair]
        results = [run.result() for run in runs]
    cpu = [
        (procs.cpu_seconds(group) - start) / max(result.requests, 1) * 1e6
        for group, start, result in zip(pids, before, results, strict=True)
    ]
    if any(result.errors for result in results):
        raise RuntimeError(f"errors under load: {[result.errors for result in results]}")
    return {
        "cpu_us": cpu[1] / cpu[0],
        "requests_per_s": results[1].requests_per_s / max(results[0].requests_per_s, 1e-9),
        "reference_cpu_us": round(cpu[0], 1),
        "measured_cpu_us": round(cpu[1], 1),
    }


def measure(plan: HttpPlan, workdir: Path, onnx_path: Path) -> dict[str, list[dict[str, float]]]:
    """Every pair, `plan.rounds` times (pairs alternate within a round)."""
    out: dict[str, list[dict[str, float]]] = {f"{m}/{r}": [] for r, m in PAIRS}
    with variants.warmed(specs(onnx_path), plan, workdir) as (running, script):
        for index in range(plan.rounds):
            for reference, measured in PAIRS:
                result = pair_round((running[reference], running[measured]), script, plan)
                out[f"{measured}/{reference}"].append(result)
                ratios = (result["cpu_us"], result["requests_per_s"])
                log.info("round %d %s/%s: CPU/req %.3f, req/s %.3f", index + 1, measured, reference, *ratios)
    return out


def summary_table(rounds: dict[str, list[dict[str, float]]]) -> tuple[Table, dict[str, dict[str, Any]]]:
    """Per pair: median and [min-max] over rounds of both ratios."""
    table = Table(["pair", "CPU per request ratio", "requests/s ratio", "rounds"], [False, True, True, True])
    summary: dict[str, dict[str, Any]] = {}
    for name, results in rounds.items():
        row: dict[str, Any] = {}
        for metric in METRICS:
            values = [r[metric] for r in results]
            row[metric] = round(statistics.median(values), 3)
            row[f"{metric}_spread"] = [round(min(values), 3), round(max(values), 3)]
        summary[name] = row
        cells = [f"{row[m]:.2f} [{row[m + '_spread'][0]:.2f}-{row[m + '_spread'][1]:.2f}]" for m in METRICS]
        table.add(name, *cells, str(len(results)))
    return table, summary


def main(argv: list[str] | None = None) -> int:
    """Measure the pairs, write bench/results/front-pair.{json,md} and print the page."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m bench.front_pair", description=__doc__)
    variants.add_plan_arguments(parser, ROUNDS)  # --connections is split evenly between the two servers
    parser.add_argument("--out", type=report.results_folder, default=servers.ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    plan = variants.plan_from(args, ROUNDS)
    with tempfile.TemporaryDirectory(prefix="bench-pair-") as tmp:
        _, onnx_path, source = resolve_models(Path(tmp))
        rounds = measure(plan, Path(tmp), onnx_path)
    table, summary = summary_table(rounds)
    page: list[report.Block] = [
        f"Pairs under load at the same moment ({plan.rounds} rounds × {plan.duration_s} s, "
        f"{plan.connections // 2} connections to each server, model from {source}); measured ÷ reference, "
        "median [min-max] over rounds.",
        table,
        "; ".join(f"{name}: {text}" for name, text in WHAT.items()) + ".",
    ]
    return variants.publish(args, "front-pair", plan, rounds, summary, page)


if __name__ == "__main__":
    sys.exit(main())
