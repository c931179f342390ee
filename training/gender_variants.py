"""The final pipeline with and without the gender input: slices, gender flip and a side-by-side comparison."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import Pipeline

from training.calibration import calibrated_pipeline
from training.crossval import CVResult, cross_validate
from training.documents import Fairness, SlicePair, Variant
from training.fairness import counterfactual, slice_metrics
from training.metrics import rounded, score

logger = logging.getLogger(__name__)

COMPARISON_REPEATS = 2  # the other variant is cross-validated on the first 2 repeats of the same splits
VARIANT_NAMES = {True: "with_gender", False: "without_gender"}


def scorer(pipeline: Pipeline) -> Any:
    """P(buy) of a fitted pipeline for a contract frame."""
    return lambda frame: pipeline.predict_proba(frame)[:, 1]


def _variant(
    pipeline: Pipeline,
    cv: CVResult,
    split: tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray],
    ranges: dict[str, list[float]],
    threshold: float,
) -> Variant:
    """One fitted variant's CV summary, test metrics, test slices and gender flip."""
    _, x_test, _, y_test = split
    proba = pipeline.predict_proba(x_test)[:, 1]
    return {
        "cv": cv.summary_at(threshold),
        "test": rounded(score(y_test, proba, threshold)),
        "slices_test": slice_metrics(y_test, proba, x_test["gender"].to_numpy(), threshold),
        "gender_flip": counterfactual(scorer(pipeline), x_test, ranges, threshold),
    }


def assess(
    estimator: BaseEstimator,
    calibration: str,
    gender: bool,
    fitted: Pipeline,
    final_cv: CVResult,
    split: tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray],
    threshold: float,
    seed: int,
) -> Fairness:
    """Slices and flip of the shipped pipeline, plus the same pipeline with the gender input toggled."""
    x_train, x_test, y_train, y_test = split
    ranges = {c: [float(x_train[c].min()), float(x_train[c].max())] for c in ("age", "salary")}
    test_proba = fitted.predict_proba(x_test)[:, 1]
    repeats = final_cv.oof.shape[0]
    pooled_gender = np.tile(x_train["gender"].to_numpy(), repeats)
    slices: SlicePair = {
        "test": slice_metrics(y_test, test_proba, x_test["gender"].to_numpy(), threshold),
        "cv": slice_metrics(np.tile(y_train, repeats), final_cv.oof.ravel(), pooled_gender, threshold),
    }
    flip = counterfactual(scorer(fitted), x_test, ranges, threshold)
    compared_repeats = min(repeats, COMPARISON_REPEATS)
    # a clone: with calibration "none" the shipped pipeline holds this very estimator object
    other = calibrated_pipeline(clone(estimator), calibration, gender=not gender)
    other_cv = cross_validate(other, x_train, y_train, threshold, compared_repeats, seed)
    other.fit(x_train, y_train)
    comparison = {
        VARIANT_NAMES[gender]: _variant(
            fitted, final_cv.first_repeats(compared_repeats, threshold), split, ranges, threshold
        ),
        VARIANT_NAMES[not gender]: _variant(other, other_cv, split, ranges, threshold),
    }
    logger.info(
        "gender: flip changes %d of %d test decisions, grid |ΔP| < %.2f on %.1f%%; "
        "CV ROC-AUC with %.3f / without %.3f",
        flip["test"]["decision_flips"],
        flip["test"]["rows"],
        flip["grid"]["bound"],
        100 * flip["grid"]["share_within_bound"],
        comparison["with_gender"]["cv"]["roc_auc"],
        comparison["without_gender"]["cv"]["roc_auc"],
    )
    return {
        "uses_gender": gender,
        "training_ranges": ranges,
        "slices": slices,
        "counterfactual": flip,
        "comparison_scheme": f"{compared_repeats}x5 repeated stratified k-fold (same splits)",
        "comparison": comparison,
    }
