"""/predict and /predict/batch agree on every row: same unrounded bits, same 4-decimal value and decision."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from runtime.predictor import Prediction, Predictor
from service.http.app import create_app
from service.process.settings import Settings
from tests.service.conftest import COMMITTED_MODEL

ROWS = 3_000
BATCH_SIZES = (1, 2, 3, 7, 64, 999, 1_001)  # odd and even, cycled over the rows

pytestmark = pytest.mark.skipif(
    not COMMITTED_MODEL.exists(), reason="models/purchase_model.onnx not exported yet"
)


def random_customers(count: int, seed: int = 11) -> list[dict[str, Any]]:
    """Valid customers over the whole domain: ints and floats, in and outside the training ranges."""
    rng = random.Random(seed)
    customers: list[dict[str, Any]] = []
    for i in range(count):
        age: float = rng.uniform(1e-6, 120.0) if i % 3 else rng.randint(1, 120)
        salary: float = rng.uniform(0.0, 1_000_000.0) if i % 2 else rng.uniform(15_000.0, 150_000.0)
        if i % 5 == 0:
            salary = int(salary)
        customers.append({"age": age, "salary": salary, "gender": rng.choice(["Female", "Male"])})
    return customers


def test_predict_and_predict_batch_agree_on_every_row(monkeypatch: pytest.MonkeyPatch) -> None:
    predictor = Predictor.from_path(COMMITTED_MODEL)
    singles: list[float] = []
    batches: list[float] = []
    predict_one, predict_columns = predictor.predict_one, predictor.predict_columns

    def one(age: float, salary: float, gender: str) -> Prediction:
        result = predict_one(age, salary, gender)
        singles.append(result.probability)
        return result

    def columns(ages: Any, salaries: Any, genders: Any) -> tuple[Any, list[bool], list[list[str]]]:
        result = predict_columns(ages, salaries, genders)
        batches.extend(result[0].tolist())
        return result

    monkeypatch.setattr(predictor, "predict_one", one)
    monkeypatch.setattr(predictor, "predict_columns", columns)
    client = create_app(Settings(model_path=COMMITTED_MODEL), predictor).test_client()
    customers = random_customers(ROWS)

    one_answers = []
    for customer in customers:
        response = client.post("/predict", json=customer)
        assert response.status_code == 200
        one_answers.append(response.get_json())
    batch_answers: list[dict[str, Any]] = []
    start, turn = 0, 0
    while start < ROWS:
        size = BATCH_SIZES[turn % len(BATCH_SIZES)]
        response = client.post("/predict/batch", json={"customers": customers[start : start + size]})
        assert response.status_code == 200
        batch_answers.extend(response.get_json()["predictions"])
        start, turn = start + size, turn + 1

    assert len(singles) == len(batches) == ROWS
    assert np.array_equal(np.array(singles).view(np.uint64), np.array(batches).view(np.uint64))
    for single, item in zip(one_answers, batch_answers, strict=True):
        assert (single["probability"], single["prediction"], single["warnings"]) == (
            item["probability"],
            item["prediction"],
            item["warnings"],
        )
    assert {a["prediction"] for a in one_answers} == {"Yes", "No"}
    assert any(a["warnings"] for a in one_answers) and not all(a["warnings"] for a in one_answers)
