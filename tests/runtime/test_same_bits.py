"""The same row gets the same probability bits whatever batch it is scored in, on the committed model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper

from runtime.model import load_model
from runtime.predictor import Predictor
from runtime.session import open_session

REPO = Path(__file__).resolve().parents[2]
ROWS = 20_000
SIZES = [*range(1, 65), 99, 101, 255, 257, 1001, 2047, 4999, 9999]


@pytest.fixture(scope="module", params=[True, False], ids=["lookup-table", "onnxruntime-only"])
def committed(request: pytest.FixtureRequest) -> Predictor:
    """The model the service ships, scored through its lookup table and through onnxruntime alone."""
    predictor = Predictor(load_model(REPO / "models" / "purchase_model.onnx"), table=request.param)
    assert (predictor.table is not None) is request.param
    predictor.self_test()
    return predictor


@pytest.fixture(scope="module")
def rows() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """20,000 random rows across the whole valid domain, both genders."""
    rng = np.random.default_rng(7)
    age = rng.uniform(1e-9, 120, ROWS)
    salary = rng.uniform(0, 1_000_000, ROWS)
    salary[: ROWS // 2] = rng.uniform(15_000, 150_000, ROWS // 2)  # half inside the training range
    gender = rng.choice(np.array(["Female", "Male"], dtype=object), ROWS)
    return age, salary, gender


def test_every_batch_size_gives_the_same_bits(committed: Predictor, rows: tuple) -> None:
    age, salary, gender = rows
    whole = committed.probabilities(age, salary, gender)
    for size in SIZES:
        parts = [
            committed.probabilities(age[i : i + size], salary[i : i + size], gender[i : i + size])
            for i in range(0, ROWS, size)
        ]
        got = np.concatenate(parts)
        assert np.array_equal(got.view(np.uint64), whole.view(np.uint64)), f"batch size {size}"


def test_predict_one_equals_the_batch(committed: Predictor, rows: tuple) -> None:
    age, salary, gender = (column[:3000] for column in rows)
    batch = committed.predict_columns(age, salary, gender)[0]
    one = [
        committed.predict_one(float(a), float(s), str(g)).probability
        for a, s, g in zip(age, salary, gender, strict=True)
    ]
    assert np.array_equal(np.array(one).view(np.uint64), batch.view(np.uint64))


def test_the_cause_onnxruntime_exp_treats_an_odd_tail_differently() -> None:
    """Measured cause: `Exp` on doubles takes a packet path for pairs and a scalar one for an odd tail."""
    node = helper.make_node("Exp", ["x"], ["y"])
    graph = helper.make_graph(
        [node],
        "exp",
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [None])],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, [None])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    session = open_session(model.SerializeToString())
    x = np.random.default_rng(3).uniform(-30, 30, 2001)
    batch = session.run(None, {"x": x})[0]
    alone = np.array([session.run(None, {"x": x[i : i + 1]})[0][0] for i in range(len(x))])
    in_pairs = np.array([session.run(None, {"x": np.repeat(x[i : i + 1], 2)})[0][0] for i in range(len(x))])
    assert np.sum(alone != batch[: len(x)]) > 0  # a lone row takes the scalar path: other bits
    assert np.array_equal(in_pairs, [*batch[:2000].tolist(), in_pairs[-1]])  # padded pairs match the batch
