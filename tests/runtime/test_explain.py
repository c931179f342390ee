"""Exact Shapley contributions (runtime/explain.py): equal to the shap library's exact explainer, the
Shapley properties (efficiency, symmetry, dummy), the same bits on the table and onnxruntime paths and in
any batch, and a background anyone can recompute them from."""

from __future__ import annotations

import json
import math
import warnings
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pytest

from runtime import contract as c
from runtime.background import Background
from runtime.errors import ExplanationUnavailable
from runtime.explain import Explainer, background_document
from runtime.predictor import Predictor
from tests.onnx_factory import write_model
from training.explanation_background import explanation_background

GENDERS = np.array(c.GENDERS, dtype=object)
SHAP_TOLERANCE = 1e-9
EFFICIENCY_TOLERANCE = 1e-12


def random_rows(n: int, seed: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], Any]:
    """Valid rows over the whole domain, with the training ranges over-represented."""
    rng = np.random.default_rng(seed)
    age = np.where(rng.random(n) < 0.8, rng.uniform(18, 60, n), rng.uniform(0.5, 120, n)).round(1)
    salary = np.where(rng.random(n) < 0.8, rng.uniform(15e3, 150e3, n), rng.uniform(0, 1e6, n)).round(0)
    return age, salary, GENDERS[rng.integers(0, 2, n)]


