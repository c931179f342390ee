"""The explanation background: k-anonymous (every point at least 5 training rows, no raw row), carried by the
model file through export, refused with one line when malformed; a model trained without gender gets a
gender contribution of exactly 0."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from runtime import contract as c
from runtime.errors import ModelError
from runtime.explain import Explainer
from runtime.predictor import Predictor
from tests.onnx_factory import write_model
from training.explanation_background import BackgroundError, explanation_background, partition
from training.load import load_customers

REPO = Path(__file__).resolve().parents[2]
CUSTOMERS = REPO / "data" / "customers.csv"


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    """The committed data set in the contract's columns (the training split is a subset of it)."""
    return load_customers(CUSTOMERS).frame


def test_every_cell_holds_at_least_k_rows_of_one_gender_and_every_row_is_in_one_cell(
    customers: pd.DataFrame,
) -> None:
    for gender in c.GENDERS:
        rows = customers[customers[c.GENDER] == gender][[c.AGE, c.SALARY]].to_numpy(dtype=np.float64)
        cells = partition(rows, (100.0, 150_000.0))
        assert min(len(cell) for cell in cells) >= c.BACKGROUND_MIN_ROWS
        assert sorted(np.concatenate(cells).tolist()) == list(range(len(rows)))
        assert len(cells) > len(rows) // (4 * c.BACKGROUND_MIN_ROWS)  # fine enough to keep the shape


def test_points_are_cell_means_weighted_by_count(customers: pd.DataFrame) -> None:
    document = explanation_background(customers)
    assert document["rows"] == len(customers) == sum(document["counts"])
    assert min(document["counts"]) >= c.BACKGROUND_MIN_ROWS == document["min_rows"]
    for gender in c.GENDERS:
        mine = [i for i, p in enumerate(document["points"]) if p[c.GENDER] == gender]
        assert sum(document["counts"][i] for i in mine) == int((customers[c.GENDER] == gender).sum())
    weights = np.array(document["counts"]) / document["rows"]
    for name in c.NUMERIC_INPUTS:  # the weighted points keep the training mean of each input
        mean = sum(w * p[name] for w, p in zip(weights, document["points"], strict=True))
        assert mean == pytest.approx(customers[name].mean(), rel=1e-12)


def test_the_committed_background_is_k_anonymous_and_holds_no_raw_row(
    committed: Predictor, customers: pd.DataFrame
) -> None:
    background = committed.metadata.explanation_background
    assert background is not None
    training = json.loads((REPO / "models" / "training.json").read_text())
    assert int(background.counts.sum()) == training["data"]["train_rows"]
    assert int(background.counts.min()) >= c.BACKGROUND_MIN_ROWS
    raw = set(zip(customers[c.AGE], customers[c.SALARY], customers[c.GENDER], strict=True))
    points = set(zip(background.age.tolist(), background.salary.tolist(), background.gender, strict=True))
    assert not points & raw
    assert len(background) > 20  # a joint background, not a handful of marginals


def test_the_committed_background_is_the_one_built_from_the_training_split(committed: Predictor) -> None:
    from sklearn.model_selection import train_test_split

    from training.train import TEST_SIZE

    training = json.loads((REPO / "models" / "training.json").read_text())
    frame = load_customers(REPO / training["data"]["path"]).frame
    x_train, _ = train_test_split(
        frame[list(c.INPUT_NAMES)],
        test_size=TEST_SIZE,
        stratify=frame["purchased"],
        random_state=training["seed"],
    )  # training/train.py's split
    rebuilt = explanation_background(x_train.reset_index(drop=True))
    assert rebuilt == training[c.META_EXPLANATION_BACKGROUND]
    background = committed.metadata.explanation_background
    assert background is not None
    assert background.counts.tolist() == rebuilt["counts"]
    assert background.age.tolist() == [p[c.AGE] for p in rebuilt["points"]]
    for gender in c.GENDERS:  # every cell of the training split holds at least k rows
        rows = x_train[x_train[c.GENDER] == gender][list(c.NUMERIC_INPUTS)].to_numpy(dtype=np.float64)
        spans = (float(np.ptp(x_train[c.AGE])), float(np.ptp(x_train[c.SALARY])))
        cells = partition(rows, spans)
        assert min(len(cell) for cell in cells) >= c.BACKGROUND_MIN_ROWS
        assert sum(len(cell) for cell in cells) == len(rows)


def test_too_few_rows_of_a_gender_is_refused() -> None:
    frame = pd.DataFrame({c.AGE: [30.0] * 12, c.SALARY: [5e4] * 12, c.GENDER: ["Female"] * 9 + ["Male"] * 3})
    with pytest.raises(BackgroundError, match="only 3 Male training rows"):
        explanation_background(frame)


