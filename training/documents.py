"""The training run's documents: reports/metrics.json (`TrainingMetrics`) and training.json
(`TrainingInfo`, which export turns into the ONNX metadata and the model card), section by section.

Each is built in one place, training/run_info.py (`build_metrics`, `build_info`); the final model's section
in training/train.py (`final_section`), the model card's fairness part in training/fairness.py. JSON keys
come out in the order those builders write them; these types only name them. Nested statistics that
come straight from a helper (CV summaries, slices, the gender flip) stay plain mappings.
"""

from __future__ import annotations

from typing import Any, TypedDict

Summary = dict[str, float]  # metric name -> value (and <name>_std for CV summaries)


class FinalModel(TypedDict):
    """metrics.json "final": the chosen family, its calibration and threshold, CV and test metrics."""

    model: str
    hyperparameters: dict[str, Any]
    calibration: str
    uses_gender: bool
    calibration_scheme: str
    threshold: float
    threshold_policy: str
    cv: Summary
    test: Summary


class DataSummary(TypedDict):
    """metrics.json "data": the file trained on."""

    path: str
    rows: int
    dropped_rows: int
    fingerprint: str


class CandidateResult(TypedDict):
    """metrics.json "models": one compared family."""

    hyperparameters: dict[str, Any]
    cv: Summary
    test: Summary


class TrainingMetrics(TypedDict):
    """reports/metrics.json: every family compared, the calibrations, the final model, sweep, fairness."""

    data: DataSummary
    cv_scheme: str
    seed: int
    models: dict[str, CandidateResult]
    calibration: dict[str, Summary]
    final: FinalModel
    threshold_sweep: dict[str, list[float]]
    fairness: dict[str, Any]


class ClassBalance(TypedDict):
    """Buyers and non-buyers of the training file."""

    buyers: int
    non_buyers: int
    buy_rate: float


class TrainingData(TypedDict):
    """training.json "data": the file, its fingerprint, the split and the ranges seen."""

    path: str
    fingerprint: str
    fingerprint_definition: str
    rows: int
    dropped_rows: int
    train_rows: int
    test_rows: int
    class_balance: ClassBalance
    ranges: dict[str, list[float]]


class TrainingMetricsSummary(TypedDict):
    """training.json "metrics": the final model's CV and test metrics."""

    cv_scheme: str
    cv: Summary
    test: Summary


class ModelCardFairness(TypedDict):
    """The compact fairness part the ONNX metadata and the model card carry."""

    slices_test: dict[str, Any]
    slices_cv: dict[str, Any]
    gender_flip: dict[str, Any]
    uses_gender: bool


class TrainingInfo(TypedDict):
    """training.json: everything export and the audit trail need about the saved pipeline."""

    schema_version: int
    model_family: str
    hyperparameters: dict[str, Any]
    calibration: str
    calibration_rule: str
    threshold: float
    threshold_policy: str
    gain_tp: float | None
    cost_fp: float | None
    data: TrainingData
    training_ranges: dict[str, list[float]]
    metrics: TrainingMetricsSummary
    seed: int
    library_versions: dict[str, str]
    trained_at: str
    golden_examples: list[dict[str, Any]]
    reference_profile: dict[str, Any]
    fairness: ModelCardFairness
