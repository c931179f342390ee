"""Small pure metric functions on labels and P(buy), combined into one dict per evaluation."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)

METRIC_NAMES = ("roc_auc", "pr_auc", "precision", "recall", "f1", "brier", "log_loss")


def predict_yes(probabilities: np.ndarray, threshold: float) -> np.ndarray:
    """The business decision: 1 ("Yes") where P(buy) >= threshold."""
    return (np.asarray(probabilities) >= threshold).astype(np.int64)


def score(y_true: np.ndarray, probabilities: np.ndarray, threshold: float) -> dict[str, float]:
    """All headline metrics of P(buy) against the true labels at the business threshold."""
    y_true = np.asarray(y_true)
    probabilities = np.clip(np.asarray(probabilities, dtype=np.float64), 0.0, 1.0)
    decided = predict_yes(probabilities, threshold)
    return {
        "roc_auc": float(roc_auc_score(y_true, probabilities)),
        "pr_auc": float(average_precision_score(y_true, probabilities)),
        "precision": float(precision_score(y_true, decided, zero_division=0)),
        "recall": float(recall_score(y_true, decided, zero_division=0)),
        "f1": float(f1_score(y_true, decided, zero_division=0)),
        "brier": float(brier_score_loss(y_true, probabilities)),
        "log_loss": float(log_loss(y_true, probabilities, labels=[0, 1])),
    }


def summarise(per_fold: list[dict[str, float]]) -> dict[str, float]:
    """Mean and standard deviation of each metric over CV folds (keys ``<name>`` and ``<name>_std``)."""
    summary: dict[str, float] = {}
    for name in METRIC_NAMES:
        values = np.array([fold[name] for fold in per_fold])
        summary[name] = round(float(values.mean()), 6)
        summary[f"{name}_std"] = round(float(values.std(ddof=1)) if len(values) > 1 else 0.0, 6)
    return summary


def rounded(metrics: dict[str, float]) -> dict[str, float]:
    """Round metric values to 6 decimals for JSON reports."""
    return {name: round(float(value), 6) for name, value in metrics.items()}