def shap_values(predictor: Predictor, background: Background, rows: int, seed: int) -> tuple[Any, Any]:
    """shap's exact explainer on the predictor, the integer-weighted background expanded by repetition."""
    with warnings.catch_warnings():  # shap's plotting import touches a matplotlib API marked for removal
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        import shap

    def model(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return predictor.probabilities(x[:, 0], x[:, 1], GENDERS[x[:, 2].astype(np.intp)])

    codes = (background.gender == c.GENDERS[1]).astype(np.float64)
    expanded = np.repeat(np.column_stack([background.age, background.salary, codes]), background.counts, 0)
    masker = shap.maskers.Independent(expanded, max_samples=len(expanded))
    age, salary, gender = random_rows(rows, seed)
    x = np.column_stack([age, salary, (gender == c.GENDERS[1]).astype(np.float64)])
    result = shap.explainers.Exact(model, masker)(x, silent=True)
    return (age, salary, gender), result


@pytest.fixture(scope="module")
def logreg(tmp_path_factory: pytest.TempPathFactory) -> Predictor:
    """The tests' logistic regression (no lookup table: onnxruntime path) with a background."""
    rng = np.random.default_rng(5)
    frame = {
        c.AGE: rng.integers(18, 61, 200).astype(float),
        c.SALARY: rng.integers(15, 151, 200).astype(float) * 1000,
        c.GENDER: GENDERS[rng.integers(0, 2, 200)],
    }
    import pandas as pd

    background = json.dumps(explanation_background(pd.DataFrame(frame)))
    path = write_model(
        tmp_path_factory.mktemp("logreg") / "m.onnx", {c.META_EXPLANATION_BACKGROUND: background}
    )
    predictor = Predictor.from_path(path)
    assert predictor.table is None
    return predictor


def test_the_committed_model_carries_a_background(committed: Predictor) -> None:
    background = committed.metadata.explanation_background
    assert background is not None and committed.table is not None
    assert Explainer.of(committed).cells is not None  # the per-cell path is the one served


@pytest.mark.parametrize("which", ["committed", "logreg"])
def test_contributions_equal_shap_exact_explainer(which: str, request: pytest.FixtureRequest) -> None:
    predictor = request.getfixturevalue(which)
    background = predictor.metadata.explanation_background
    (age, salary, gender), expected = shap_values(predictor, background, rows=12, seed=1)
    got = Explainer.of(predictor).explain(age, salary, gender)
    assert np.abs(got.contributions - expected.values).max() <= SHAP_TOLERANCE
    assert np.abs(got.base - expected.base_values).max() <= SHAP_TOLERANCE


@pytest.mark.parametrize("which", ["committed", "logreg"])
def test_efficiency_contributions_sum_to_probability_minus_base(
    which: str, request: pytest.FixtureRequest
) -> None:
    predictor = request.getfixturevalue(which)
    age, salary, gender = random_rows(20_000 if which == "committed" else 200, seed=2)
    got = Explainer.of(predictor).explain(age, salary, gender)
    error = np.abs(got.contributions.sum(axis=1) - (got.probabilities - got.base))
    assert error.max() <= EFFICIENCY_TOLERANCE
    assert np.array_equal(
        got.probabilities.view(np.int64), predictor.probabilities(age, salary, gender).view(np.int64)
    )


def test_table_and_onnxruntime_paths_give_the_same_bits(committed: Predictor) -> None:
    background = committed.metadata.explanation_background
    assert background is not None
    onnx_only = Explainer(Predictor(committed.model, table=False), background)
    assert onnx_only.cells is None
    age, salary, gender = random_rows(150, seed=3)
    table, onnx = Explainer.of(committed).explain(age, salary, gender), onnx_only.explain(age, salary, gender)
    assert table.base == onnx.base
    assert np.array_equal(table.contributions.view(np.int64), onnx.contributions.view(np.int64))


@pytest.mark.parametrize("which", ["committed", "logreg"])
def test_a_row_gets_the_same_bits_alone_and_in_any_batch(which: str, request: pytest.FixtureRequest) -> None:
    explainer = Explainer.of(request.getfixturevalue(which))
    age, salary, gender = random_rows(9, seed=4)
    batch = explainer.explain(age, salary, gender).contributions
    for i in range(len(age)):
        alone = explainer.explain(age[i : i + 1], salary[i : i + 1], gender[i : i + 1]).contributions[0]
        assert np.array_equal(alone.view(np.int64), batch[i].view(np.int64))
    odd = explainer.explain(age[1:8], salary[1:8], gender[1:8]).contributions
    assert np.array_equal(odd.view(np.int64), batch[1:8].view(np.int64))


def _formula_predictor(function: Any) -> Predictor:
    """A stand-in predictor computing a chosen f row by row with `math` (NumPy's vectorised exp may round
    a row differently by its position in the array; the real predictor guarantees per-row bits)."""

    def probabilities(age: Any, salary: Any, gender: Any) -> npt.NDArray[np.float64]:
        rows = zip(
            np.asarray(age).tolist(), np.asarray(salary).tolist(), np.asarray(gender).tolist(), strict=True
        )
        return np.array([function(*row) for row in rows], dtype=np.float64)

    return cast(Predictor, SimpleNamespace(probabilities=probabilities, table=None, model_version="formula"))


def _background(points: list[tuple[float, float, str]], counts: list[int]) -> Background:
    weights = np.array(counts, dtype=np.float64) / sum(counts)
    return Background(
        age=np.array([p[0] for p in points]),
        salary=np.array([p[1] for p in points]),
        gender=np.array([p[2] for p in points], dtype=object),
        counts=np.array(counts, dtype=np.int64),
        weights=weights,
    )


def test_symmetry_interchangeable_inputs_get_equal_contributions() -> None:
    def f(age: float, salary: float, gender: str) -> float:
        z = 3.0 * (age / 120.0) * (salary / 1e6) + age / 120.0 + salary / 1e6 + 0.2 * (gender == "Male")
        return 1.0 / (1.0 + math.exp(-z))

    # swapping age/120 and salary/1e6 maps the background onto itself, with the same weights
    background = _background(
        [(60.0, 250_000.0, "Male"), (30.0, 500_000.0, "Male"), (90.0, 750_000.0, "Female")], [5, 5, 7]
    )
    background_swapped = _background([(90.0, 750_000.0, "Female")], [5])
    explainer = Explainer(_formula_predictor(f), background)
    fractions = np.array([0.1, 0.35, 0.5, 0.8])
    got = explainer.explain(fractions * 120, fractions * 1e6, GENDERS[[0, 1, 0, 1]]).contributions
    assert np.abs(got[:, 0] - got[:, 1]).max() <= 1e-15
    assert np.abs(got[:, 0]).min() > 1e-3  # not trivially equal: both inputs matter
    lone = Explainer(_formula_predictor(f), background_swapped).explain([60.0], [250_000.0], ["Female"])
    assert lone.contributions[0, 2] == 0.0  # the row's gender equals every background point's: no effect


def test_dummy_an_ignored_input_gets_exactly_zero() -> None:
    def f(age: float, salary: float, gender: str) -> float:
        return 1.0 / (1.0 + math.exp(-(age / 40.0 - 1.0) * (salary / 5e4 - 1.0)))

    background = _background([(25.0, 40_000.0, "Female"), (50.0, 90_000.0, "Male")], [6, 9])
    age, salary, gender = random_rows(500, seed=5)
    got = Explainer(_formula_predictor(f), background).explain(age, salary, gender)
    assert np.all(got.contributions[:, 2] == 0.0)
    assert np.abs(got.contributions[:, :2]).max() > 0.1


def test_a_model_without_background_serves_and_refuses_explanations(predictor: Predictor) -> None:
    assert predictor.ready and predictor.metadata.explanation_background is None
    assert background_document(predictor.metadata) is None
    with pytest.raises(ExplanationUnavailable, match=r"carries no explanation background.*make export"):
        Explainer.of(predictor)


def test_the_published_background_recomputes_every_contribution(committed: Predictor) -> None:
    """What docs/model/explanations.md tells a reader to do with /model's `explanation_background`."""
    document = background_document(committed.metadata)
    assert document is not None
    points, weights = document["points"], document["weights"]
    assert len(points) == len(weights) and abs(sum(weights) - 1.0) <= 1e-12
    json.dumps(document, allow_nan=False)  # plain JSON

    def f(age: float, salary: float, gender: str) -> float:
        return float(
            committed.probabilities(np.array([age]), np.array([salary]), np.array([gender], dtype=object))[0]
        )

    def v(row: dict[str, Any], coalition: set[str]) -> float:
        total = 0.0
        for point, weight in zip(points, weights, strict=True):
            mixed: dict[str, Any] = {n: row[n] if n in coalition else point[n] for n in c.INPUT_NAMES}
            total += weight * f(mixed[c.AGE], mixed[c.SALARY], mixed[c.GENDER])
        return total

    row = {c.AGE: 42.0, c.SALARY: 61_000.0, c.GENDER: "Female"}
    got = Explainer.of(committed).explain([row[c.AGE]], [row[c.SALARY]], [row[c.GENDER]])
    assert v(row, set()) == got.base
    for j, name in enumerate(c.INPUT_NAMES):
        others = [o for o in c.INPUT_NAMES if o != name]
        phi = (
            (v(row, {name}) - v(row, set())) / 3
            + (v(row, {name, others[0]}) - v(row, {others[0]})) / 6
            + (v(row, {name, others[1]}) - v(row, {others[1]})) / 6
            + (v(row, set(c.INPUT_NAMES)) - v(row, set(others))) / 3
        )
        assert abs(phi - got.contributions[0, j]) <= 1e-15
    document_row = got.document(0)
    assert document_row["base"] == got.base
    assert list(document_row["contributions"]) == list(c.INPUT_NAMES)
