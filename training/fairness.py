"""What gender does to the model: per-gender slices and the counterfactual gender flip.

Slices (held-out split and pooled out-of-fold CV): rows, buy rate, ROC-AUC, precision, recall, Yes-rate
at the threshold and calibration (mean P(buy) against the buy rate, Brier). The flip: every row scored as
Female and as Male, ΔP = P(Male) - P(Female), on the held-out rows and on a grid over the training
ranges; how large ΔP is and how many decisions change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, precision_score, recall_score, roc_auc_score

from runtime import contract
from training.documents import Counterfactual, Fairness, FlipSummary, ModelCardFairness, Slices
from training.metrics import predict_yes

#: The invariance bound: a gender flip should move P(buy) by less than this on most of the grid. The
#: share of grid points within it is recorded for the model and checked by tests/model/.
FLIP_BOUND = 0.05
GRID_SALARY_STEP = 1000.0
GRID_AGE_STEP = 1.0

Scorer = Callable[[pd.DataFrame], np.ndarray]


def _auc(y: np.ndarray, p: np.ndarray) -> float | None:
    """ROC-AUC, or None when the slice holds a single class."""
    return float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else None


def slice_metrics(y: np.ndarray, proba: np.ndarray, gender: np.ndarray, threshold: float) -> Slices:
    """Per gender: rows, buy rate, ROC-AUC, precision, recall, Yes-rate, mean P(buy), gap and Brier."""
    y, proba, gender = np.asarray(y), np.asarray(proba, dtype=np.float64), np.asarray(gender)
    slices: Slices = {}
    for name in contract.GENDERS:
        mask = gender == name
        if not mask.any():
            continue
        ys, ps = y[mask], proba[mask]
        decided = predict_yes(ps, threshold)
        slices[name] = {
            "rows": int(mask.sum()),
            "buy_rate": round(float(ys.mean()), 6),
            "roc_auc": None if (auc := _auc(ys, ps)) is None else round(auc, 6),
            "precision": round(float(precision_score(ys, decided, zero_division=0)), 6),
            "recall": round(float(recall_score(ys, decided, zero_division=0)), 6),
            "yes_rate": round(float(decided.mean()), 6),
            "mean_probability": round(float(ps.mean()), 6),
            "calibration_gap": round(float(ps.mean() - ys.mean()), 6),
            "brier": round(float(brier_score_loss(ys, ps)), 6),
        }
    return slices


def training_grid(ranges: Mapping[str, Sequence[float]]) -> pd.DataFrame:
    """Ages in 1-year and salaries in 1,000 steps over the training ranges (gender column left out)."""
    (a_lo, a_hi), (s_lo, s_hi) = ranges["age"], ranges["salary"]
    ages = np.arange(float(a_lo), float(a_hi) + GRID_AGE_STEP / 2, GRID_AGE_STEP)
    salaries = np.arange(float(s_lo), float(s_hi) + GRID_SALARY_STEP / 2, GRID_SALARY_STEP)
    age, salary = np.meshgrid(ages, salaries, indexing="ij")
    return pd.DataFrame({"age": age.ravel(), "salary": salary.ravel()})


def as_gender(frame: pd.DataFrame, gender: str) -> pd.DataFrame:
    """The rows' age and salary with every gender set to one value (contract column order)."""
    rows = frame[["age", "salary"]].astype("float64").reset_index(drop=True)
    return rows.assign(gender=pd.Series([gender] * len(rows), dtype=object))


def flip_deltas(scorer: Scorer, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """P(buy) of each row as Female and as Male."""
    female, male = contract.GENDERS
    return scorer(as_gender(frame, female)), scorer(as_gender(frame, male))


def flip_summary(p_female: np.ndarray, p_male: np.ndarray, threshold: float) -> FlipSummary:
    """Distribution of ΔP = P(Male) - P(Female) and how many decisions the flip changes."""
    delta = np.asarray(p_male, dtype=np.float64) - np.asarray(p_female, dtype=np.float64)
    size = np.abs(delta)
    flips = predict_yes(p_male, threshold) != predict_yes(p_female, threshold)
    quantiles = np.quantile(delta, [0.0, 0.05, 0.5, 0.95, 1.0])
    return {
        "rows": int(delta.size),
        "delta_mean": round(float(delta.mean()), 6),
        "delta_quantiles": dict(
            zip(("min", "p5", "p50", "p95", "max"), quantiles.round(6).tolist(), strict=True)
        ),
        "abs_delta_mean": round(float(size.mean()), 6),
        "abs_delta_p95": round(float(np.quantile(size, 0.95)), 6),
        "abs_delta_max": round(float(size.max()), 6),
        "bound": FLIP_BOUND,
        "share_within_bound": round(float((size < FLIP_BOUND).mean()), 6),
        "decision_flips": int(flips.sum()),
        "flip_rate": round(float(flips.mean()), 6),
    }


def counterfactual(
    scorer: Scorer, test_rows: pd.DataFrame, ranges: dict[str, list[float]], threshold: float
) -> Counterfactual:
    """The gender flip on every held-out row and on the training-range grid."""
    return {
        "test": flip_summary(*flip_deltas(scorer, test_rows), threshold),
        "grid": {
            "age_step": GRID_AGE_STEP,
            "salary_step": GRID_SALARY_STEP,
            **flip_summary(*flip_deltas(scorer, training_grid(ranges)), threshold),
        },
    }


def model_card_fairness(fairness: Fairness) -> ModelCardFairness:
    """The compact part the ONNX metadata and model card carry: held-out slices and the flip numbers."""
    return {
        "slices_test": fairness["slices"]["test"],
        "slices_cv": fairness["slices"]["cv"],
        "gender_flip": fairness["counterfactual"],
        "uses_gender": fairness["uses_gender"],
    }
