"""Model quality per window: estimated without labels (CBPE) and realized from delayed labels, with CIs."""

from __future__ import annotations

import math

from monitoring.documents import Quality, Realized
from monitoring.profile import ReferenceProfile, cbpe
from monitoring.stats import wilson
from monitoring.window import (
    DECISION,
    LABEL,
    OUTCOME,
    SCORE_KEY_SCALE,
    SUM_BRIER,
    SUM_BRIER_SQ,
    SUM_P_NO,
    SUM_P_YES,
    SUM_VAR,
    WindowData,
)

MIN_LABELS = 100  # fewer labels: realized metrics are shown but never flag concept drift
CBPE_ALLOWANCE = 0.03  # CBPE's measured bias (about 1.5-2.4 points) plus a margin


def estimated(window: WindowData) -> dict[str, float]:
    """CBPE precision, recall, accuracy and Brier for the window."""
    n_no, n_yes = (int(v) for v in window.vector(DECISION, 2))
    s = window.sums
    return cbpe(n_yes, s.get(SUM_P_YES, 0.0), n_no, s.get(SUM_P_NO, 0.0), s.get(SUM_VAR, 0.0))


def roc_auc_from_counts(label_counts: dict[int, int]) -> float:
    """ROC-AUC (ties count one half) from label counts keyed score_key * 2 + label."""
    keys = sorted({k // 2 for k in label_counts})
    positives = sum(n for k, n in label_counts.items() if k % 2)
    negatives = sum(n for k, n in label_counts.items() if not k % 2)
    if not positives or not negatives:
        return float("nan")
    below, area = 0, 0.0
    for key in keys:
        pos, neg = label_counts.get(key * 2 + 1, 0), label_counts.get(key * 2, 0)
        area += pos * (below + neg / 2)
        below += neg
    return area / (positives * negatives)


def auc_interval(auc: float, positives: int, negatives: int) -> tuple[float, float]:
    """Hanley–McNeil 95 % interval for a ROC-AUC."""
    if math.isnan(auc) or not positives or not negatives:
        return 0.0, 1.0
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) / (
        positives * negatives
    )
    half = 1.96 * math.sqrt(max(var, 0.0))
    return max(0.0, auc - half), min(1.0, auc + half)


def realized(window: WindowData) -> Realized:
    """Precision, recall, Brier and ROC-AUC from the labels credited to the window, with 95 % intervals."""
    tn, fp, fn, tp = (int(v) for v in window.vector(OUTCOME, 4))
    labels = tn + fp + fn + tp
    coverage = labels / window.rows if window.rows else 0.0
    if not labels:
        return {"labels": labels, "coverage": coverage}
    nan = float("nan")
    brier = window.sums.get(SUM_BRIER, 0.0) / labels
    spread = max(window.sums.get(SUM_BRIER_SQ, 0.0) / labels - brier * brier, 0.0)
    half = 1.96 * math.sqrt(spread / labels)
    auc = roc_auc_from_counts(window.counts.get(LABEL, {}))
    return {
        "labels": labels,
        "coverage": coverage,
        "precision": tp / (tp + fp) if tp + fp else nan,
        "precision_ci": list(wilson(tp, tp + fp)),
        "recall": tp / (tp + fn) if tp + fn else nan,
        "recall_ci": list(wilson(tp, tp + fn)),
        "brier": brier,
        "brier_ci": [max(0.0, brier - half), brier + half],
        "roc_auc": auc,
        "roc_auc_ci": list(auc_interval(auc, tp + fn, tn + fp)),
        "roc_auc_resolution": 1 / SCORE_KEY_SCALE,
    }


def concept_drift(real: Realized, estimate: dict[str, float]) -> bool:
    """Realized precision or recall disagrees with the label-free estimate beyond its interval."""
    if real.get("labels", 0) < MIN_LABELS:
        return False
    for value, interval, metric in (
        (real.get("precision"), real.get("precision_ci"), "precision"),
        (real.get("recall"), real.get("recall_ci"), "recall"),
    ):
        guess = estimate.get(metric, float("nan"))
        if value is None or interval is None or math.isnan(value) or math.isnan(guess):
            continue
        if guess < interval[0] - CBPE_ALLOWANCE or guess > interval[1] + CBPE_ALLOWANCE:
            return True
    return False


def quality(window: WindowData, profile: ReferenceProfile) -> Quality:
    """The window's quality section: estimate, change since reference, realized, concept-drift flag."""
    estimate = estimated(window)
    change = {k: estimate[k] - profile.estimated[k] for k in estimate if k in profile.estimated}
    real = realized(window)
    return {
        "estimated": estimate,
        "estimated_change": change,
        "reference": profile.metrics,
        "realized": real,
        "concept_drift": concept_drift(real, estimate),
    }
