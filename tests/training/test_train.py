"""End-to-end fast training runs: outputs, bundle contents, reproducibility and the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV

from tests.training.conftest import FIXED_EPOCH, run_fast
from tests.typed_documents import mismatches
from training.bundle import GOLDEN_INPUTS, load_bundle
from training.candidates import FAMILIES
from training.documents import TrainingInfo, TrainingMetrics
from training.load import FEATURES, load_customers

pytestmark = pytest.mark.slow
Run = tuple[Path, dict[str, Any]]


def test_run_writes_all_outputs(fast_run: Run) -> None:
    out, _ = fast_run
    for name in ("purchase_pipeline.joblib", "training.json", "metrics.json", "report.html"):
        assert (out / name).stat().st_size > 0


def test_bundle_holds_the_pipeline_and_the_same_training_info(fast_run: Run) -> None:
    out, info = fast_run
    bundle = load_bundle(out / "purchase_pipeline.joblib")
    assert set(bundle) == {"pipeline", "training", "test_rows"}
    assert bundle["training"] == info
    assert [name for name, _ in bundle["pipeline"].steps] == ["preprocess", "model"]


def test_bundle_carries_the_held_out_rows_for_parity(fast_run: Run) -> None:
    out, info = fast_run
    rows = load_bundle(out / "purchase_pipeline.joblib")["test_rows"]
    assert list(rows.columns) == ["age", "salary", "gender"]
    assert len(rows) == info["data"]["test_rows"]


def test_training_info_has_every_contract_field(fast_run: Run, customers_csv: Path) -> None:
    _, info = fast_run
    assert info["model_family"] == "forest"
    assert info["calibration"] in ("none", "sigmoid", "isotonic")
    assert info["threshold"] == 0.6 and info["threshold_policy"] == "fixed 0.6"
    assert info["trained_at"] == "2026-01-01T00:00:00Z"
    data = info["data"]
    assert data["rows"] == 400 and data["train_rows"] + data["test_rows"] == 400
    assert 75 <= data["test_rows"] <= 100
    assert data["class_balance"]["buyers"] + data["class_balance"]["non_buyers"] == 400
    assert len(data["fingerprint"]) == 64
    low, high = info["training_ranges"]["age"]
    assert 18 <= low < high <= 60
    for section in ("cv", "test"):
        assert {"roc_auc", "pr_auc", "precision", "recall", "f1", "brier"} <= set(info["metrics"][section])
    assert {"python", "numpy", "scikit-learn", "xgboost"} <= set(info["library_versions"])
    assert info["seed"] == 42 and "n_estimators" in info["hyperparameters"]


def test_golden_examples_are_the_pipelines_predictions(fast_run: Run) -> None:
    out, info = fast_run
    pipeline = load_bundle(out / "purchase_pipeline.joblib")["pipeline"]
    golden = info["golden_examples"]
    assert [(g["age"], g["salary"], g["gender"]) for g in golden] == GOLDEN_INPUTS
    assert (45.0, 90000.0, "Male") in GOLDEN_INPUTS and any(age > 60 for age, _, _ in GOLDEN_INPUTS)
    frame = pd.DataFrame(GOLDEN_INPUTS, columns=FEATURES)
    assert np.array_equal(pipeline.predict_proba(frame)[:, 1], [g["probability"] for g in golden])


def test_saved_ensemble_predicts_single_threaded(fast_run: Run) -> None:
    out, _ = fast_run
    model = load_bundle(out / "purchase_pipeline.joblib")["pipeline"].named_steps["model"]
    estimators = (
        [c.estimator for c in model.calibrated_classifiers_]
        if isinstance(model, CalibratedClassifierCV)
        else [model]
    )
    assert all(estimator.n_jobs in (None, 1) for estimator in estimators)


def test_metrics_json_compares_all_five_models(fast_run: Run) -> None:
    out, info = fast_run
    metrics = json.loads((out / "metrics.json").read_text())
    assert list(metrics["models"]) == list(FAMILIES)
    for entry in metrics["models"].values():
        assert {"roc_auc", "roc_auc_std", "pr_auc", "precision", "recall", "f1", "brier"} <= set(entry["cv"])
        assert 0.5 < entry["test"]["roc_auc"] <= 1
    assert metrics["final"]["cv"] == info["metrics"]["cv"]
    assert set(metrics["calibration"]) == {"none", "sigmoid", "isotonic"}
    assert len(metrics["threshold_sweep"]["threshold"]) == 99


def test_report_is_self_contained_html_with_embedded_figures(fast_run: Run) -> None:
    out, _ = fast_run
    html = (out / "report.html").read_text()
    assert html.startswith("<!doctype html>")
    # EDA, ROC + PR (one figure), confusion matrix, reliability, threshold sweep
    assert html.count("data:image/png;base64,") == 5
    assert "http://" not in html and "https://" not in html
    for heading in ("Data", "Model comparison", "Calibration", "Threshold"):
        assert f"<h2>{heading}" in html


def test_same_data_and_seed_give_the_same_model_and_outputs(
    fast_run: Run, customers_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, info = fast_run
    monkeypatch.setenv("SOURCE_DATE_EPOCH", FIXED_EPOCH)
    again = run_fast(customers_csv, tmp_path)
    assert {k: v for k, v in again.items() if k != "data"} == {k: v for k, v in info.items() if k != "data"}
    assert again["data"]["fingerprint"] == info["data"]["fingerprint"]
    frame = load_customers(customers_csv).frame[FEATURES]
    first = load_bundle(out / "purchase_pipeline.joblib")["pipeline"].predict_proba(frame)
    second = load_bundle(tmp_path / "purchase_pipeline.joblib")["pipeline"].predict_proba(frame)
    assert np.array_equal(first, second)
    assert (tmp_path / "report.html").read_bytes() == (out / "report.html").read_bytes()


def test_policy_and_forced_options_are_recorded(customers_csv: Path, tmp_path: Path) -> None:
    info = run_fast(
        customers_csv,
        tmp_path,
        "--model",
        "auto",
        "--calibration",
        "isotonic",
        "--threshold",
        "max-f1",
        "--cv-repeats",
        "1",
        "--seed",
        "3",
    )
    assert info["model_family"] in FAMILIES
    assert info["calibration"] == "isotonic" and info["threshold_policy"] == "max-f1"
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    best = max(entry["cv"]["roc_auc"] for entry in metrics["models"].values())
    assert metrics["models"][info["model_family"]]["cv"]["roc_auc"] >= best - 0.002
    sweep = metrics["threshold_sweep"]
    assert max(sweep["f1"]) == sweep["f1"][sweep["threshold"].index(info["threshold"])]
    model = load_bundle(tmp_path / "purchase_pipeline.joblib")["pipeline"].named_steps["model"]
    assert isinstance(model, CalibratedClassifierCV) and model.method == "isotonic"


def test_training_json_and_metrics_json_match_their_types(fast_run: Run) -> None:
    out, info = fast_run
    assert mismatches(info, TrainingInfo) == []
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert mismatches(metrics, TrainingMetrics) == []
