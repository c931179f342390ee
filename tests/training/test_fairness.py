"""Per-gender slices, the counterfactual gender flip, the pipeline without gender (docs/model/fairness.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier

from export.export import export
from runtime.predictor import Predictor
from tests.export.conftest import synthetic_frame, training_info
from tests.training.conftest import run_fast
from training.bundle import load_bundle
from training.calibration import calibrated_pipeline
from training.fairness import FLIP_BOUND, counterfactual, flip_summary, slice_metrics, training_grid
from training.gender_variants import scorer


def test_slices_report_each_gender_separately() -> None:
    y = np.array([1, 0, 1, 0, 1, 1, 0, 0])
    proba = np.array([0.9, 0.2, 0.7, 0.65, 0.3, 0.8, 0.1, 0.4])
    gender = np.array(["Female"] * 4 + ["Male"] * 4, dtype=object)
    slices = slice_metrics(y, proba, gender, threshold=0.6)
    female, male = slices["Female"], slices["Male"]
    assert female["rows"] == male["rows"] == 4
    assert female["buy_rate"] == 0.5 and male["buy_rate"] == 0.5
    assert female["yes_rate"] == 0.75 and female["precision"] == pytest.approx(2 / 3, abs=1e-6)
    assert female["recall"] == 1.0 and male["recall"] == 0.5 and male["precision"] == 1.0
    assert female["roc_auc"] == 1.0 and male["roc_auc"] == 0.75
    assert female["calibration_gap"] == pytest.approx(0.6125 - 0.5, abs=1e-6)


def test_a_slice_with_one_class_has_no_roc_auc() -> None:
    slices = slice_metrics(
        np.array([1, 1, 0]), np.array([0.7, 0.8, 0.1]), np.array(["Male"] * 2 + ["Female"]), 0.6
    )
    assert slices["Male"]["roc_auc"] is None and slices["Female"]["roc_auc"] is None


def test_flip_summary_measures_the_change_and_the_flipped_decisions() -> None:
    female = np.array([0.10, 0.55, 0.61, 0.90])
    male = np.array([0.12, 0.65, 0.58, 0.90])
    summary = flip_summary(female, male, threshold=0.6)
    assert summary["rows"] == 4 and summary["decision_flips"] == 2 and summary["flip_rate"] == 0.5
    assert summary["abs_delta_max"] == pytest.approx(0.10)
    assert summary["share_within_bound"] == (0.75 if FLIP_BOUND > 0.03 else 0.5)
    assert summary["delta_quantiles"]["min"] == pytest.approx(-0.03)


def test_grid_covers_the_training_ranges_in_whole_years_and_thousands() -> None:
    grid = training_grid({"age": [18.0, 60.0], "salary": [15000.0, 150000.0]})
    assert len(grid) == 43 * 136
    assert grid["age"].min() == 18 and grid["age"].max() == 60
    assert grid["salary"].min() == 15000 and grid["salary"].max() == 150000


@pytest.fixture(scope="module")
def without_gender() -> tuple[object, pd.DataFrame]:
    frame, y = synthetic_frame()
    estimator = RandomForestClassifier(n_estimators=15, min_samples_leaf=5, random_state=0)
    return calibrated_pipeline(estimator, "sigmoid", gender=False).fit(frame, y), frame


def test_without_gender_pipeline_ignores_gender(without_gender: tuple[object, pd.DataFrame]) -> None:
    pipeline, frame = without_gender
    flip = counterfactual(scorer(pipeline), frame, {"age": [18, 60], "salary": [15000, 150000]}, 0.6)
    for population in ("test", "grid"):
        assert flip[population]["abs_delta_max"] == 0.0 and flip[population]["decision_flips"] == 0
        assert flip[population]["share_within_bound"] == 1.0


@pytest.mark.slow
def test_without_gender_model_keeps_the_gender_input_and_exact_parity(
    without_gender: tuple[object, pd.DataFrame], tmp_path: Path
) -> None:
    import joblib

    pipeline, frame = without_gender
    bundle = tmp_path / "bundle.joblib"
    joblib.dump(
        {"pipeline": pipeline, "training": training_info(pipeline, frame), "test_rows": frame.iloc[::5]},
        bundle,
    )
    results = export(bundle, tmp_path / "m.onnx", tmp_path / "card.json", small=True)
    assert all(r["passed"] for r in results), results
    model = Predictor.from_path(tmp_path / "m.onnx")
    ages, salaries = np.array([25.0, 45.0, 60.0]), np.array([30000.0, 90000.0, 140000.0])
    as_female = model.probabilities(ages, salaries, np.array(["Female"] * 3, dtype=object))
    as_male = model.probabilities(ages, salaries, np.array(["Male"] * 3, dtype=object))
    assert np.array_equal(as_female, as_male)


@pytest.mark.slow
def test_training_records_slices_flip_and_both_variants(fast_run: tuple[Path, dict[str, Any]]) -> None:
    out, info = fast_run
    fairness = info["fairness"]
    assert fairness["uses_gender"] is True
    for population in ("slices_test", "slices_cv"):
        assert set(fairness[population]) == {"Female", "Male"}
    assert sum(s["rows"] for s in fairness["slices_test"].values()) == info["data"]["test_rows"]
    flip = fairness["gender_flip"]
    assert flip["test"]["rows"] == info["data"]["test_rows"]
    assert flip["grid"]["rows"] == 43 * 136 and 0.0 <= flip["grid"]["share_within_bound"] <= 1.0
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["fairness"]["comparison"]) == {"with_gender", "without_gender"}
    without = metrics["fairness"]["comparison"]["without_gender"]["gender_flip"]["grid"]
    assert without["abs_delta_max"] == 0.0 and without["decision_flips"] == 0
    assert "Fairness by gender" in (out / "report.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_without_gender_flag_ships_a_model_that_ignores_gender(customers_csv: Path, tmp_path: Path) -> None:
    info = run_fast(customers_csv, tmp_path, "--without-gender", "--calibration", "none")
    assert info["fairness"]["uses_gender"] is False
    assert info["fairness"]["gender_flip"]["grid"]["decision_flips"] == 0
    golden = {(g["age"], g["salary"]): g["probability"] for g in info["golden_examples"]}
    pipeline = load_bundle(tmp_path / "purchase_pipeline.joblib")["pipeline"]
    assert pipeline.named_steps["preprocess"].named_transformers_["gender"] == "drop"
    flipped = pd.DataFrame([(a, s, "Male") for a, s in golden], columns=["age", "salary", "gender"])
    assert np.array_equal(pipeline.predict_proba(flipped)[:, 1], list(golden.values()))
