"""Drive wrk against one loopback URL with a fixed POST body and parse its JSON summary."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MARKER = "BENCH_JSON "

# wrk's done() hook runs once after the load with the aggregated summary and latency histogram
# (latencies are in microseconds); it prints one JSON line that parse_output() finds by its marker.
LUA_TEMPLATE = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = io.open("{body_path}", "rb"):read("*a")

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{marker}{{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}},' ..
    '"latency_us":{{"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d}}}}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class LoadResult:
    """One wrk run: throughput, latency percentiles in ms and error counts."""

    requests: int
    duration_s: float
    requests_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: int

    @property
    def errors(self) -> int:
        """Non-2xx responses plus socket errors (connect, read, write, timeout)."""
        return self.non_2xx + self.socket_errors

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for the JSON report."""
        return {**asdict(self), "errors": self.errors}


def wrk_path() -> str:
    """Absolute path of the wrk binary; fails with a clear message when it is not installed."""
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError("wrk not found: install it (apt-get install wrk); .ci/run does")
    return path


def write_script(directory: Path, body: bytes, name: str = "post") -> Path:
    """Write the request body and the Lua script that posts it; return the script's path."""
    body_path = directory / f"{name}.body"
    body_path.write_bytes(body)
    script = directory / f"{name}.lua"
    script.write_text(LUA_TEMPLATE.format(body_path=body_path.as_posix(), marker=MARKER))
    return script


def parse_output(stdout: str) -> LoadResult:
    """Turn wrk's stdout (with the done() hook's JSON line) into a LoadResult."""
    lines = [line for line in stdout.splitlines() if line.startswith(MARKER)]
    if not lines:
        raise ValueError("wrk output has no summary line; first lines: " + stdout[:300])
    data = json.loads(lines[-1][len(MARKER) :])
    errors, latency = data["errors"], data["latency_us"]
    duration_s = data["duration_us"] / 1e6
    return LoadResult(
        requests=data["requests"],
        duration_s=round(duration_s, 3),
        requests_per_s=round(data["requests"] / duration_s, 1) if duration_s > 0 else 0.0,
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        mean_ms=round(latency["mean"] / 1000, 3),
        max_ms=latency["max"] / 1000,
        non_2xx=errors["status"],
        socket_errors=errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
    )


def run_wrk(
    url: str, script: Path, connections: int = 16, threads: int = 2, duration_s: float = 10.0
) -> LoadResult:
    """Run wrk for `duration_s` seconds against `url` and return the parsed summary."""
    argv = [
        *(wrk_path(), "-t", str(min(threads, connections)), "-c", str(connections)),
        *("-d", f"{max(1, round(duration_s))}s", "--timeout", "10s", "-s", str(script), url),
    ]
    log.debug("running %s", " ".join(argv))
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration_s + 60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk exited with {done.returncode}: {done.stderr.strip()[:300]}")
    return parse_output(done.stdout)
