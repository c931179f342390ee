"""Tune every model family inside the training split, cross-validate it and score it on the test split."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline

from training.candidates import FAMILIES, make_estimator, search_grid
from training.crossval import N_SPLITS, CVResult, cross_validate
from training.metrics import rounded, score
from training.pipeline import build_pipeline
from training.progress import Progress

logger = logging.getLogger(__name__)

MAX_CANDIDATES = 10  # hyperparameter points tried per family (the whole grid when it is smaller)
FAMILY_CANDIDATES = {"forest": 24}  # the forest's wider grid (24 points) is searched in full
TIE_TOLERANCE = 0.002  # CV ROC-AUC means closer than this count as a tie; the lower std then wins


@dataclass
class Candidate:
    """One tuned family: its best hyperparameters, CV result and held-out test metrics."""

    family: str
    params: dict[str, Any]
    cv: CVResult
    test: dict[str, float]
    test_proba: np.ndarray


SEARCH_FOLDS = 5


def search_size(family: str, fast: bool) -> int:
    """How many hyperparameter points the search tries for a family."""
    size = int(np.prod([len(values) for values in search_grid(family, fast).values()]))
    return min(FAMILY_CANDIDATES.get(family, MAX_CANDIDATES), size)


def tune(family: str, x: pd.DataFrame, y: np.ndarray, seed: int, fast: bool) -> dict[str, Any]:
    """Search a family's grid (up to MAX_CANDIDATES points) by Brier score; 5-fold CV, training split."""
    search = RandomizedSearchCV(
        build_pipeline(make_estimator(family, seed)),
        search_grid(family, fast),
        n_iter=search_size(family, fast),
        scoring="neg_brier_score",
        cv=StratifiedKFold(n_splits=SEARCH_FOLDS, shuffle=True, random_state=seed),
        n_jobs=2,
        random_state=seed,
    )
    search.fit(x, y)
    return {name.removeprefix("model__"): value for name, value in search.best_params_.items()}


def tuned_pipeline(family: str, params: dict[str, Any], seed: int) -> Pipeline:
    """The contract Pipeline around a family's estimator with the given hyperparameters."""
    return build_pipeline(make_estimator(family, seed, **params))


def compare_models(
    split: tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray],
    threshold: float,
    repeats: int,
    seed: int,
    fast: bool,
    progress: Progress | None = None,
) -> dict[str, Candidate]:
    """Tune, cross-validate and test each family; returns the candidates by family name."""
    x_train, x_test, y_train, y_test = split
    progress = progress or Progress()
    candidates: dict[str, Candidate] = {}
    for number, family in enumerate(FAMILIES, start=1):
        started = time.perf_counter()
        points = search_size(family, fast)
        progress.step(
            "[%d/%d] %s: searching %d candidates x %d folds (%d fits)",
            number,
            len(FAMILIES),
            family,
            points,
            SEARCH_FOLDS,
            points * SEARCH_FOLDS,
        )
        params = tune(family, x_train, y_train, seed, fast)
        pipeline = tuned_pipeline(family, params, seed)
        progress.step(
            "[%d/%d] %s: cross-validating %s (%dx%d = %d fits)",
            number,
            len(FAMILIES),
            family,
            params,
            repeats,
            N_SPLITS,
            repeats * N_SPLITS,
        )
        cv = cross_validate(pipeline, x_train, y_train, threshold, repeats, seed)
        test_proba = pipeline.fit(x_train, y_train).predict_proba(x_test)[:, 1]
        test = rounded(score(y_test, test_proba, threshold))
        candidates[family] = Candidate(family, params, cv, test, test_proba)
        logger.info(
            "%-8s CV ROC-AUC %.3f ± %.3f  Brier %.3f  test ROC-AUC %.3f  (%s; %.1fs)",
            family,
            cv.summary["roc_auc"],
            cv.summary["roc_auc_std"],
            cv.summary["brier"],
            test["roc_auc"],
            params,
            time.perf_counter() - started,
        )
    return candidates


def pick_best(candidates: dict[str, Candidate]) -> str:
    """Best CV ROC-AUC; means within TIE_TOLERANCE of the best are tied and the lowest std wins."""
    best = max(candidate.cv.summary["roc_auc"] for candidate in candidates.values())
    tied = [c for c in candidates.values() if c.cv.summary["roc_auc"] >= best - TIE_TOLERANCE]
    return min(tied, key=lambda c: (c.cv.summary["roc_auc_std"], -c.cv.summary["roc_auc"])).family
