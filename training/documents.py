"""The training run's documents: reports/metrics.json (`TrainingMetrics`) and training.json
(`TrainingInfo`, which export turns into the ONNX metadata and the model card), section by section.

Each is built in one place, training/run_info.py (`build_metrics`, `build_info`); the final model's section
in training/train.py (`final_section`), the model card's fairness part in training/fairness.py. JSON keys
come out in the order those builders write them; these types only name them. Nested statistics that
come straight from a helper (CV summaries, slices, the gender flip) stay plain mappings.
"""

# No `from __future__ import annotations`: Python 3.11 reads NotRequired only from evaluated annotations
# (TypedDict.__required_keys__, which tests/monitoring/test_documents.py checks documents against).
from typing import Any, TypedDict

from monitoring.profile import ProfileDocument

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


class SliceMetrics(TypedDict):
    """One gender's slice: rows, buy rate, ranking, decisions and calibration."""

    rows: int
    buy_rate: float
    roc_auc: float | None  # None when the slice holds a single class
    precision: float
    recall: float
    yes_rate: float
    mean_probability: float
    calibration_gap: float
    brier: float


Slices = dict[str, SliceMetrics]  # gender -> its slice (a gender absent from the rows has none)


class FlipSummary(TypedDict):
    """ΔP = P(Male) - P(Female) over some rows and how many decisions the flip changes."""

    rows: int
    delta_mean: float
    delta_quantiles: dict[str, float]  # min, p5, p50, p95, max
    abs_delta_mean: float
    abs_delta_p95: float
    abs_delta_max: float
    bound: float
    share_within_bound: float
    decision_flips: int
    flip_rate: float


class GridFlip(FlipSummary):
    """The flip over a grid of the training ranges, with the grid's steps."""

    age_step: float
    salary_step: float


class Counterfactual(TypedDict):
    """The gender flip on the held-out rows and on the training-range grid."""

    test: FlipSummary
    grid: GridFlip


class SlicePair(TypedDict):
    """Slices on the held-out split and on the pooled out-of-fold CV scores."""

    test: Slices
    cv: Slices


class Variant(TypedDict):
    """One gender variant of the pipeline (with or without the gender input)."""

    cv: Summary
    test: Summary
    slices_test: Slices
    gender_flip: Counterfactual


class Fairness(TypedDict):
    """metrics.json "fairness": slices and flip of the shipped pipeline, and both gender variants compared."""

    uses_gender: bool
    training_ranges: dict[str, list[float]]
    slices: SlicePair
    counterfactual: Counterfactual
    comparison_scheme: str
    comparison: dict[str, Variant]  # with_gender, without_gender


class TrainingMetrics(TypedDict):
    """reports/metrics.json: every family compared, the calibrations, the final model, sweep, fairness."""

    data: DataSummary
    cv_scheme: str
    seed: int
    models: dict[str, CandidateResult]
    calibration: dict[str, Summary]
    final: FinalModel
    threshold_sweep: dict[str, list[float]]
    fairness: Fairness


class GoldenExample(TypedDict):
    """A fixed input and the pipeline's P(buy) for it: the exported model must give the same."""

    age: float
    salary: float
    gender: str
    probability: float


class DataFacts(TypedDict):
    """Row count, class balance and the ranges seen in a training file."""

    rows: int
    buyers: int
    non_buyers: int
    buy_rate: float
    ranges: dict[str, list[float]]


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

    slices_test: Slices
    slices_cv: Slices
    gender_flip: Counterfactual
    uses_gender: bool


class BackgroundPoint(TypedDict):
    """One point of the explanation background: a cell's mean age and salary, and its gender."""

    age: float
    salary: float
    gender: str


class ExplanationBackground(TypedDict):
    """training.json "explanation_background": k-anonymous cells (docs/model/explanations.md)."""

    version: int
    method: str
    min_rows: int
    rows: int
    points: list[BackgroundPoint]
    counts: list[int]


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
    golden_examples: list[GoldenExample]
    reference_profile: ProfileDocument
    fairness: ModelCardFairness
    explanation_background: ExplanationBackground


class ReferenceEvaluation(TypedDict):
    """`python -m training.evaluate_cv`: repeated CV of the tuned, calibrated pipeline on all rows."""

    data: str
    model: str
    hyperparameters: dict[str, Any]
    calibration: str
    uses_gender: bool
    cv_scheme: str
    roc_auc: float
    roc_auc_std: float
    brier: float
    brier_std: float
    meets_targets: bool
