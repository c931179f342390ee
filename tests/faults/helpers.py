"""Small waits and file swaps the fault tests share."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from bench.harness.gunicorn import REPO, Gunicorn, server_env

FIRST_VERSION = "logreg-test0000001"


def replace_atomically(target: Path, source: Path) -> None:
    """Put a copy of `source` at `target` the way an operator should (copy, then rename)."""
    tmp = target.with_name(target.name + ".tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def reload_and_wait(server: Gunicorn, timeout: float = 90) -> dict[str, Any]:
    """SIGHUP the master, wait for its check's recorded outcome and for a fresh set of ready workers."""
    before = set(server.workers())
    seq = last_reload(server).get("seq", 0)
    os.kill(server.pid, signal.SIGHUP)
    deadline = time.monotonic() + timeout
    while (outcome := last_reload(server)).get("seq", 0) == seq:
        assert time.monotonic() < deadline, "the reload outcome was not recorded in time"
        time.sleep(0.1)
    server.wait_workers(len(before), exclude=before, timeout=timeout)
    return outcome


def last_reload(server: Gunicorn) -> dict[str, Any]:
    """The master's last recorded reload outcome."""
    path = server.state_dir / "reload.json"
    result: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {"seq": 0}
    return result


def served_version(server: Gunicorn) -> str:
    """What /model names, checked against the X-Model-Version of a prediction."""
    version: str = requests.get(f"{server.url}/model", timeout=10).json()["model_version"]
    answer = requests.post(
        f"{server.url}/predict", json={"age": 40, "salary": 50000, "gender": "Male"}, timeout=10
    )
    assert answer.headers["X-Model-Version"] == version == answer.json()["model_version"]
    return version


def metric(server: Gunicorn, name: str) -> float:
    """One unlabelled sample of /metrics."""
    for line in requests.get(f"{server.url}/metrics", timeout=10).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} is not in /metrics")


def deploy(
    server_model: Path, state_dir: Path, *args: str, module: str = "service.process.deploy", **env: str
) -> subprocess.CompletedProcess[str]:
    """`python -m service.process.deploy ARGS` (or `module`: purchase_predictor, which `make deploy-model` /
    `make rollback` / `make model-history` run) against one server's model path and state directory
    (`env`: extra PREDICT_* settings)."""
    command = [sys.executable, "-m", module, *args]
    return subprocess.run(
        command,
        cwd=REPO,
        env=server_env(server_model, state_dir, **env),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
