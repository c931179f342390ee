"""Report figures rendered with matplotlib's Agg backend to base64 PNG (deterministic bytes)."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.metrics import confusion_matrix, precision_recall_curve, roc_curve

plt.rcParams["svg.hashsalt"] = "purchase-predictor"
AGE_BANDS = [0, 25, 30, 35, 40, 45, 50, 55, 121]
SALARY_BANDS = [0, 30_000, 50_000, 70_000, 80_000, 90_000, 110_000, 130_000, 1_000_001]


def to_base64_png(figure: Figure) -> str:
    """Render and close a figure; PNG without timestamps or software metadata."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _rate_bars(axis: plt.Axes, frame: pd.DataFrame, column: str, bins: list[int] | None, title: str) -> None:
    groups = pd.cut(frame[column], bins, right=False) if bins else frame[column]
    rates = frame.groupby(groups, observed=True)["purchased"].mean()
    axis.bar([str(label) for label in rates.index], rates.to_numpy(), color="tab:blue")
    axis.axhline(frame["purchased"].mean(), color="tab:red", linestyle="--", label="overall")
    axis.set_title(title)
    axis.set_ylabel("buy rate")
    axis.tick_params(axis="x", rotation=45)
    axis.legend()


def eda_figure(frame: pd.DataFrame) -> str:
    """Class balance and buy rate by age band, salary band and gender."""
    figure, axes = plt.subplots(2, 2, figsize=(10, 7))
    counts = frame["purchased"].value_counts().reindex([0, 1], fill_value=0)
    axes[0, 0].bar(["No (0)", "Yes (1)"], counts.to_numpy(), color=["tab:gray", "tab:green"])
    axes[0, 0].set_title("Class balance")
    _rate_bars(axes[0, 1], frame, "age", AGE_BANDS, "Buy rate by age band")
    _rate_bars(axes[1, 0], frame, "salary", SALARY_BANDS, "Buy rate by salary band")
    _rate_bars(axes[1, 1], frame, "gender", None, "Buy rate by gender")
    figure.tight_layout()
    return to_base64_png(figure)


def roc_pr_figure(y: np.ndarray, probabilities: dict[str, np.ndarray]) -> str:
    """ROC and precision-recall curves of every model on one pair of axes."""
    figure, (roc_axis, pr_axis) = plt.subplots(1, 2, figsize=(11, 4.5))
    for name, proba in probabilities.items():
        fpr, tpr, _ = roc_curve(y, proba)
        roc_axis.plot(fpr, tpr, label=name)
        precision, recall, _ = precision_recall_curve(y, proba)
        pr_axis.plot(recall, precision, label=name)
    roc_axis.plot([0, 1], [0, 1], color="gray", linestyle=":")
    roc_axis.set(
        title="ROC (out-of-fold, training split)", xlabel="false positive rate", ylabel="true positive rate"
    )
    pr_axis.set(title="Precision-recall (out-of-fold)", xlabel="recall", ylabel="precision")
    roc_axis.legend()
    pr_axis.legend()
    return to_base64_png(figure)


def confusion_figure(y: np.ndarray, probabilities: np.ndarray, threshold: float) -> str:
    """Confusion matrix on the test split at the chosen threshold."""
    matrix = confusion_matrix(y, (probabilities >= threshold).astype(int), labels=[0, 1])
    figure, axis = plt.subplots(figsize=(4.5, 4))
    axis.imshow(matrix, cmap="Blues")
    for (row, column), value in np.ndenumerate(matrix):
        axis.text(column, row, str(value), ha="center", va="center", fontsize=14)
    axis.set(xticks=[0, 1], yticks=[0, 1], xticklabels=["No", "Yes"], yticklabels=["No", "Yes"])
    axis.set(xlabel="predicted", ylabel="actual", title=f"Test split at threshold {threshold:g}")
    return to_base64_png(figure)


def reliability_figure(curves: dict[str, tuple[np.ndarray, np.ndarray]]) -> str:
    """Reliability (calibration) curves: mean P(buy) against the observed buy rate per bin."""
    figure, axis = plt.subplots(figsize=(5.5, 4.5))
    axis.plot([0, 1], [0, 1], color="gray", linestyle=":", label="perfect")
    for name, (y, proba) in curves.items():
        observed, predicted = calibration_curve(y, proba, n_bins=10, strategy="quantile")
        axis.plot(predicted, observed, marker="o", label=name)
    axis.set(xlabel="mean predicted P(buy)", ylabel="observed buy rate", title="Reliability")
    axis.legend()
    return to_base64_png(figure)


def threshold_figure(table: dict[str, list[float]], chosen: float) -> str:
    """Precision, recall, F1 and share predicted "Yes" across thresholds (out-of-fold)."""
    figure, axis = plt.subplots(figsize=(7, 4.5))
    for key in ("precision", "recall", "f1", "share_yes"):
        axis.plot(table["threshold"], table[key], label=key)
    axis.axvline(chosen, color="black", linestyle="--", label=f"chosen {chosen:g}")
    axis.set(xlabel="threshold", ylabel="value", title="Threshold sweep (out-of-fold, training split)")
    axis.legend()
    return to_base64_png(figure)
