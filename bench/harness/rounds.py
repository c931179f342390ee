"""Interleaved wrk rounds over servers running side by side: the measuring loop of every HTTP benchmark.

Each round measures every server once, after all of them are idle, so drift and the neighbours' load hit
them alike; a round's figures are wrk's plus the server's CPU µs per request (its processes, from /proc).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench.harness import procs, servers, wrk

log = logging.getLogger(__name__)

SEED_EXAMPLE: dict[str, object] = {"age": 45, "salary": 90000, "gender": "Male"}  # the POST /predict body
Rounds = dict[str, list[dict[str, Any]]]


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
    cpu_seconds: Callable[[list[int]], float] = procs.cpu_seconds,
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


def warm(
    server: servers.RunningServer, script: Path, body: bytes, plan: HttpPlan, expect: tuple[str, ...] = ()
) -> int:
    """Settle the workers, check one answer, run wrk for the warm-up; the number of workers."""
    workers = settle_workers(server)
    preflight(server.url + "/predict", body, expect)
    wrk.run_wrk(server.url + "/predict", script, plan.connections, duration_s=plan.warmup_s)
    return workers


def measure_round(
    server: servers.RunningServer, name: str, index: int, script: Path, plan: HttpPlan, every_pid: list[int]
) -> dict[str, Any]:
    """One wrk run against one server once every server is idle: wrk's figures plus the server's CPU µs
    per request (its master and workers, from /proc)."""
    if not wait_until_idle(every_pid):
        log.warning("servers still busy after 10 s; measuring %s anyway", name)
    pids = server.all_pids()
    cpu_before = procs.cpu_seconds(pids)
    url = server.url + "/predict"
    result = wrk.run_wrk(url, script, plan.connections, plan.threads, plan.duration_s)
    cpu_us = (procs.cpu_seconds(pids) - cpu_before) / max(result.requests, 1) * 1e6
    log.info(
        "round %d %-16s %7.0f req/s p99 %6.2f ms CPU %5.0f µs/req errors %d",
        *(index + 1, name, result.requests_per_s, result.p99_ms, cpu_us, result.errors),
    )
    return {**result.as_dict(), "server_cpu_us": round(cpu_us, 1)}


def interleave(
    running: Mapping[str, servers.RunningServer], script: Path, plan: HttpPlan, rotate: bool = False
) -> Rounds:
    """`plan.rounds` rounds over every server, in the same order each round or (rotate) shifted by one."""
    every_pid = [pid for server in running.values() for pid in server.all_pids()]
    names = list(running)
    rounds: Rounds = {name: [] for name in names}
    for index in range(plan.rounds):
        shift = index % len(names) if rotate and names else 0
        for name in names[shift:] + names[:shift]:
            rounds[name].append(measure_round(running[name], name, index, script, plan, every_pid))
    return rounds
