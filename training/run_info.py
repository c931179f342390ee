"""Assemble reports/metrics.json and models/training.json from one training run's results."""

from __future__ import annotations

import argparse

import pandas as pd
from sklearn.pipeline import Pipeline

from monitoring.profile import ProfileDocument
from training.bundle import golden_examples, library_versions, trained_at
from training.calibration import MIN_BRIER_GAIN
from training.compare import Candidate
from training.crossval import N_SPLITS, CVResult
from training.dataset_info import data_fingerprint, describe_frame
from training.documents import ExplanationBackground, Fairness, FinalModel, TrainingInfo, TrainingMetrics
from training.fairness import model_card_fairness
from training.load import LoadedData

FINGERPRINT_DEFINITION = (
    "sha256 of 'age,salary,gender,purchased\\n' + one line per valid row in file order: "
    "repr(float(age)),repr(float(salary)),Female|Male,0|1 + '\\n'"
)


def build_metrics(
    args: argparse.Namespace,
    loaded: LoadedData,
    candidates: dict[str, Candidate],
    calibrations: dict[str, CVResult],
    final: FinalModel,
    threshold_sweep: dict[str, list[float]],
    fairness: Fairness,
) -> TrainingMetrics:
    """reports/metrics.json: all models compared, the calibrations, the final model, the sweep, fairness."""
    return {
        "data": {
            "path": str(args.data),
            "rows": len(loaded.frame),
            "dropped_rows": len(loaded.dropped),
            "fingerprint": data_fingerprint(loaded.frame),
        },
        "cv_scheme": f"{args.cv_repeats}x{N_SPLITS} repeated stratified k-fold",
        "seed": args.seed,
        "models": {
            family: {"hyperparameters": c.params, "cv": c.cv.summary, "test": c.test}
            for family, c in candidates.items()
        },
        "calibration": {method: result.summary for method, result in calibrations.items()},
        "final": final,
        "threshold_sweep": threshold_sweep,
        "fairness": fairness,
    }


def build_info(
    args: argparse.Namespace,
    loaded: LoadedData,
    x_train: pd.DataFrame,
    x_test: pd.DataFrame,
    pipeline: Pipeline,
    metrics: TrainingMetrics,
    profile: ProfileDocument,
    background: ExplanationBackground,
) -> TrainingInfo:
    """training.json: everything the export and the audit trail need about the saved pipeline (its
    monitoring reference `profile` and the model card's fairness part included)."""
    final = metrics["final"]
    facts = describe_frame(loaded.frame)
    training_ranges = {
        column: [float(x_train[column].min()), float(x_train[column].max())] for column in ("age", "salary")
    }
    return {
        "schema_version": 1,
        "model_family": final["model"],
        "hyperparameters": final["hyperparameters"],
        "calibration": final["calibration"],
        "calibration_rule": f"kept only if CV Brier improves by >= {MIN_BRIER_GAIN} without worse log-loss",
        "threshold": final["threshold"],
        "threshold_policy": final["threshold_policy"],
        "gain_tp": args.gain_tp,
        "cost_fp": args.cost_fp,
        "data": {
            "path": str(args.data),
            "fingerprint": metrics["data"]["fingerprint"],
            "fingerprint_definition": FINGERPRINT_DEFINITION,
            "rows": facts["rows"],
            "dropped_rows": len(loaded.dropped),
            "train_rows": len(x_train),
            "test_rows": len(x_test),
            "class_balance": {
                "buyers": facts["buyers"],
                "non_buyers": facts["non_buyers"],
                "buy_rate": facts["buy_rate"],
            },
            "ranges": facts["ranges"],
        },
        "training_ranges": training_ranges,
        "metrics": {"cv_scheme": metrics["cv_scheme"], "cv": final["cv"], "test": final["test"]},
        "seed": args.seed,
        "library_versions": library_versions(),
        "trained_at": trained_at(),
        "golden_examples": golden_examples(pipeline),
        "reference_profile": profile,
        "fairness": model_card_fairness(metrics["fairness"]),
        "explanation_background": background,
    }
