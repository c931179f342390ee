"""`python -m bench.devices`: each performance device of the service switched off alone, side by side.

Runs the service with every device on (twice: the second copy, `all_on_again`, measures the noise), the
gthread floor, and one copy per device with that device off (bench/apps/device_app.py). A device is worth
keeping when switching it off costs more than the noise: throughput lower, or server CPU per request
higher, than the A/A copy's worst round deviates from 1. Writes bench/results/devices.{json,md}.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from bench.apps.device_switches import DEVICES, OFF_ENV
from bench.harness import report, servers, variants
from bench.harness.servers import FLOOR_APP, GUNICORN_CONF, PROJECT_MODEL_ENV, ROOT

log = logging.getLogger(__name__)

DEVICE_CONF = ROOT / "bench" / "apps" / "gunicorn_devices.py"
REFERENCE, CONTROL = "all_on", "all_on_again"
NOTES = {
    "fastpath": "marshmallow schema validates every body",
    "prometheus_bulk": "public inc()/observe() per observation",
    "flusher": "access line and metrics written in the request thread",
    "gc_freeze": "no gc.freeze() after start-up",
    "lookup_table": "onnxruntime scores every row (no lookup table)",
}


def specs(onnx_path: Path, devices: tuple[str, ...] = DEVICES) -> list[servers.ServerSpec]:
    """All-on twice, the floor, then one server per device switched off."""
    env = {PROJECT_MODEL_ENV: str(onnx_path)}
    app = "bench.apps.device_app:app"
    out = [
        servers.gunicorn_spec(REFERENCE, app, DEVICE_CONF, env),
        servers.gunicorn_spec(CONTROL, app, DEVICE_CONF, env),
        servers.gunicorn_spec("floor", FLOOR_APP, GUNICORN_CONF, env),
    ]
    out += [servers.gunicorn_spec(f"no_{d}", app, DEVICE_CONF, {**env, OFF_ENV: d}) for d in devices]
    return out


def noise(summary: dict[str, dict[str, Any]], metric: str) -> float:
    """How far the A/A copy's per-round ratio strayed from 1 on `metric` (its worst round)."""
    low, high = summary[CONTROL][f"{metric}_spread"]
    return round(max(abs(low - 1.0), abs(high - 1.0)), 3)


def verdicts(summary: dict[str, dict[str, Any]], devices: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Per device: what switching it off costs (throughput, CPU per request) and whether it beats noise."""
    rps_noise, cpu_noise = noise(summary, "requests_per_s"), noise(summary, "server_cpu_us")
    out = {}
    for device in devices:
        row = summary[f"no_{device}"]
        rps_gain = round(1.0 / row["requests_per_s_ratio"] - 1.0, 3)  # all-on throughput over device-off
        cpu_saving = round(1.0 - 1.0 / row["server_cpu_us_ratio"], 3)  # CPU per request the device saves
        keep = rps_gain > rps_noise or cpu_saving > cpu_noise
        out[device] = {"throughput_gain": rps_gain, "cpu_saving": cpu_saving, "keep": keep}
    return {"noise": {"requests_per_s": rps_noise, "server_cpu_us": cpu_noise}, "devices": out}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Rounds, seconds per round, connections, devices and output folder."""
    return variants.parser("python -m bench.devices", __doc__, "devices", list(DEVICES)).parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Measure, write bench/results/devices.{json,md} (devices-quick with --quick) and print the table."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    plan = variants.plan_from(args)
    devices = tuple(args.devices)
    rounds, source = variants.measure_models(lambda onnx: specs(onnx, devices), plan, "bench-devices-")
    summary = variants.summarize(rounds, REFERENCE)
    judged = verdicts(summary, devices)
    notes = {
        f"no_{d}": f"{NOTES[d]}; {'KEEP' if v['keep'] else 'within noise'}"
        for d, v in judged["devices"].items()
    }
    notes[CONTROL] = "identical copy of all_on: the noise"
    intro = (
        f"Performance devices, each switched off alone ({plan.rounds} interleaved rounds × "
        f"{plan.duration_s} s, {plan.connections} connections, model from {source}); "
        "ratios to all_on, median [min-max] over rounds. "
        f"Noise (A/A): throughput ±{judged['noise']['requests_per_s']:.1%}, "
        f"CPU/request ±{judged['noise']['server_cpu_us']:.1%}."
    )
    page: list[report.Block] = [intro, variants.table(summary, REFERENCE, notes)]
    return variants.publish(args, "devices", plan, rounds, summary, page, **judged)


if __name__ == "__main__":
    sys.exit(main())
