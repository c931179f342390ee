"""Model updates on a real gunicorn under counted load: good and bad reloads, respawns, deploy, rollback."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from bench.harness.steady_load import Load
from tests.conftest import ServerFactory
from tests.faults.conftest import SECOND_VERSION
from tests.faults.helpers import (
    FIRST_VERSION,
    deploy,
    metric,
    reload_and_wait,
    replace_atomically,
    served_version,
)

pytestmark = pytest.mark.integration
RATE = 150  # requests/s: steady, well below what two workers serve on a shared machine


def test_good_reload_switches_version_with_no_failed_request(
    start_server: ServerFactory, live_model: Path, second_model: Path
) -> None:
    with start_server() as server:
        assert served_version(server) == FIRST_VERSION
        load = Load(server.url, threads=4, rate=RATE).start()
        time.sleep(1)
        replace_atomically(live_model, second_model)
        outcome = reload_and_wait(server)
        time.sleep(1)
        counts = load.stop()
        assert outcome == {"seq": 1, "ok": True, "version": SECOND_VERSION, "reason": ""}
        assert served_version(server) == SECOND_VERSION
        assert dict(counts.failed) == {} and counts.ok > 100, counts
        assert set(counts.versions) == {FIRST_VERSION, SECOND_VERSION}
        assert metric(server, "predict_model_reload_failures_total") == 0


def test_truncated_model_and_sighup_keep_the_old_model_with_no_failed_request(
    start_server: ServerFactory, live_model: Path
) -> None:
    with start_server() as server:
        load = Load(server.url, threads=4, rate=RATE).start()
        time.sleep(1)
        data = live_model.read_bytes()
        live_model.write_bytes(data[: len(data) // 2])  # truncated in place, as a failed copy leaves it
        outcome = reload_and_wait(server)
        time.sleep(1)
        counts = load.stop()
        assert outcome["ok"] is False and outcome["version"] == FIRST_VERSION
        assert "is not a loadable ONNX model" in outcome["reason"]
        assert dict(counts.failed) == {} and counts.ok > 100, counts
        assert set(counts.versions) == {FIRST_VERSION}
        assert served_version(server) == FIRST_VERSION
        assert metric(server, "predict_model_reload_failures_total") == 1
        refused = [line for line in server.log().splitlines() if "model reload refused" in line]
        assert len(refused) == 1 and "is not a loadable ONNX model" in refused[0], refused
        assert "Traceback" not in server.log()


def test_a_worker_respawned_with_a_bad_file_at_the_model_path_loads_the_validated_model(
    start_server: ServerFactory, live_model: Path
) -> None:
    with start_server() as server:
        live_model.write_bytes(b"\x00not a model" * 50)
        victim = server.workers()[0]
        os.kill(victim, signal.SIGKILL)
        server.wait_workers(2, exclude={victim})
        assert served_version(server) == FIRST_VERSION
        assert server.process.poll() is None
    log = server.log()
    assert "Worker failed to boot" not in log and "cannot start" not in log


def test_a_restart_with_a_bad_file_serves_the_store_and_says_why(
    start_server: ServerFactory, live_model: Path
) -> None:
    with start_server():
        pass
    live_model.write_bytes(b"")
    with start_server() as server:
        assert served_version(server) == FIRST_VERSION
        assert metric(server, "predict_model_reload_failures_total") == 1
        lines = [line for line in server.log().splitlines() if "serving the previously validated" in line]
        assert len(lines) == 1 and FIRST_VERSION in lines[0]


def test_deploy_bad_deploy_and_rollback_under_load(
    start_server: ServerFactory, live_model: Path, second_model: Path, tmp_path: Path
) -> None:
    with start_server() as server:
        load = Load(server.url, threads=4, rate=RATE).start()
        deployed = deploy(live_model, server.state_dir, "deploy", str(second_model))
        assert deployed.returncode == 0, deployed.stderr
        assert f"the service now serves {SECOND_VERSION}" in deployed.stderr
        assert served_version(server) == SECOND_VERSION
        assert live_model.read_bytes() == second_model.read_bytes()

        bad = tmp_path / "bad.onnx"
        bad.write_bytes(b"\x08garbage")
        refused = deploy(live_model, server.state_dir, "deploy", str(bad))
        assert refused.returncode == 1 and "not deployed" in refused.stderr
        assert live_model.read_bytes() == second_model.read_bytes(), "a bad model never reaches the path"

        history = deploy(live_model, server.state_dir, "history")
        lines = history.stderr.splitlines()
        assert len(lines) == 2 and lines[0].startswith("*") and SECOND_VERSION in lines[0], lines

        rolled = deploy(live_model, server.state_dir, "rollback")
        assert rolled.returncode == 0, rolled.stderr
        assert served_version(server) == FIRST_VERSION
        time.sleep(1)
        counts = load.stop()
        assert dict(counts.failed) == {} and counts.ok > 100, counts
        assert set(counts.versions) == {FIRST_VERSION, SECOND_VERSION}
