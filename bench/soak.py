"""`make soak`: a steady load on the real service for a set time; errors must be 0 and worker memory flat.

Starts gunicorn (service/process/gunicorn.conf.py) on a loopback port, warms it up, then records the resident
memory (VmRSS) of every worker, holds the load for DURATION seconds and records it again. Exits 1 when any
request failed, a worker was replaced, or a worker's RSS grew by more than MAX_GROWTH after the warm-up.
Prints nothing; the summary is one JSON log line (and, with --json, a file).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness.gunicorn import REPO, gunicorn
from bench.harness.procs import rss_mib
from bench.harness.steady_load import Load

logger = logging.getLogger(__name__)

PROGRESS_EVERY_S = 30.0


def judge(summary: dict[str, Any], max_growth: float) -> list[str]:
    """The limits a soak run broke (empty when it passed)."""
    broken = []
    if summary["failed"]:
        broken.append(f"{sum(summary['failed'].values())} failed requests: {summary['failed']}")
    if summary["requests"] == 0:
        broken.append("no request was answered")
    if summary["workers_replaced"]:
        broken.append("a worker was replaced during the run")
    for pid, growth in summary["rss_growth"].items():
        if growth > max_growth:
            broken.append(f"worker {pid} grew by {growth:.1%} (limit {max_growth:.0%})")
    return broken


def soak(
    model: Path, duration: float, warmup: float, rate: float, workers: int, threads: int
) -> dict[str, Any]:
    """Run the soak and return its summary."""
    with tempfile.TemporaryDirectory(prefix="purchase-predictor-soak-") as tmp:
        log_path = Path(tmp) / "server.log"
        with gunicorn(model, Path(tmp) / "state", log_path, workers, PREDICT_LOG_LEVEL="WARNING") as server:
            pids = sorted(server.workers())
            load = Load(server.url, threads=threads, rate=rate).start()
            time.sleep(warmup)
            start_rss, start = rss_mib(pids), time.monotonic()
            while (left := duration - (time.monotonic() - start)) > 0:
                time.sleep(min(left, PROGRESS_EVERY_S))
                seen = load.snapshot()
                logger.info(
                    "soak: %.0f s, %d requests, %d failed",
                    time.monotonic() - start,
                    seen.total,
                    seen.total - seen.ok,
                )
            end_rss = rss_mib(pids)
            elapsed = time.monotonic() - start
            counts = load.stop()
            replaced = sorted(server.workers()) != pids
    return {
        "duration_s": round(elapsed, 1),
        "warmup_s": warmup,
        "target_rate": rate,
        "requests": counts.total,
        "achieved_rate": round(counts.total / (elapsed + warmup), 1),
        "failed": dict(counts.failed),
        "workers_replaced": replaced,
        "rss_start_mib": start_rss,
        "rss_end_mib": end_rss,
        "rss_growth": {
            pid: round(end_rss[pid] / start_rss[pid] - 1, 4) if start_rss[pid] else 1.0 for pid in pids
        },
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the soak, log the summary; 1 when a limit was broken."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    parser = argparse.ArgumentParser(prog="python -m bench.soak")
    parser.add_argument("--duration", type=float, default=300, help="seconds of load after the warm-up")
    parser.add_argument("--warmup", type=float, default=30, help="seconds of load before the first RSS")
    parser.add_argument("--rate", type=float, default=200, help="requests per second in total")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="client connections")
    parser.add_argument("--max-growth", type=float, default=0.05, help="allowed RSS growth per worker")
    parser.add_argument("--model", type=Path, default=REPO / "models" / "purchase_model.onnx")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.warmup < 0 or args.rate <= 0 or args.workers < 1 or args.threads < 1:
        parser.error("duration, rate, workers and threads must be positive, warmup not negative")
    summary = soak(args.model.resolve(), args.duration, args.warmup, args.rate, args.workers, args.threads)
    broken = judge(summary, args.max_growth)
    summary["passed"], summary["broken"] = not broken, broken
    logger.info("%s", json.dumps(summary))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1) + "\n")
    for reason in broken:
        logger.error("soak failed: %s", reason)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
