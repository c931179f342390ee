"""The Pipeline follows the contract, and every fitted step sees only training rows (no leakage)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from xgboost import XGBClassifier

from training.calibration import calibrated_pipeline, choose_calibration
from training.candidates import FAMILIES, make_estimator, search_grid
from training.crossval import CVResult, cross_validate
from training.load import FEATURES, LABEL, load_customers
from training.pipeline import build_pipeline


class RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Remembers the (already preprocessed) rows each fit received; predicts the class prior."""

    seen: ClassVar[list[np.ndarray]] = []

    def fit(self, x: np.ndarray, y: np.ndarray) -> RecordingClassifier:
        RecordingClassifier.seen.append(np.asarray(x).copy())
        self.classes_ = np.array([0, 1])
        self.prior_ = float(np.mean(y))
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = np.full(len(x), self.prior_)
        return np.column_stack([1 - p, p])


@pytest.fixture(scope="module")
def data(customers_csv: Path) -> tuple[pd.DataFrame, np.ndarray]:
    frame = load_customers(customers_csv).frame
    return frame[FEATURES], frame[LABEL].to_numpy()


def test_build_pipeline_matches_the_contract() -> None:
    pipeline = build_pipeline(LogisticRegression())
    assert [name for name, _ in pipeline.steps] == ["preprocess", "model"]
    preprocess = pipeline.named_steps["preprocess"]
    assert isinstance(preprocess, ColumnTransformer)
    (g_name, encoder, g_cols), (s_name, scaler, s_cols) = preprocess.transformers
    assert (g_name, g_cols, s_name, s_cols) == ("gender", ["gender"], "scale", ["age", "salary"])
    assert isinstance(encoder, OneHotEncoder) and isinstance(scaler, StandardScaler)
    assert encoder.categories == [["Female", "Male"]] and encoder.drop == "if_binary"


def test_preprocess_outputs_male_flag_then_scaled_age_and_salary(
    data: tuple[pd.DataFrame, np.ndarray],
) -> None:
    x, y = data
    transformed = build_pipeline(LogisticRegression()).fit(x, y).named_steps["preprocess"].transform(x)
    assert transformed.shape == (len(x), 3)
    assert np.array_equal(transformed[:, 0], (x["gender"] == "Male").to_numpy(dtype=float))
    assert np.allclose(transformed[:, 1:].mean(axis=0), 0, atol=1e-9)


def test_cross_validation_fits_the_scaler_inside_each_fold(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    x, y = data
    RecordingClassifier.seen.clear()
    cross_validate(build_pipeline(RecordingClassifier()), x, y, threshold=0.6, repeats=1, seed=0, n_jobs=1)
    folds = RecordingClassifier.seen[:5]
    splits = RepeatedStratifiedKFold(n_splits=5, n_repeats=1, random_state=0).split(x, y)
    full_scaler = StandardScaler().fit(x[["age", "salary"]])
    for fold, (train, _) in zip(folds, splits, strict=True):
        assert len(fold) == len(train) == len(x) * 4 // 5  # the held-out fifth was never seen
        fold_rows = x.iloc[train][["age", "salary"]]
        assert np.allclose(fold[:, 1:], StandardScaler().fit_transform(fold_rows))
        assert not np.allclose(fold[:, 1:], full_scaler.transform(fold_rows))  # not full-data stats


def test_cross_validation_out_of_fold_predictions_cover_every_row_once(
    data: tuple[pd.DataFrame, np.ndarray],
) -> None:
    x, y = data
    result = cross_validate(build_pipeline(LogisticRegression()), x, y, 0.6, repeats=2, seed=1)
    assert result.oof.shape == (2, len(y))
    for repeat in range(2):
        tested = np.concatenate([test for test, _ in result.folds[repeat * 5 : (repeat + 1) * 5]])
        assert np.array_equal(np.sort(tested), np.arange(len(y)))
    assert 0.5 < result.summary["roc_auc"] <= 1.0
    subset = result.first_repeats(1, 0.6)
    assert len(subset.folds) == 5 and subset.oof.shape == (1, len(y))


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_fits_in_the_pipeline_with_its_fast_grid(
    family: str, data: tuple[pd.DataFrame, np.ndarray]
) -> None:
    x, y = data
    params = {name.removeprefix("model__"): values[0] for name, values in search_grid(family, True).items()}
    proba = build_pipeline(make_estimator(family, 0, **params)).fit(x, y).predict_proba(x)[:, 1]
    assert proba.shape == (len(x),) and ((proba >= 0) & (proba <= 1)).all()


def test_final_tree_ensembles_are_single_threaded() -> None:
    forest = make_estimator("forest", 0)
    booster = make_estimator("xgboost", 0)
    assert isinstance(forest, RandomForestClassifier) and forest.n_jobs in (None, 1)
    assert isinstance(booster, XGBClassifier) and booster.n_jobs == 1


def test_unknown_family_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown model family"):
        make_estimator("svm", 0)


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibration_wraps_the_model_step_exportably(method: str) -> None:
    model = calibrated_pipeline(make_estimator("forest", 0), method).named_steps["model"]
    assert isinstance(model, CalibratedClassifierCV)
    assert (model.method, model.cv, model.ensemble) == (method, 5, False)
    assert isinstance(
        calibrated_pipeline(make_estimator("forest", 0), "none").named_steps["model"], RandomForestClassifier
    )


def _result(brier: float, log_loss: float) -> CVResult:
    return CVResult(
        summary={"brier": brier, "log_loss": log_loss}, oof=np.zeros((1, 1)), folds=[], y=np.zeros(1)
    )


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ({"none": (0.10, 0.40), "sigmoid": (0.09, 0.35), "isotonic": (0.095, 0.5)}, "sigmoid"),
        ({"none": (0.10, 0.40), "sigmoid": (0.0999, 0.39), "isotonic": (0.0998, 0.39)}, "none"),
        ({"none": (0.10, 0.40), "sigmoid": (0.09, 0.45), "isotonic": (0.08, 0.41)}, "none"),
        ({"isotonic": (0.2, 0.6)}, "isotonic"),
    ],
)
def test_calibration_is_kept_only_when_it_helps(scores: dict[str, Any], expected: str) -> None:
    assert choose_calibration({m: _result(*values) for m, values in scores.items()}) == expected


def test_reusing_earlier_repeats_equals_a_full_run(
    data: tuple[pd.DataFrame, np.ndarray],
) -> None:
    x, y = data
    pipeline = build_pipeline(make_estimator("tree", 0, max_depth=3))
    full = cross_validate(pipeline, x, y, 0.6, repeats=3, seed=2)
    partial = cross_validate(pipeline, x, y, 0.6, repeats=1, seed=2)
    extended = cross_validate(pipeline, x, y, 0.6, repeats=3, seed=2, reuse=partial)
    assert np.array_equal(extended.oof, full.oof)
    assert extended.summary == full.summary
