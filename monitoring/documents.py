"""The drift document's types: what GET /monitoring/drift, `python -m monitoring.drift` and the batch
`--drift` files carry, section by section, and the one reader both views (HTML, Prometheus) share.

Each section has one builder: the feature tests in monitoring.evaluate, the quality section in
monitoring.quality, the window entry and the whole document in monitoring.evaluate (`evaluate`,
`drift_document`). JSON keys come out in the order the builders write them; the types here only name them.

To add a section to every window (a shadow model's comparison, say):
1. declare its TypedDict here and add it to `WindowBase` as `NotRequired[...]` (old documents lack it);
2. write its builder beside its statistics (monitoring/<section>.py), returning that TypedDict;
3. set it in `monitoring.evaluate.evaluate` after `quality`, so older keys keep their places;
4. show it in monitoring/report.py `_window` (and its template) and, if alarming, as gauges in
   monitoring/prometheus.py; tests/monitoring checks both views.
"""

# No `from __future__ import annotations`: Python 3.11 reads NotRequired only from evaluated annotations
# (TypedDict.__required_keys__, which tests/monitoring/test_documents.py checks documents against).
from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypedDict

FEATURES = ("age", "salary", "gender", "score")  # the drift sections every view shows, in this order
QUALITY_METRICS = ("precision", "recall", "brier", "roc_auc")
Level = Literal["none", "warning", "page"]


class Statistic(TypedDict):
    """A test's statistic and its unadjusted p-value."""

    statistic: float
    p_value: float


class HistogramTests(TypedDict):
    """A histogram against the reference's: KS and χ², effect sizes next to their noise floors."""

    p_value: float  # Bonferroni-adjusted
    alarm: bool
    ks: Statistic
    chi2: Statistic
    psi: float
    psi_noise_floor: float
    js: float
    js_noise_floor: float
    reference_counts: list[int]
    counts: list[int]


class NumericDrift(HistogramTests):
    """Age or salary: the histogram's tests and the reference bins' interior edges (the report's labels)."""

    edges: list[float]


class GenderDrift(TypedDict):
    """The two genders: χ² and the change in the Female share."""

    p_value: float
    alarm: bool
    chi2: Statistic
    female_share_change: float
    psi: float
    psi_noise_floor: float
    reference_counts: list[int]
    counts: list[int]


class ScoreDrift(NumericDrift):
    """The model's output: its histogram's tests, the Yes rate against the reference's, the edges."""

    yes_rate: float
    reference_yes_rate: float
    yes_rate_change: float
    yes_rate_p_value: float


class Realized(TypedDict):
    """Quality from the labels credited to the window; the metrics only once there is a label."""

    labels: int
    coverage: float
    precision: NotRequired[float]
    precision_ci: NotRequired[list[float]]
    recall: NotRequired[float]
    recall_ci: NotRequired[list[float]]
    brier: NotRequired[float]
    brier_ci: NotRequired[list[float]]
    roc_auc: NotRequired[float]
    roc_auc_ci: NotRequired[list[float]]
    roc_auc_resolution: NotRequired[float]


class Quality(TypedDict):
    """The window's quality: label-free estimate, its change since the reference, realized, concept drift."""

    estimated: dict[str, float]
    estimated_change: dict[str, float]
    reference: dict[str, float]
    realized: Realized
    concept_drift: bool


class DataQuality(TypedDict):
    """Rows outside the training range per numeric input, rejected requests per failing field."""

    out_of_training_range: dict[str, int]
    rejected: dict[str, int]


class ShadowSection(TypedDict):
    """One window's comparison of the candidate with the live model (`/monitoring/drift`, per window)."""

    model_version: str  # the candidate's
    rows: int  # rows both models scored
    agreement: float | None  # share of rows with the same Yes/No decision
    mean_abs_diff: float | None  # mean |p_candidate - p_live|
    max_abs_diff: float | None  # largest |p_candidate - p_live|, to 4 decimals
    yes_rate: float | None  # the candidate's Yes rate on these rows
    live_yes_rate: float | None  # the live model's Yes rate on the same rows
    score: ScoreDrift | None  # the candidate's score drift against its own reference profile


class ShadowStatus(TypedDict):
    """Whether this worker scores the stored shadow (`/monitoring/drift`, top level)."""

    model_version: str
    state: Literal["scoring", "failed"]
    reason: str  # why it failed ("" while scoring)


class WindowBase(TypedDict):
    """What every window entry carries, evaluated or not."""

    start: int
    end: int
    rows: int
    model_version: str
    data_quality: DataQuality
    features: dict[str, NumericDrift | GenderDrift]
    quality: Quality
    level: Level
    warning: bool
    paging: bool
    closed: NotRequired[bool]  # a service window: its end has passed
    label: NotRequired[str]  # a file's window: the file's name
    shadow: NotRequired[ShadowSection | None]  # a service window: the shadow comparison (monitoring.shadow)


class InsufficientWindow(WindowBase):
    """A window under MIN_ROWS rows: counted, never tested (features and score are empty)."""

    status: Literal["insufficient"]
    score: dict[str, float]


class EvaluatedWindow(WindowBase):
    """A tested window: every feature, the score, the family's alarm level."""

    status: Literal["evaluated"]
    score: ScoreDrift
    input_drift: bool
    alpha: float
    tests: int


DriftWindow = EvaluatedWindow | InsufficientWindow


class DriftDocument(TypedDict):
    """The whole document: the service's last windows, or one file's window."""

    window_seconds: NotRequired[int]  # the service's window length
    source: NotRequired[str]  # the file a one-window document was counted from
    store: str
    model_version: str
    windows: list[DriftWindow]
    shadow: NotRequired[ShadowStatus | None]  # the service's: this worker's shadow (None without one)


def drift_sections(window: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(name, section) of a window's features and score, FEATURES first ({} where a window has none).

    Read the same way by the HTML report and the Prometheus gauges, from a document as built or as JSON."""
    entries = {**window.get("features", {}), "score": window.get("score", {})}
    names = [*FEATURES, *(n for n in entries if n not in FEATURES)]
    return [(name, entries.get(name) or {}) for name in names]
