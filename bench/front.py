"""`python -m bench.front`: the fronts side by side, with the service alone and both floors, in one run.

Variants: the service as `make serve` runs it (PREDICT_FRONT=worker: gunicorn's buffering worker class),
nginx before gthread gunicorn (a worker per core, Unix socket; and 1 worker, the Kubernetes sidecar's),
the service without any front (gthread gunicorn alone), and the two floors of `make bench`. Same wrk load
as `make bench` (16 connections, interleaved rounds). The table's ratios are to the sync-worker floor (the
p99 target's reference); the line below it gives throughput against the gthread floor (the throughput
target's). Writes bench/results/front.{json,md} (front-quick with --quick).

`--fronts worker worker_gunicorn_writer worker_no_shortcut` measures the buffering worker against copies
with one of its speed devices off (bench/apps/front_devices.py) and writes bench/results/front-devices.*.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from bench.harness import report, servers, variants
from bench.harness.servers import FLOOR_APP, GUNICORN_CONF, PROJECT_MODEL_ENV, SYNC_WORKERS
from bench.run import front_spec
from service.front.config import FrontSettings

log = logging.getLogger(__name__)

REFERENCE = "floor_sync"
FRONTS = {  # name -> PREDICT_FRONT, extra environment of the launcher, and what it is
    "worker": ("worker", {}, "as make serve: gunicorn's buffering worker class (service.front.worker)"),
    "nginx": ("nginx", {}, "nginx, a worker per core, Unix socket, keep-alive upstream, before gthread"),
    "nginx_1_worker": ("nginx", {"PREDICT_FRONT_WORKERS": "1"}, "nginx worker_processes 1 (the sidecar's)"),
}
DEVICES_OFF = {  # name -> the buffering worker with one speed device off (bench/apps/front_devices.py)
    "worker_gunicorn_writer": ("GunicornWriter", "the worker with gunicorn's response writer"),
    "worker_no_shortcut": ("NoShortcut", "the worker handing every finished request to its poller thread"),
}


def specs(onnx_path: Path, fronts: list[str]) -> list[servers.ServerSpec]:
    """Both floors, the service alone, then the service behind each front variant."""
    env = {PROJECT_MODEL_ENV: str(onnx_path)}
    out = [
        servers.gunicorn_spec(REFERENCE, FLOOR_APP, GUNICORN_CONF, env, SYNC_WORKERS),
        servers.gunicorn_spec("floor", FLOOR_APP, GUNICORN_CONF, env),
        servers.gunicorn_spec("no_front", "service.process.wsgi:app", GUNICORN_CONF, env),
    ]
    for name in fronts:
        if name in DEVICES_OFF:
            worker = f"bench.apps.front_devices.{DEVICES_OFF[name][0]}"
            connections = str(FrontSettings.from_env({}).worker_connections)  # the launcher's default
            extra = ("--worker-class", worker, "--worker-connections", connections)
            out.append(servers.gunicorn_spec(name, "service.process.wsgi:app", GUNICORN_CONF, env, extra))
        else:
            out.append(front_spec(name, {**env, **FRONTS[name][1]}, FRONTS[name][0]))
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Rounds, seconds per round, connections, front variants and output folder."""
    parser = variants.parser("python -m bench.front", __doc__, "fronts", [*FRONTS, *DEVICES_OFF])
    parser.set_defaults(fronts=list(FRONTS))  # the device-off copies only when named
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Measure, write bench/results/front.{json,md} and print the table."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    plan = variants.plan_from(args)
    rounds, source = variants.measure_models(lambda onnx: specs(onnx, args.fronts), plan, "bench-front-")
    summary = variants.summarize(rounds, REFERENCE)
    notes = {name: text for name, (_, _, text) in FRONTS.items()}
    notes.update({name: text for name, (_, text) in DEVICES_OFF.items()})
    notes.update(
        {
            REFERENCE: "floor app, sync workers",
            "floor": "floor app, service config (gthread)",
            "no_front": "the service on gthread gunicorn alone (PREDICT_FRONT=none)",
        }
    )
    gthread = variants.summarize(rounds, "floor")
    against_floor = ", ".join(
        f"{name} {row['requests_per_s_ratio']:.2f}" for name, row in gthread.items() if name in args.fronts
    )
    alone = variants.summarize(rounds, "no_front")
    cost = ", ".join(
        f"{name} {row['requests_per_s_ratio']:.2f} (CPU/req {row['server_cpu_us_ratio']:.2f})"
        for name, row in alone.items()
        if name in args.fronts
    )
    page: list[report.Block] = [
        f"Front variants ({plan.rounds} interleaved rounds × {plan.duration_s} s, {plan.connections} "
        f"connections, model from {source}); ratios to the sync-worker floor, median [min-max] over rounds.",
        variants.table(summary, REFERENCE, notes),
        f"Throughput ÷ gthread floor (median of per-round ratios): {against_floor}.",
        f"The front's cost, throughput with ÷ without it (no_front): {cost}.",
    ]
    stem = "front-devices" if set(args.fronts) & set(DEVICES_OFF) else "front"
    return variants.publish(args, stem, plan, rounds, summary, page)


if __name__ == "__main__":
    sys.exit(main())
