"""wrk driver: Lua script generation and parsing of the done() hook's JSON line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.harness.rounds import wait_until_idle
from bench.harness.wrk import MARKER, LoadResult, parse_output, write_script

SUMMARY = {
    "requests": 20_000,
    "duration_us": 10_000_000,
    "bytes": 1_000_000,
    "errors": {"connect": 1, "read": 2, "write": 0, "status": 3, "timeout": 4},
    "latency_us": {"mean": 7812.5, "max": 90_000, "p50": 7000, "p90": 12000, "p99": 25000},
}
WRK_STDOUT = (
    "Running 10s test @ http://127.0.0.1:8000/predict\n  2 threads and 16 connections\n"
    "  Thread Stats   Avg      Stdev     Max   +/- Stdev\n"
    "Requests/sec:   2000.00\nTransfer/sec:     97.66KB\n"
    f"{MARKER}{json.dumps(SUMMARY)}\n"
)


def test_parse_output_reads_throughput_latency_in_ms_and_errors() -> None:
    result = parse_output(WRK_STDOUT)
    assert result.requests == 20_000
    assert result.requests_per_s == pytest.approx(2000.0)
    assert (result.p50_ms, result.p90_ms, result.p99_ms, result.max_ms) == (7.0, 12.0, 25.0, 90.0)
    assert result.non_2xx == 3
    assert result.socket_errors == 1 + 2 + 0 + 4
    assert result.errors == 10


def test_parse_output_uses_the_last_summary_line() -> None:
    later = {**SUMMARY, "requests": 5}
    assert parse_output(WRK_STDOUT + f"{MARKER}{json.dumps(later)}\n").requests == 5


@pytest.mark.parametrize("stdout", ["", "Requests/sec: 10\n", "unable to connect to 127.0.0.1:1\n"])
def test_parse_output_without_summary_line_raises(stdout: str) -> None:
    with pytest.raises(ValueError, match="no summary line"):
        parse_output(stdout)


def test_parse_output_zero_duration_gives_zero_throughput() -> None:
    empty = {**SUMMARY, "duration_us": 0}
    assert parse_output(f"{MARKER}{json.dumps(empty)}\n").requests_per_s == 0.0


def test_load_result_as_dict_includes_total_errors() -> None:
    result = LoadResult(10, 1.0, 10.0, 1.0, 2.0, 3.0, 1.5, 4.0, non_2xx=2, socket_errors=3)
    assert result.as_dict()["errors"] == 5


def test_write_script_posts_the_body_file_as_json(tmp_path: Path) -> None:
    script = write_script(tmp_path, b'{"age": 45}', name="one")
    text = script.read_text()
    assert (tmp_path / "one.body").read_bytes() == b'{"age": 45}'
    assert 'wrk.method = "POST"' in text
    assert 'wrk.headers["Content-Type"] = "application/json"' in text
    assert str(tmp_path / "one.body") in text
    assert MARKER in text and "latency:percentile(99)" in text


def _clock(readings: list[float]) -> Any:
    """A fake cpu_seconds returning the readings in turn (the last one forever)."""
    values = iter(readings)
    last = [readings[-1]]

    def read(pids: list[int]) -> float:
        last[0] = next(values, last[0])
        return last[0]

    return read


def test_wait_until_idle_returns_once_the_servers_stop_burning_cpu() -> None:
    busy_then_quiet = _clock([0.0, 0.2, 0.4, 0.405])
    assert wait_until_idle([1], interval_s=0.001, cpu_seconds=busy_then_quiet) is True


def test_wait_until_idle_gives_up_when_the_servers_stay_busy() -> None:
    readings = [0.1 * i for i in range(10_000)]
    assert wait_until_idle([1], interval_s=0.001, timeout_s=0.05, cpu_seconds=_clock(readings)) is False
