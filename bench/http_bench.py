"""HTTP side of the benchmark: project, floor and alternative servers under interleaved wrk rounds."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench import http_load, memory, servers
from bench.alternative_app import PIPELINE_ENV
from bench.report import median_round
from bench.stand_in import synthetic_customers

log = logging.getLogger(__name__)

SEED_EXAMPLE: dict[str, object] = {"age": 45, "salary": 90000, "gender": "Male"}
LABELS = {
    "project": "project (gunicorn + Flask + onnxruntime)",
    "front": "project with the front (make serve: gunicorn's buffering worker class, no proxy)",
    "floor": "floor (same gunicorn, Flask, constant answer)",
    "floor_sync": "sync floor (same, gunicorn sync workers)",
    "alternative": "alternative (uvicorn + FastAPI + scikit-learn)",
}


@dataclass(frozen=True)
class HttpPlan:
    """What to run: rounds, seconds per round, connections and the batch size (0 = skip batch)."""

    rounds: int
    duration_s: float
    warmup_s: float
    connections: int
    batch_size: int
    threads: int = 2


def settle_workers(server: servers.RunningServer, timeout: float = 30.0) -> int:
    """Wait until the worker count has been stable for one second; return it."""
    deadline, last, since = time.monotonic() + timeout, -1, time.monotonic()
    while time.monotonic() < deadline:
        count = len(server.workers())
        if count != last:
            last, since = count, time.monotonic()
        elif count > 0 and time.monotonic() - since >= 1.0:
            break
        time.sleep(0.1)
    return max(last, 0)


def wait_until_idle(
    pids: list[int],
    interval_s: float = 0.25,
    quiet_cpu_s: float = 0.02,
    timeout_s: float = 10.0,
    cpu_seconds: Any = memory.cpu_seconds,
) -> bool:
    """Wait until the servers use less than `quiet_cpu_s` of CPU in `interval_s` (False on timeout).

    A server keeps working for a while after wrk stops (queued requests, collection), which would
    otherwise be billed to the next server's round; the slow alternative can run ~0.5 s past its load.
    """
    deadline = time.monotonic() + timeout_s
    last = cpu_seconds(pids)
    while time.monotonic() < deadline:
        time.sleep(interval_s)
        now = cpu_seconds(pids)
        if now - last < quiet_cpu_s:
            return True
        last = now
    return False


def preflight(url: str, body: bytes, expect_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """POST the body once; fail unless the answer is 200 JSON with the expected keys."""
    response = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=60)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:200]}")
    payload: dict[str, Any] = response.json()
    missing = [key for key in expect_keys if key not in payload]
    if missing:
        raise RuntimeError(f"{url} answer lacks {missing}: {response.text[:200]}")
    return payload


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
    script = http_load.write_script(workdir, body, name="batch")
    connections = max(1, workers)
    result = http_load.run_wrk(url, script, connections, threads=1, duration_s=plan.duration_s)
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


def measure_round(
    server: servers.RunningServer, name: str, index: int, script: Path, plan: HttpPlan, every_pid: list[int]
) -> dict[str, Any]:
    """One wrk run against one server once every server is idle: wrk's figures plus the server's CPU µs
    per request (its master and workers, from /proc)."""
    if not wait_until_idle(every_pid):
        log.warning("servers still busy after 10 s; measuring %s anyway", name)
    pids = server.all_pids()
    cpu_before = memory.cpu_seconds(pids)
    url = server.url + "/predict"
    result = http_load.run_wrk(url, script, plan.connections, plan.threads, plan.duration_s)
    cpu_us = (memory.cpu_seconds(pids) - cpu_before) / max(result.requests, 1) * 1e6
    log.info(
        "round %d %-16s %7.0f req/s p99 %6.2f ms CPU %5.0f µs/req errors %d",
        *(index + 1, name, result.requests_per_s, result.p99_ms, cpu_us, result.errors),
    )
    return {**result.as_dict(), "server_cpu_us": round(cpu_us, 1)}


def run_http(specs: dict[str, servers.ServerSpec | None], plan: HttpPlan, workdir: Path) -> dict[str, Any]:
    """Start every server, interleave wrk rounds across them, then read memory and run the batch load."""
    body = json.dumps(SEED_EXAMPLE).encode()
    script = http_load.write_script(workdir, body)
    out: dict[str, Any] = {"http": {}, "memory": {}, "batch": None}
    rounds: dict[str, list[dict[str, Any]]] = {}
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
            workers[name] = settle_workers(running[name])
            expect = () if name.startswith("floor") else ("probability", "prediction")
            preflight(running[name].url + "/predict", body, expect)
            http_load.run_wrk(
                running[name].url + "/predict", script, plan.connections, duration_s=plan.warmup_s
            )
        every_pid = [pid for server in running.values() for pid in server.all_pids()]
        for index in range(plan.rounds):
            for name, server in running.items():
                rounds.setdefault(name, []).append(
                    measure_round(server, name, index, script, plan, every_pid)
                )
        for name, server in running.items():
            out["memory"][name] = memory.worker_memory(server.process.pid, server.workers())
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
        "alternative", "bench.alternative_app:create_app", workers, {PIPELINE_ENV: str(pipeline)}
    )
