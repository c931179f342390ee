"""bench.front's device-off copies of the buffering worker, and bench.front_pair's summary."""

from __future__ import annotations

from pathlib import Path

from gunicorn.workers.gthread import ThreadWorker

from bench import front, front_pair
from bench.apps import front_devices
from service.front.worker import BufferingWorker


def test_each_device_off_copy_differs_from_the_worker_in_that_device_only() -> None:
    assert front_devices.GunicornWriter.handle_request is ThreadWorker.handle_request
    assert front_devices.NoShortcut.enqueue_req is ThreadWorker.enqueue_req
    assert BufferingWorker.handle_request is not ThreadWorker.handle_request
    assert BufferingWorker.enqueue_req is not ThreadWorker.enqueue_req
    assert front_devices.GunicornWriter.enqueue_req is BufferingWorker.enqueue_req
    assert front_devices.NoShortcut.handle_request is BufferingWorker.handle_request


def test_device_off_variants_run_only_when_named_and_write_their_own_page() -> None:
    assert front.parse_args([]).fronts == list(front.FRONTS)
    chosen = front.parse_args(["--fronts", "worker", "worker_no_shortcut"]).fronts
    specs = {spec.name: spec for spec in front.specs(Path("model.onnx"), chosen)}
    argv = specs["worker_no_shortcut"].argv
    assert argv[argv.index("--worker-class") + 1] == "bench.apps.front_devices.NoShortcut"
    assert "--worker-class" not in specs["worker"].argv  # the launcher picks the worker class itself


def test_the_pair_summary_takes_medians_and_spreads_per_pair() -> None:
    rounds = {
        "front/floor": [
            {"cpu_us": 1.2, "requests_per_s": 0.8},
            {"cpu_us": 1.0, "requests_per_s": 0.9},
            {"cpu_us": 1.4, "requests_per_s": 0.7},
        ]
    }
    table, summary = front_pair.summary_table(rounds)
    assert summary["front/floor"] == {
        "cpu_us": 1.2,
        "cpu_us_spread": [1.0, 1.4],
        "requests_per_s": 0.8,
        "requests_per_s_spread": [0.7, 0.9],
    }
    assert table.rows[0][1] == "1.20 [1.00-1.40]"
