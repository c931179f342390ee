"""The runtime image builds, serves the same answers as `make serve`, and holds no training libraries."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.docker,
    pytest.mark.skipif(
        os.environ.get("RUN_DOCKER_TESTS") != "1", reason="needs a Docker engine: run `make docker-smoke`"
    ),
]


def _load_smoke() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docker_smoke", ROOT / "docker" / "smoke.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["docker_smoke"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    """Run the whole smoke sequence once; every test reads what it saw."""
    result: dict[str, Any] = _load_smoke().run_smoke()
    print(f"\nimage {result['image']}: {result['image_size_mb']} MB")  # noqa: T201 - reported figure
    return result


def test_container_answers_the_seed_example_like_make_serve(report: dict[str, Any]) -> None:
    answer = report["docker_answer"]
    assert answer["prediction"] in {"Yes", "No"}
    assert 0.0 <= answer["probability"] <= 1.0
    assert _load_smoke().same_answer(answer, report["make_serve_answer"])
    assert "feedback_token" in answer  # drift monitoring runs in the image too


def test_image_has_no_training_libraries(report: dict[str, Any]) -> None:
    assert report["absent_modules"] == ["sklearn", "pandas", "xgboost"]


def test_image_runs_as_non_root(report: dict[str, Any]) -> None:
    assert report["user"] not in {"", "0"}


def test_healthcheck_reports_healthy(report: dict[str, Any]) -> None:
    assert report["health"] == "healthy"


def test_sigterm_stops_cleanly(report: dict[str, Any]) -> None:
    assert report["exit_code"] == 0
    assert report["stop_seconds"] < 20


def test_the_build_leaves_no_untagged_images_behind(report: dict[str, Any]) -> None:
    # the builder stage and the previous image of the tag; under vfs each of their layers is a full copy
    assert report["leftover_images"] == []


def test_the_dockerfile_and_the_smoke_agree_on_the_label() -> None:
    label = _load_smoke().IMAGE_LABEL
    name = label.split("=", 1)[1]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.count(f'LABEL {label.split("=", 1)[0]}="{name}"') == dockerfile.count("\nFROM ") == 2
    assert f"LABEL={label}" in (ROOT / "docker" / "build.sh").read_text().replace('"', "")


def test_image_size_is_reported(report: dict[str, Any]) -> None:
    assert 10 < report["image_size_mb"] < 2000


def test_the_default_front_needs_no_nginx_and_stalled_clients_do_not_block_good_ones(
    report: dict[str, Any],
) -> None:
    assert "nginx" not in report["processes"]  # the default front is gunicorn's buffering worker class
    assert report["answered_while_stalled"] == _load_smoke().GOOD


def test_the_kubernetes_app_command_serves_on_its_socket(report: dict[str, Any]) -> None:
    # deploy/kubernetes/deployment.yaml's app container runs the installed command (the image has no
    # sources); its liveness probe must answer 0 on the socket the nginx sidecar forwards to
    assert report["kubernetes_app_probe"] == 0
