"""`python -m bench.layouts`: gunicorn worker and thread layouts of the service, side by side.

Each layout serves the real service (service/process/gunicorn.conf.py with PREDICT_WORKERS, PREDICT_THREADS
and, for sync workers, `--worker-class sync`) next to both floors, under the same 16-connection wrk load as
`make bench`. Ratios are to the sync-worker floor, whose p99 the service's target is set against.
Writes bench/results/layouts.{json,md}.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from bench.harness import report, servers, variants
from bench.harness.servers import FLOOR_APP, GUNICORN_CONF, PROJECT_MODEL_ENV, SYNC_WORKERS

log = logging.getLogger(__name__)

REFERENCE = "floor_sync"
# name -> (workers, threads, sync workers?)
LAYOUTS = {
    "gthread_2x4": (2, 4, False),
    "gthread_2x2": (2, 2, False),
    "gthread_2x1": (2, 1, False),
    "gthread_3x1": (3, 1, False),
    "gthread_4x1": (4, 1, False),
    "gthread_4x2": (4, 2, False),
    "sync_2": (2, 1, True),
    "sync_4": (4, 1, True),
}


def specs(onnx_path: Path, layouts: list[str]) -> list[servers.ServerSpec]:
    """Both floors, then the service once per layout."""
    env = {PROJECT_MODEL_ENV: str(onnx_path)}
    out = [
        servers.gunicorn_spec(REFERENCE, FLOOR_APP, GUNICORN_CONF, env, SYNC_WORKERS),
        servers.gunicorn_spec("floor", FLOOR_APP, GUNICORN_CONF, env),
    ]
    for name in layouts:
        workers, threads, sync = LAYOUTS[name]
        layout_env = {**env, "PREDICT_WORKERS": str(workers), "PREDICT_THREADS": str(threads)}
        extra = SYNC_WORKERS if sync else ()
        out.append(servers.gunicorn_spec(name, "service.process.wsgi:app", GUNICORN_CONF, layout_env, extra))
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Rounds, seconds per round, connections, layouts and output folder."""
    return variants.parser("python -m bench.layouts", __doc__, "layouts", list(LAYOUTS)).parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Measure, write bench/results/layouts.{json,md} (layouts-quick with --quick) and print the table."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    plan = variants.plan_from(args)
    rounds, source = variants.measure_models(lambda onnx: specs(onnx, args.layouts), plan, "bench-layouts-")
    summary = variants.summarize(rounds, REFERENCE)
    notes = {
        name: "{} workers × {} threads, {}".format(w, t, "sync" if s else "gthread")
        for name, (w, t, s) in LAYOUTS.items()
    }
    notes[REFERENCE], notes["floor"] = "floor app, sync workers", "floor app, service config (gthread)"
    intro = (
        f"Worker layouts ({plan.rounds} interleaved rounds × {plan.duration_s} s, {plan.connections} "
        f"connections, model from {source}); ratios to the sync-worker floor, median [min-max] over rounds."
    )
    page: list[report.Block] = [intro, variants.table(summary, REFERENCE, notes)]
    return variants.publish(args, "layouts", plan, rounds, summary, page)


if __name__ == "__main__":
    sys.exit(main())
