"""Run by the tritonclient venv's Python (not pytest): drive a server with the official client, print JSON.

Usage: `python triton_probe.py URL MODEL ROWS_JSON`. tritonclient[http] pins ml-dtypes below the project's
onnx pin, so it lives in its own venv (.venv-triton, from requirements/tritonclient.txt); this script
imports nothing from the project. tests/v2/test_tritonclient.py asserts on what it prints.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException


def inputs(rows: list[list[Any]], binary: bool) -> list[Any]:
    """age, salary (FP64) and gender (BYTES) tensors of shape [N, 1]."""
    n = len(rows)
    age = httpclient.InferInput("age", [n, 1], "FP64")
    age.set_data_from_numpy(np.array([[r[0]] for r in rows], dtype=np.float64), binary_data=binary)
    salary = httpclient.InferInput("salary", [n, 1], "FP64")
    salary.set_data_from_numpy(np.array([[r[1]] for r in rows], dtype=np.float64), binary_data=binary)
    gender = httpclient.InferInput("gender", [n, 1], "BYTES")
    gender.set_data_from_numpy(np.array([[r[2]] for r in rows], dtype=object), binary_data=binary)
    return [age, salary, gender]


def failure(call: Callable[[], Any]) -> dict[str, Any]:
    """The status and message of the InferenceServerException a call raises (or that it did not)."""
    try:
        call()
    except InferenceServerException as exc:
        return {"status": exc.status(), "message": exc.message()}
    return {"status": None, "message": "no error"}


def main(url: str, model: str, rows: list[list[Any]]) -> dict[str, Any]:
    """Everything the tests check, gathered through the client."""
    client = httpclient.InferenceServerClient(url=url, network_timeout=30.0, connection_timeout=10.0)
    try:
        result = client.infer(model, inputs(rows, binary=False), request_id="probe-1")
        bad_rows = [[*rows[0]], [130.0, rows[0][1], rows[0][2]]]
        wanted = [httpclient.InferRequestedOutput("prediction", binary_data=False)]
        chosen = client.infer(model, inputs(rows, binary=False), outputs=wanted)
        return {
            "server_live": client.is_server_live(),
            "server_ready": client.is_server_ready(),
            "model_ready": client.is_model_ready(model),
            "unknown_model_ready": client.is_model_ready("no-such-model"),
            "server_metadata": client.get_server_metadata(),
            "model_metadata": client.get_model_metadata(model),
            "probability": result.as_numpy("probability").tolist(),
            "prediction": [
                p if isinstance(p, str) else p.decode() for p in result.as_numpy("prediction").tolist()
            ],
            "response": {k: v for k, v in result.get_response().items() if k != "outputs"},
            "chosen_outputs": [o["name"] for o in chosen.get_response()["outputs"]],
            "bad_age": failure(lambda: client.infer(model, inputs(bad_rows, binary=False))),
            "binary_default": failure(lambda: client.infer(model, inputs(rows, binary=True))),
            "unknown_model": failure(lambda: client.infer("no-such-model", inputs(rows, binary=False))),
        }
    finally:
        client.close()


if __name__ == "__main__":
    sys.stdout.write(json.dumps(main(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]))) + "\n")
