"""Business-threshold policies, chosen on out-of-fold predictions of the training split only."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from training.errors import ConfigError
from training.metrics import predict_yes

DEFAULT_THRESHOLD = 0.6
GRID = np.round(np.arange(0.01, 1.0, 0.01), 2)
_BOUND = re.compile(r"^(precision|recall)\s*>=\s*([0-9]*\.?[0-9]+)$")


@dataclass(frozen=True)
class Policy:
    """A parsed ``--threshold`` value: a fixed number or a named rule."""

    kind: str  # "fixed", "max-f1", "precision", "recall" or "profit"
    value: float | None = None

    def describe(self) -> str:
        """The policy as the user would write it on the command line."""
        if self.kind == "fixed":
            return f"fixed {self.value:g}"
        if self.kind in ("precision", "recall"):
            return f"{self.kind}>={self.value:g}"
        return self.kind


def parse_policy(text: str) -> Policy:
    """Parse a number in (0, 1), ``max-f1``, ``precision>=X``, ``recall>=X`` or ``profit``."""
    cleaned = text.strip().lower()
    if cleaned in ("max-f1", "profit"):
        return Policy(cleaned)
    bound = _BOUND.match(cleaned)
    if bound:
        value = float(bound.group(2))
        if not 0.0 < value <= 1.0:
            raise ConfigError(f"--threshold {text!r}: the bound must be in (0, 1]")
        return Policy(bound.group(1), value)
    try:
        value = float(cleaned)
    except ValueError:
        raise ConfigError(
            f"--threshold {text!r}: expected a number in (0, 1), max-f1, precision>=X, recall>=X or profit"
        ) from None
    if not 0.0 < value < 1.0:
        raise ConfigError(f"--threshold {text!r}: a fixed threshold must be strictly between 0 and 1")
    return Policy("fixed", value)


def sweep(
    y_true: np.ndarray, probabilities: np.ndarray, thresholds: np.ndarray = GRID
) -> dict[str, list[float]]:
    """Precision, recall, F1, share predicted "Yes" and TP/FP counts at each threshold."""
    y_true = np.asarray(y_true)
    rows: dict[str, list[float]] = {
        k: [] for k in ("threshold", "precision", "recall", "f1", "share_yes", "tp", "fp")
    }
    positives = max(int(y_true.sum()), 1)
    for threshold in thresholds:
        yes = predict_yes(probabilities, float(threshold)).astype(bool)
        tp = int((yes & (y_true == 1)).sum())
        fp = int((yes & (y_true == 0)).sum())
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / positives
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        for key, value in zip(
            rows, (float(threshold), precision, recall, f1, float(yes.mean()), tp, fp), strict=True
        ):
            rows[key].append(round(value, 6))
    return rows


def choose_threshold(
    policy: Policy,
    y_true: np.ndarray,
    probabilities: np.ndarray,
    gain_tp: float | None = None,
    cost_fp: float | None = None,
) -> float:
    """Apply a policy to out-of-fold predictions (never the test split) and return the threshold."""
    if policy.kind == "fixed":
        assert policy.value is not None
        return policy.value
    table = sweep(y_true, probabilities)
    thresholds = np.array(table["threshold"])
    if policy.kind == "max-f1":
        return float(thresholds[int(np.argmax(table["f1"]))])
    if policy.kind in ("precision", "recall"):
        met = np.flatnonzero(np.array(table[policy.kind]) >= policy.value)
        if met.size == 0:
            raise ConfigError(f"no threshold reaches {policy.describe()} on the cross-validated predictions")
        # precision>=X: the lowest qualifying threshold (most recall); recall>=X: the highest (most precision)
        return float(thresholds[met[0]] if policy.kind == "precision" else thresholds[met[-1]])
    if gain_tp is None or cost_fp is None:
        raise ConfigError("--threshold profit needs both --gain-tp and --cost-fp")
    profit = gain_tp * np.array(table["tp"]) - cost_fp * np.array(table["fp"])
    return float(thresholds[int(np.argmax(profit))])
