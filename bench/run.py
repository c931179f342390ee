"""Entry point of `make bench`: run every side-by-side measurement and write bench/results/latest.*."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import engine, http_bench, report
from bench.harness import machine, servers
from bench.harness.models import resolve_models
from bench.harness.report import results_folder
from bench.harness.servers import FLOOR_APP, GUNICORN_CONF, PROJECT_MODEL_ENV, ROOT, SYNC_WORKERS

log = logging.getLogger(__name__)

WSGI = ROOT / "service" / "process" / "wsgi.py"
LAUNCHER = ROOT / "service" / "process" / "launch.py"
DEFAULT_BATCH = 10_000
NOTES = [
    "Servers run side by side; wrk rounds interleave project, floors and alternative so drift hits all.",
    "Sync floor: the floor app on gunicorn sync workers (one request at a time, connection closed after it).",
    "Front: the project as `make serve` runs it (PREDICT_FRONT=worker, the default): gunicorn with the "
    "buffering worker class, which reads each request whole before a thread gets it; no proxy process.",
    "Ratios are medians of per-round ratios; absolute figures depend on the (shared, noisy) machine.",
    "errors = non-2xx (wrk counts status >= 400; a preflight request must answer 200) + socket errors.",
    "server CPU µs/req = user+system CPU of master and workers during a round / requests: robust to noise.",
    "RSS: VmRSS of each worker child of the master after the rounds (warm).",
    "Engine: onnxruntime with the service's session options vs the joblib Pipeline's predict_proba.",
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; --quick selects the CI smoke sizes."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 round × 2 s, 10k rows, small batch (CI)")
    parser.add_argument("--rounds", type=int, help="interleaved wrk rounds (default 3, quick 1)")
    parser.add_argument("--duration", type=float, help="seconds per wrk round (default 10, quick 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--rows", type=int, help="rows for the bulk engine figure (default 1e6, quick 1e4)")
    parser.add_argument(
        "--batch-size", type=int, help="rows per /predict/batch request (default: service max)"
    )
    parser.add_argument(
        "--gunicorn-conf", type=Path, default=GUNICORN_CONF, help="config for project and floor"
    )
    parser.add_argument(
        "--out", type=results_folder, default=ROOT / "bench" / "results", help="results folder"
    )
    parser.add_argument("--stem", help="results file stem (default: latest, or quick with --quick)")
    return parser.parse_args(argv)


def plan_from(args: argparse.Namespace) -> http_bench.HttpPlan:
    """The HTTP plan for the mode, with explicit options taking precedence."""
    quick = args.quick
    return http_bench.HttpPlan(
        rounds=args.rounds or (1 if quick else 3),
        duration_s=args.duration or (2.0 if quick else 10.0),
        warmup_s=1.0 if quick else 2.0,
        connections=args.connections,
        batch_size=args.batch_size or (500 if quick else max_batch_size()),
    )


def max_batch_size() -> int:
    """The service's documented maximum batch size, or 10,000 when it cannot be read."""
    try:
        from service.schemas import MAX_BATCH

        return int(MAX_BATCH)
    except Exception as error:  # any import or settings failure falls back to the documented default
        log.info("max batch size not read from the service (%s); using %d", error, DEFAULT_BATCH)
        return DEFAULT_BATCH


def server_specs(
    joblib_path: Path, onnx_path: Path, config: Path = GUNICORN_CONF
) -> dict[str, servers.ServerSpec | None]:
    """Project, both floors and alternative specs; project and floors need service/'s gunicorn config."""
    env = {PROJECT_MODEL_ENV: str(onnx_path)}  # the config's on_starting hook checks the model for both
    project = front = floor = floor_sync = None
    if config.exists():
        floor = servers.gunicorn_spec("floor", FLOOR_APP, config, env)
        floor_sync = servers.gunicorn_spec("floor_sync", FLOOR_APP, config, env, SYNC_WORKERS)
        if WSGI.exists():
            project = servers.gunicorn_spec("project", "service.process.wsgi:app", config, env)
            if config == GUNICORN_CONF and LAUNCHER.exists():  # the launcher always uses service/'s config
                front = front_spec("front", env)
    else:
        log.warning("%s missing: project and floor not run", config)
    return {
        "project": project,
        "front": front,
        "floor": floor,
        "floor_sync": floor_sync,
        "alternative": http_bench.alternative_spec(joblib_path, 1),
    }


def front_spec(name: str, env: dict[str, str], front: str = "worker") -> servers.ServerSpec:
    """The launcher with PREDICT_FRONT=`front`: with the worker front it execs gunicorn itself (workers one
    level down), with nginx it runs gunicorn and nginx as children (workers two levels down)."""
    spec = servers.launcher_spec(name, {**env, "PREDICT_FRONT": front})
    return dataclasses.replace(spec, depth=2 if front == "nginx" else 1)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run HTTP, batch, memory and engine measurements and return the results document."""
    started = time.monotonic()
    plan = plan_from(args)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp)
        joblib_path, onnx_path, source = resolve_models(workdir)
        http = http_bench.run_http(server_specs(joblib_path, onnx_path, args.gunicorn_conf), plan, workdir)
        rows = args.rows or (10_000 if args.quick else 1_000_000)
        engine_results = engine.compare(onnx_path, joblib_path, rows, args.quick)
        model = machine.model_info(onnx_path, source)
    ratios = {**report.http_ratios(http["http"]), "single_row_speedup": engine_results["single_row_speedup"]}
    return {
        "mode": "quick" if args.quick else "full",
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "elapsed_s": round(time.monotonic() - started, 1),
        "settings": {
            "rounds": plan.rounds,
            "duration_s": plan.duration_s,
            "connections": plan.connections,
            "wrk_threads": plan.threads,
            "body": http_bench.SEED_EXAMPLE,
            "bulk_rows": rows,
        },
        "machine": machine.machine_info(),
        "model": model,
        **http,
        "engine": engine_results,
        "ratios": ratios,
        "notes": NOTES,
        "targets": report.evaluate(ratios, judged=not args.quick),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, write the results, print the table; exit 0 even when targets are missed."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    results = run(args)
    stem = args.stem or ("quick" if args.quick else "latest")  # quick figures never replace the full ones
    json_path, md_path = report.write_results(results, args.out, stem)
    sys.stdout.write(report.render_markdown(results))
    missed = [t["target"] for t in results["targets"] if t["status"] == "MISSED"]
    log.info(
        "wrote %s and %s in %.0f s; missed targets: %s",
        json_path,
        md_path,
        results["elapsed_s"],
        ", ".join(missed) or "none",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
