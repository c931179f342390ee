"""`make bench`'s HTTP line-up: the project, behind the front, both floors and the alternative, side by side.

The servers are started one after the other (the alternative gets as many workers as the project),
measured in interleaved wrk rounds (bench.harness.rounds), their workers' memory read, and the project's
batch endpoint loaded last.
"""

from __future__ import annotations

import contextlib
import json
import logging
from pathlib import Path
from typing import Any

import requests

from bench.apps.alternative import PIPELINE_ENV
from bench.apps.stand_in import synthetic_customers
from bench.harness import procs, servers, wrk
from bench.harness.rounds import SEED_EXAMPLE, HttpPlan, interleave, preflight, warm
from bench.harness.targets import median_round

log = logging.getLogger(__name__)

LABELS = {
    "project": "project (gunicorn + Flask + onnxruntime)",
    "front": "project with the front (make serve: gunicorn's buffering worker class, no proxy)",
    "floor": "floor (same gunicorn, Flask, constant answer)",
    "floor_sync": "sync floor (same, gunicorn sync workers)",
    "alternative": "alternative (uvicorn + FastAPI + scikit-learn)",
}


def batch_body(size: int) -> bytes:
    """A /predict/batch body of `size` valid customers."""
    frame, _ = synthetic_customers(size, seed=2)
    return json.dumps({"customers": frame.to_dict(orient="records")}).encode()


def run_batch(server: servers.RunningServer, plan: HttpPlan, workdir: Path, workers: int) -> dict[str, Any]:
    """Rows/s through POST /predict/batch at the given batch size, one connection per worker."""
    url = server.url + "/predict/batch"
    body = batch_body(plan.batch_size)
    try:
        preflight(url, body)
    except (RuntimeError, requests.RequestException) as error:
        log.error("batch endpoint preflight failed: %s", error)
        return {"batch_size": plan.batch_size, "error": str(error)[:300]}
    script = wrk.write_script(workdir, body, name="batch")
    connections = max(1, workers)
    result = wrk.run_wrk(url, script, connections, threads=1, duration_s=plan.duration_s)
    return {
        "batch_size": plan.batch_size,
        "connections": connections,
        "body_bytes": len(body),
        "requests_per_s": result.requests_per_s,
        "rows_per_s": round(result.requests * plan.batch_size / result.duration_s)
        if result.duration_s
        else 0,
        "p50_ms": result.p50_ms,
        "p99_ms": result.p99_ms,
        "errors": result.errors,
    }


def run_http(specs: dict[str, servers.ServerSpec | None], plan: HttpPlan, workdir: Path) -> dict[str, Any]:
    """Start every server, interleave wrk rounds across them, then read memory and run the batch load."""
    body = json.dumps(SEED_EXAMPLE).encode()
    script = wrk.write_script(workdir, body)
    out: dict[str, Any] = {"http": {}, "memory": {}, "batch": None}
    with contextlib.ExitStack() as stack:
        running: dict[str, servers.RunningServer] = {}
        workers: dict[str, int] = {}
        for name, spec in specs.items():
            if spec is None:
                log.warning("%s: not available, skipped", name)
                continue
            if name == "alternative":
                spec = _with_workers(spec, workers.get("project") or workers.get("floor") or 1)
            running[name] = stack.enter_context(servers.serve(spec, workdir))
            expect = () if name.startswith("floor") else ("probability", "prediction")
            workers[name] = warm(running[name], script, body, plan, expect)
        rounds = interleave(running, script, plan)
        for name, server in running.items():
            out["memory"][name] = procs.worker_memory(server.process.pid, server.workers())
            out["http"][name] = {
                "label": LABELS[name],
                "workers": workers[name],
                **median_round(rounds[name]),
            }
            out["http"][name]["per_round"] = rounds[name]
        if "project" in running and plan.batch_size > 0:
            out["batch"] = run_batch(running["project"], plan, workdir, workers["project"])
    return out


def _with_workers(spec: servers.ServerSpec, count: int) -> servers.ServerSpec:
    """The same uvicorn spec with `--workers` set to `count`."""
    argv = list(spec.argv)
    argv[argv.index("--workers") + 1] = str(count)
    return servers.ServerSpec(spec.name, tuple(argv), spec.env, spec.ready_path)


def alternative_spec(pipeline: Path, workers: int) -> servers.ServerSpec:
    """uvicorn + FastAPI + scikit-learn serving the joblib pipeline."""
    return servers.uvicorn_spec(
        "alternative", "bench.apps.alternative:create_app", workers, {PIPELINE_ENV: str(pipeline)}
    )
