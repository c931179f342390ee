"""The official client (tritonclient[http]) and plain HTTP against a real gunicorn: V2 as clients see it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests
from hypothesis import HealthCheck, given, settings

from runtime.predictor import Predictor
from tests.service.server import REPO, Server, run_to_exit
from tests.v2.bad_tensors import CASES
from tests.v2.conftest import INFER
from tests.v2.test_v2_errors import BODIES, assert_no_echo, check_answer

pytestmark = pytest.mark.integration
TRITON_PYTHON = REPO / ".venv-triton" / "bin" / "python"
PROBE = Path(__file__).with_name("triton_probe.py")
ROWS = [
    [45, 90000, "Female"],
    [19, 19000, "Male"],
    [35.5, 62000.25, "Male"],
    [60, 150000, "Female"],
    [47, 25000, "Male"],
    [120, 1_000_000, "Female"],
    [0.5, 0, "Male"],
]


@pytest.fixture(scope="module")
def probe(server: Server) -> dict[str, Any]:
    """What tritonclient saw, from its own venv (created by `make setup-triton`)."""
    if not TRITON_PYTHON.exists():
        message = "the tritonclient venv (.venv-triton) is missing; run `make setup-triton`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(f"tritonclient[http] not installed: {message}")
    result = subprocess.run(
        [
            str(TRITON_PYTHON),
            str(PROBE),
            server.url.removeprefix("http://"),
            "purchase-predictor",
            json.dumps(ROWS),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def test_tritonclient_sees_a_live_ready_server_and_model(probe: dict[str, Any]) -> None:
    assert probe["server_live"] is True and probe["server_ready"] is True
    assert probe["model_ready"] is True and probe["unknown_model_ready"] is False


def test_tritonclient_reads_the_metadata(probe: dict[str, Any], predictor: Predictor) -> None:
    assert probe["server_metadata"] == {"name": "purchase-predictor", "version": "1.0.0", "extensions": []}
    metadata = probe["model_metadata"]
    assert metadata["versions"] == [predictor.model_version] and metadata["platform"] == "onnx_onnxv1"
    assert [(t["name"], t["datatype"], t["shape"]) for t in metadata["inputs"]] == [
        ("age", "FP64", [-1, 1]),
        ("salary", "FP64", [-1, 1]),
        ("gender", "BYTES", [-1, 1]),
    ]
    assert [t["name"] for t in metadata["outputs"]] == ["probability", "prediction"]


def test_tritonclient_inference_equals_predict(
    probe: dict[str, Any], server: Server, predictor: Predictor
) -> None:
    columns = [np.array([r[i] for r in ROWS]) for i in range(3)]
    expected = predictor.probabilities(
        columns[0].astype(float), columns[1].astype(float), columns[2].astype(object)
    )
    assert np.array_equal(np.array(probe["probability"]), expected)  # bit for bit through JSON
    customers: list[Any] = [{"age": a, "salary": s, "gender": g} for a, s, g in ROWS]
    batch = requests.post(f"{server.url}/predict/batch", json={"customers": customers}, timeout=30).json()
    assert [round(p, 4) for p in probe["probability"]] == [p["probability"] for p in batch["predictions"]]
    for customer, decision in zip(customers, probe["prediction"], strict=True):
        assert (
            requests.post(f"{server.url}/predict", json=customer, timeout=30).json()["prediction"] == decision
        )
    expected_response = {
        "model_name": "purchase-predictor",
        "model_version": predictor.model_version,
        "id": "probe-1",
        "parameters": {"threshold": batch["threshold"]},
    }
    assert probe["response"] == expected_response
    assert probe["chosen_outputs"] == ["prediction"]


def test_tritonclient_gets_the_errors_with_status_and_message(probe: dict[str, Any]) -> None:
    assert probe["bad_age"]["status"] == "400" and "row 1: age" in probe["bad_age"]["message"]
    assert probe["binary_default"]["status"] == "400" and "binary" in probe["binary_default"]["message"]
    assert probe["unknown_model"]["status"] == "404"


def test_health_bodies_are_json_as_kserve_needs(server: Server) -> None:
    assert requests.get(f"{server.url}/v2/health/live", timeout=30).json() == {"live": True}
    assert requests.get(f"{server.url}/v2/health/ready", timeout=30).json() == {"ready": True}


def test_bad_tensors_over_real_http_are_400(server: Server) -> None:
    with requests.Session() as session:
        for case, (build, needle) in sorted(CASES.items()):
            response = session.post(f"{server.url}{INFER}", data=json.dumps(build()), timeout=30)
            assert response.status_code == 400, case
            assert response.headers["Content-Type"] == "application/json", case
            assert needle in response.json()["error"], case
            assert_no_echo(response.json()["error"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BODIES)
def test_fuzzed_bodies_over_real_http_never_get_a_server_error(server: Server, body: Any) -> None:
    response = requests.post(f"{server.url}{INFER}", data=json.dumps(body), timeout=30)
    check_answer(response.status_code, response.json())


def test_gunicorn_refuses_a_bad_model_name_naming_the_variable(model_path: Path) -> None:
    result = run_to_exit(model_path, PREDICT_MODEL_NAME="a/b")
    assert result.returncode != 0
    assert "PREDICT_MODEL_NAME" in result.stderr and "Traceback" not in result.stderr
