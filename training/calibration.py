"""Compare uncalibrated, sigmoid and isotonic calibration of the chosen model by CV Brier and log-loss."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import Pipeline

from training.crossval import CVResult, cross_validate
from training.pipeline import build_pipeline

logger = logging.getLogger(__name__)

METHODS = ("none", "sigmoid", "isotonic")
MIN_BRIER_GAIN = 0.0005  # a calibration is kept only if it lowers CV Brier by at least this much


def calibrated_pipeline(estimator: BaseEstimator, method: str, gender: bool = True) -> Pipeline:
    """The contract Pipeline whose ``model`` is the estimator, optionally wrapped for calibration.

    ``ensemble=False``: one model fit on the whole training split, calibrated on its 5-fold out-of-fold
    predictions. Serving then runs one forest instead of five, at the same calibration quality.
    """
    if method == "none":
        return build_pipeline(estimator, gender)
    return build_pipeline(CalibratedClassifierCV(estimator, method=method, cv=5, ensemble=False), gender)


def compare_calibrations(
    estimator: BaseEstimator,
    x: pd.DataFrame,
    y: np.ndarray,
    methods: tuple[str, ...],
    threshold: float,
    repeats: int,
    seed: int,
    gender: bool = True,
) -> dict[str, CVResult]:
    """Cross-validate the estimator under each calibration method (``gender=False``: without gender)."""
    results: dict[str, CVResult] = {}
    for method in methods:
        results[method] = cross_validate(
            calibrated_pipeline(estimator, method, gender), x, y, threshold, repeats, seed
        )
        logger.info(
            "calibration %-8s CV Brier %.4f  log-loss %.4f  ROC-AUC %.3f",
            method,
            results[method].summary["brier"],
            results[method].summary["log_loss"],
            results[method].summary["roc_auc"],
        )
    return results


def choose_calibration(results: dict[str, CVResult]) -> str:
    """Keep a calibration only if it lowers CV Brier by MIN_BRIER_GAIN without worsening log-loss."""
    if "none" not in results:
        return next(iter(results))
    base = results["none"].summary
    helpful = [
        method
        for method, result in results.items()
        if method != "none"
        and result.summary["brier"] <= base["brier"] - MIN_BRIER_GAIN
        and result.summary["log_loss"] <= base["log_loss"]
    ]
    return min(helpful, key=lambda method: results[method].summary["brier"]) if helpful else "none"
