"""Model-behaviour checks: P(buy) moves the expected way and ignores irrelevant changes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from training.candidates import make_estimator
from training.load import FEATURES, LABEL, load_customers
from training.pipeline import build_pipeline

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def logreg(customers_csv: Path) -> Pipeline:
    frame = load_customers(customers_csv).frame
    return build_pipeline(make_estimator("logreg", 0, C=1.0)).fit(frame[FEATURES], frame[LABEL])


def _grid(**columns: object) -> pd.DataFrame:
    return pd.DataFrame(columns).astype({"age": "float64", "salary": "float64"})


@pytest.mark.parametrize("gender", ["Female", "Male"])
@pytest.mark.parametrize("age", [25.0, 40.0, 55.0])
def test_logreg_buy_probability_never_falls_as_salary_rises_above_80k(
    logreg: Pipeline, age: float, gender: str
) -> None:
    salaries = np.arange(80_000, 200_001, 5_000, dtype=float)
    frame = _grid(age=np.full(salaries.size, age), salary=salaries, gender=[gender] * salaries.size)
    assert (np.diff(logreg.predict_proba(frame)[:, 1]) >= 0).all()


def test_logreg_buy_probability_rises_with_age(logreg: Pipeline) -> None:
    ages = np.arange(18, 91, dtype=float)
    frame = _grid(age=ages, salary=np.full(ages.size, 60_000.0), gender=["Male"] * ages.size)
    proba = logreg.predict_proba(frame)[:, 1]
    assert (np.diff(proba) >= 0).all() and proba[-1] > proba[0] + 0.5


def test_predictions_ignore_user_id_and_column_order(customers_csv: Path, tmp_path: Path) -> None:
    source = pd.read_csv(customers_csv)
    rewritten = source.drop(columns="User ID")[["Purchased", "EstimatedSalary", "Gender", "Age"]]
    rewritten.insert(0, "UserID", np.arange(len(source))[::-1] + 99)
    other = tmp_path / "rewritten.csv"
    rewritten.to_csv(other, index=False)
    fits = []
    for path in (customers_csv, other):
        frame = load_customers(path).frame
        pipeline = build_pipeline(make_estimator("forest", 0, n_estimators=20, max_depth=4))
        fits.append(pipeline.fit(frame[FEATURES], frame[LABEL]).predict_proba(frame[FEATURES]))
    assert np.array_equal(fits[0], fits[1])


def test_forest_prefers_older_richer_customers(customers_csv: Path) -> None:
    frame = load_customers(customers_csv).frame
    forest = build_pipeline(make_estimator("forest", 0, n_estimators=50, max_depth=4, min_samples_leaf=10))
    forest.fit(frame[FEATURES], frame[LABEL])
    probe = _grid(age=[22.0, 55.0], salary=[30_000.0, 140_000.0], gender=["Female", "Female"])
    young_poor, old_rich = forest.predict_proba(probe)[:, 1]
    assert old_rich - young_poor > 0.5
