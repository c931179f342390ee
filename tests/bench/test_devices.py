"""bench.devices and bench.layouts: device switches, noise, verdicts and tables."""

from __future__ import annotations

import gc
import importlib.util
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import prometheus_client  # noqa: F401  # imported first: it picks its value class once, from the environment
import pytest
import requests

from bench import devices, layouts, run
from bench.apps.device_switches import DEVICES, switch_off
from bench.harness import servers, variants
from bench.harness.rounds import HttpPlan
from service.process import reload


def test_an_unknown_device_is_refused_and_none_changes_nothing() -> None:
    switch_off("")
    switch_off("gc_freeze")  # a gunicorn-hook device: nothing to patch in the app
    with pytest.raises(ValueError, match="BENCH_DEVICE_OFF must be one of"):
        switch_off("turbo")


def _round(rps: float, p99: float, cpu: float) -> dict[str, Any]:
    return {"requests_per_s": rps, "p50_ms": p99 / 3, "p99_ms": p99, "server_cpu_us": cpu, "errors": 0}


def test_summarize_takes_medians_and_per_round_ratios_with_their_spread() -> None:
    rounds = {
        "all_on": [_round(1000, 10, 500), _round(800, 20, 500), _round(1000, 10, 400)],
        "no_x": [_round(500, 20, 1000), _round(800, 20, 600), _round(900, 10, 400)],
    }
    summary = variants.summarize(rounds, "all_on")
    assert summary["no_x"]["requests_per_s"] == 800
    assert summary["no_x"]["requests_per_s_ratio"] == 0.9  # pairs 0.5, 1.0, 0.9
    assert summary["no_x"]["requests_per_s_spread"] == [0.5, 1.0]
    assert summary["all_on"]["server_cpu_us_ratio"] == 1.0
    table = variants.render(summary, "all_on", {"no_x": "x off"})
    assert "| no_x | 800 | " in table and "0.90 [0.50-1.00]" in table and "x off |" in table


def test_a_device_is_kept_only_when_it_buys_more_than_the_noise() -> None:
    base = [_round(1000, 10, 500)] * 3
    rounds = {
        "all_on": base,
        "all_on_again": [_round(950, 10, 520), _round(1020, 10, 490), _round(1000, 10, 500)],
        "no_big": [_round(700, 10, 700)] * 3,  # off: 30 % fewer requests, 40 % more CPU
        "no_small": [_round(980, 10, 505)] * 3,  # off: within the A/A copy's ±5 % and ±4 %
    }
    judged = devices.verdicts(variants.summarize(rounds, "all_on"), ("big", "small"))
    assert judged["noise"] == {"requests_per_s": 0.05, "server_cpu_us": 0.04}
    assert judged["devices"]["big"]["keep"] and not judged["devices"]["small"]["keep"]
    assert judged["devices"]["big"]["throughput_gain"] == pytest.approx(0.429, abs=1e-3)
    assert judged["devices"]["big"]["cpu_saving"] == pytest.approx(0.286, abs=1e-3)


def test_device_specs_switch_off_one_device_each(tmp_path: Path) -> None:
    specs = {spec.name: spec for spec in devices.specs(tmp_path / "m.onnx")}
    assert list(specs)[:3] == ["all_on", "all_on_again", "floor"]
    assert {name for name in specs if name.startswith("no_")} == {f"no_{d}" for d in DEVICES}
    assert specs["no_flusher"].env["BENCH_DEVICE_OFF"] == "flusher"
    assert "BENCH_DEVICE_OFF" not in specs["all_on"].env


def test_layout_specs_set_workers_threads_and_the_worker_class(tmp_path: Path) -> None:
    specs = {spec.name: spec for spec in layouts.specs(tmp_path / "m.onnx", ["gthread_4x1", "sync_2"])}
    assert set(specs) == {"floor_sync", "floor", "gthread_4x1", "sync_2"}
    assert (specs["gthread_4x1"].env["PREDICT_WORKERS"], specs["gthread_4x1"].env["PREDICT_THREADS"]) == (
        "4",
        "1",
    )
    assert "sync" in specs["sync_2"].argv and "sync" not in specs["gthread_4x1"].argv
    assert "sync" in specs["floor_sync"].argv