POINT = {c.AGE: 40.0, c.SALARY: 60_000.0, c.GENDER: "Female"}
MALFORMED: dict[str, tuple[str, str]] = {
    "not JSON": ("{points", "is not valid JSON"),
    "a list": ("[]", "must be a JSON object"),
    "no counts": (json.dumps({"points": [POINT]}), "needs lists 'points' and 'counts'"),
    "no points": (json.dumps({"points": [], "counts": []}), "must have 1 to 1024 points, has 0"),
    "too many points": (
        json.dumps({"points": [POINT] * 1025, "counts": [5] * 1025}),
        "must have 1 to 1024 points, has 1025",
    ),
    "counts differ": (json.dumps({"points": [POINT], "counts": [5, 5]}), "has 1 points but 2 counts"),
    "a cell of 4 rows": (
        json.dumps({"points": [POINT], "counts": [4]}),
        "count 0 must be a whole number of at least 5",
    ),
    "a fractional count": (
        json.dumps({"points": [POINT], "counts": [5.5]}),
        "count 0 must be a whole number",
    ),
    "a boolean count": (json.dumps({"points": [POINT], "counts": [True]}), "count 0 must be a whole number"),
    "NaN age": (
        json.dumps({"points": [{**POINT, c.AGE: float("nan")}], "counts": [5]}),
        "point 0 needs a finite number age",
    ),
    "text salary": (
        json.dumps({"points": [{**POINT, c.SALARY: "60000"}], "counts": [5]}),
        "point 0 needs a finite number salary",
    ),
    "age outside the domain": (
        json.dumps({"points": [POINT, {**POINT, c.AGE: 0.0}], "counts": [5, 5]}),
        "point 1 age must be greater than 0 and at most 120",
    ),
    "unknown gender": (
        json.dumps({"points": [{**POINT, c.GENDER: "M"}], "counts": [5]}),
        "point 0 gender must be one of Female, Male",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_background_is_refused_with_one_line(tmp_path: Path, case: str) -> None:
    value, expected = MALFORMED[case]
    path = write_model(tmp_path / "m.onnx", {c.META_EXPLANATION_BACKGROUND: value})
    with pytest.raises(ModelError) as info:
        Predictor.from_path(path)
    message = str(info.value)
    assert f"metadata {c.META_EXPLANATION_BACKGROUND} {expected}" in message
    assert message.isascii() and message.isprintable() and "\n" not in message


def test_a_well_formed_background_loads(tmp_path: Path) -> None:
    value = json.dumps({"points": [POINT, {**POINT, c.GENDER: "Male"}], "counts": [5, 15]})
    predictor = Predictor.from_path(write_model(tmp_path / "m.onnx", {c.META_EXPLANATION_BACKGROUND: value}))
    background = predictor.metadata.explanation_background
    assert background is not None and background.weights.tolist() == [0.25, 0.75]
    assert c.META_EXPLANATION_BACKGROUND not in predictor.metadata.extra


@pytest.fixture(scope="module")
def without_gender(tmp_path_factory: pytest.TempPathFactory) -> Predictor:
    """A forest trained without gender (training's --without-gender pipeline), exported with a background."""
    import joblib
    from sklearn.ensemble import RandomForestClassifier

    from export.export import export
    from tests.export.conftest import synthetic_frame, training_info
    from training.calibration import calibrated_pipeline

    frame, y = synthetic_frame()
    estimator = RandomForestClassifier(n_estimators=15, min_samples_leaf=5, random_state=0)
    pipeline = calibrated_pipeline(estimator, "sigmoid", gender=False).fit(frame, y)
    info: dict[str, Any] = training_info(pipeline, frame)
    info[c.META_EXPLANATION_BACKGROUND] = explanation_background(frame)
    folder = tmp_path_factory.mktemp("without-gender")
    joblib.dump({"pipeline": pipeline, "training": info, "test_rows": frame.iloc[::5]}, folder / "b.joblib")
    export(folder / "b.joblib", folder / "m.onnx", folder / "card.json", small=True)
    return Predictor.from_path(folder / "m.onnx")


@pytest.mark.slow
def test_dummy_a_model_trained_without_gender_gets_exactly_zero_for_gender(without_gender: Predictor) -> None:
    assert without_gender.metadata.explanation_background is not None  # export carried it
    rng = np.random.default_rng(6)
    n = 5_000
    age, salary = rng.uniform(18, 70, n), rng.uniform(10_000, 200_000, n)
    gender = np.array(c.GENDERS, dtype=object)[rng.integers(0, 2, n)]
    got = Explainer.of(without_gender).explain(age, salary, gender)
    assert np.all(got.contributions[:, 2] == 0.0)
    assert np.abs(got.contributions[:, :2]).max() > 0.05
    assert np.abs(got.contributions.sum(axis=1) - (got.probabilities - got.base)).max() <= 1e-12
