"""Server start/stop on free loopback ports with the floor and alternative apps (starts real processes)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import requests

from bench.harness import servers, wrk
from bench.harness.rounds import SEED_EXAMPLE, preflight, settle_workers
from bench.http_bench import alternative_spec

pytestmark = pytest.mark.integration
BODY = json.dumps(SEED_EXAMPLE).encode()


@pytest.fixture
def floor_spec(tmp_path: Path) -> servers.ServerSpec:
    """The floor app under gunicorn with two sync workers and a minimal config."""
    config = tmp_path / "gunicorn.conf.py"
    config.write_text("workers = 2\nloglevel = 'warning'\n")
    return servers.gunicorn_spec("floor", servers.FLOOR_APP, config)


def test_free_port_is_bindable() -> None:
    assert 1024 <= servers.free_port() <= 65535


def test_floor_starts_answers_and_is_stopped_with_its_workers(
    floor_spec: servers.ServerSpec, tmp_path: Path
) -> None:
    with servers.serve(floor_spec, tmp_path, timeout=30) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert settle_workers(server, timeout=10) == 2
        workers = server.workers()
        assert preflight(server.url + "/predict", BODY) == {"prediction": "No", "probability": 0.5}
    assert server.process.poll() is not None
    assert all(not Path(f"/proc/{pid}").exists() for pid in workers)
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + "/health", timeout=2)


def test_serve_reports_a_server_that_exits_at_start(tmp_path: Path) -> None:
    spec = servers.gunicorn_spec("broken", "bench.no_such_module:app", tmp_path / "missing.conf.py")
    with pytest.raises(RuntimeError, match="exited"), servers.serve(spec, tmp_path, timeout=30):
        pass


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk not installed")
def test_wrk_round_against_the_floor_parses_without_errors(
    floor_spec: servers.ServerSpec, tmp_path: Path
) -> None:
    script = wrk.write_script(tmp_path, BODY)
    with servers.serve(floor_spec, tmp_path, timeout=30) as server:
        result = wrk.run_wrk(server.url + "/predict", script, connections=4, duration_s=1)
    assert result.requests > 0 and result.errors == 0
    assert 0 < result.p50_ms <= result.p99_ms


def test_alternative_app_predicts_the_seed_example(stand_ins: tuple[Path, Path], tmp_path: Path) -> None:
    joblib_path, _ = stand_ins
    with servers.serve(alternative_spec(joblib_path, workers=1), tmp_path, timeout=60) as server:
        answer = preflight(server.url + "/predict", BODY, ("probability", "prediction"))
        invalid = requests.post(
            server.url + "/predict", json={"age": 45, "salary": 90000, "gender": "x"}, timeout=10
        )
    assert 0.0 <= answer["probability"] <= 1.0 and answer["prediction"] in {"Yes", "No"}
    assert invalid.status_code == 422