@pytest.mark.parametrize(("off", "frozen"), [("", True), ("gc_freeze", False), ("fastpath", True)])
def test_the_device_config_leaves_out_only_the_named_hook(
    monkeypatch: pytest.MonkeyPatch, off: str, frozen: bool
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")  # the service config sets it: restored afterwards
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    monkeypatch.setenv("PREDICT_STATE_DIR", "")  # the master's hooks export it: restored afterwards
    monkeypatch.delenv("PREDICT_STATE_DIR")
    assert "prometheus_client" in sys.modules  # already set up without it (see the import above)
    spec = importlib.util.spec_from_file_location("bench_gunicorn_devices", devices.DEVICE_CONF)
    assert spec is not None and spec.loader is not None
    config = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(config)
    before = sys.getswitchinterval()
    monkeypatch.setenv("BENCH_DEVICE_OFF", off)
    try:
        config.post_worker_init(None)
        assert (gc.get_freeze_count() > 0) == frozen
        assert sys.getswitchinterval() == before  # the service no longer changes it
        assert config.worker_class == "gthread" and callable(config.on_starting)
    finally:
        gc.unfreeze()
        sys.setswitchinterval(before)
        shutil.rmtree(config._METRICS_DIR, ignore_errors=True)
        reload.cleanup()  # the temporary model store and metrics directory the config made


def test_make_bench_runs_a_second_floor_on_sync_workers(tmp_path: Path) -> None:
    specs = run.server_specs(tmp_path / "p.joblib", tmp_path / "m.onnx")
    assert list(specs) == ["project", "front", "floor", "floor_sync", "alternative"]
    sync, gthread = specs["floor_sync"], specs["floor"]
    assert sync is not None and gthread is not None
    assert sync.argv[-1] == gthread.argv[-1] == "bench.apps.floor:app"
    assert "--worker-class" in sync.argv and "--worker-class" not in gthread.argv


def test_make_bench_measures_the_front_as_make_serve_runs_it(tmp_path: Path) -> None:
    specs = run.server_specs(tmp_path / "p.joblib", tmp_path / "m.onnx")
    front, project = specs["front"], specs["project"]
    assert front is not None and project is not None
    assert front.argv[-2:] == ("-m", "service.process.launch") and front.env["PREDICT_FRONT"] == "worker"
    assert front.depth == 1  # the launcher execs gunicorn: its workers are the started process's children
    assert run.front_spec("n", {}, "nginx").depth == 2  # nginx and gunicorn masters, then their workers
    assert "PREDICT_FRONT" not in project.env  # the service without the front: plain gthread gunicorn


@pytest.mark.integration
@pytest.mark.skipif(
    shutil.which("wrk") is None and not os.environ.get("CI"), reason="wrk not installed (apt-get install wrk)"
)
def test_a_device_switched_off_serves_the_same_answers_under_the_harness(
    stand_ins: tuple[Path, Path], tmp_path: Path
) -> None:
    _, onnx_path = stand_ins
    specs = [s for s in devices.specs(onnx_path, ("fastpath",)) if s.name in ("all_on", "no_fastpath")]
    plan = HttpPlan(rounds=1, duration_s=1.0, warmup_s=1.0, connections=4, batch_size=0)
    rounds = variants.measure(specs, plan, tmp_path)
    assert set(rounds) == {"all_on", "no_fastpath"}
    assert all(r[0]["requests"] > 0 and r[0]["errors"] == 0 for r in rounds.values())
    answers = []
    for spec in specs:
        with servers.serve(spec, tmp_path, timeout=60) as server:
            body: dict[str, Any] = {"age": 45, "salary": 90000, "gender": "Male"}
            answers.append(requests.post(server.url + "/predict", json=body, timeout=10).content)
            bad = requests.post(server.url + "/predict", json={**body, "age": 0}, timeout=10)
            assert bad.status_code == 422 and b"age" in bad.content
        assert b"switched off" in server.log_path.read_bytes() or spec.name == "all_on"
    assert answers[0] == answers[1]
