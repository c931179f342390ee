"""V2's requested `contributions` output: FP64 [N, 3] in input order, the runtime's bits, and its errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from flask.testing import FlaskClient

from runtime.explain import Explainer
from runtime.predictor import Predictor
from tests.scoring.conftest import random_rows
from tests.v2.conftest import INFER
from tests.v2.test_v2_api import infer, outputs, tensors

ROWS = 777


@pytest.fixture(scope="module")
def rows() -> list[tuple[float, float, str]]:
    """Customers across the whole domain."""
    age, salary, gender = random_rows(ROWS, seed=29)
    return list(zip(age.tolist(), salary.tolist(), gender.tolist(), strict=True))


def requested(rows: list[tuple[float, float, str]], *names: str) -> dict[str, Any]:
    """An infer body asking for these outputs."""
    return {"inputs": tensors(rows), "outputs": [{"name": name} for name in names]}


def test_contributions_are_the_runtimes_bits_in_input_order(
    committed_client: FlaskClient, committed_predictor: Predictor, rows: list[tuple[float, float, str]]
) -> None:
    status, body = infer(committed_client, requested(rows, "probability", "contributions"))
    assert status == 200
    assert [(o["name"], o["datatype"], o["shape"]) for o in body["outputs"]] == [
        ("probability", "FP64", [ROWS]),
        ("contributions", "FP64", [ROWS, 3]),
    ]
    columns = [np.array([r[i] for r in rows], dtype=object if i == 2 else np.float64) for i in range(3)]
    want = Explainer.of(committed_predictor).explain(*columns)
    got = np.array(outputs(body)["contributions"], dtype=np.float64).reshape(ROWS, 3)
    assert np.array_equal(got.view(np.uint64), want.contributions.view(np.uint64))
    probability = np.array(outputs(body)["probability"], dtype=np.float64)
    assert np.array_equal(probability.view(np.uint64), want.probabilities.view(np.uint64))


def test_contributions_come_only_when_named(
    committed_client: FlaskClient, rows: list[tuple[float, float, str]]
) -> None:
    status, body = infer(committed_client, {"inputs": tensors(rows[:5])})
    assert status == 200 and [o["name"] for o in body["outputs"]] == ["probability", "prediction"]
    status, body = infer(committed_client, requested(rows[:5], "contributions"))
    assert status == 200 and [o["name"] for o in body["outputs"]] == ["contributions"]


def test_metadata_lists_contributions_only_for_a_model_with_a_background(
    committed_client: FlaskClient, client: FlaskClient
) -> None:
    listed = committed_client.get("/v2/models/purchase-predictor").get_json()["outputs"]
    assert listed[-1] == {"name": "contributions", "datatype": "FP64", "shape": [-1, 3]}
    plain = client.get("/v2/models/purchase-predictor").get_json()["outputs"]
    assert [o["name"] for o in plain] == ["probability", "prediction"]


def test_a_model_without_a_background_answers_409_in_the_v2_shape(client: FlaskClient) -> None:
    status, body = infer(client, requested([(45, 90000, "Female")], "probability", "contributions"))
    assert status == 409 and set(body) == {"error"}
    assert "carries no explanation background" in body["error"]


@pytest.mark.parametrize("name", ["contribution", "Contributions", "shap", "label"])
def test_unknown_outputs_keep_their_400(committed_client: FlaskClient, name: str) -> None:
    status, body = infer(committed_client, requested([(45, 90000, "Female")], name))
    assert status == 400
    assert body == {"error": "outputs[0] must name one of probability, prediction, contributions."}


def test_contributions_requested_twice_is_refused(committed_client: FlaskClient) -> None:
    status, body = infer(
        committed_client, requested([(45, 90000, "Female")], "contributions", "contributions")
    )
    assert status == 400 and body == {"error": "output 'contributions' is requested more than once."}


def test_the_unversioned_and_versioned_paths_agree(
    committed_client: FlaskClient, committed_predictor: Predictor, rows: list[tuple[float, float, str]]
) -> None:
    versioned = INFER.replace("/infer", f"/versions/{committed_predictor.model_version}/infer")
    _, one = infer(committed_client, requested(rows[:50], "contributions"))
    _, two = infer(committed_client, requested(rows[:50], "contributions"), versioned)
    assert outputs(one) == outputs(two)
