"""Repeated stratified k-fold on the training split: per-fold metrics and out-of-fold P(buy)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.pipeline import Pipeline

from training.metrics import score, summarise

N_SPLITS = 5


@dataclass
class CVResult:
    """Fold metrics summary plus out-of-fold probabilities, one row per repeat."""

    summary: dict[str, float]
    oof: np.ndarray  # shape (repeats, n_rows): each row is a full out-of-fold prediction
    folds: list[tuple[np.ndarray, np.ndarray]]  # (held-out row indices, their P(buy)) per fold
    y: np.ndarray

    def summary_at(self, threshold: float) -> dict[str, float]:
        """The fold metrics summary recomputed at another business threshold."""
        return summarise([score(self.y[test], proba, threshold) for test, proba in self.folds])

    def first_repeats(self, repeats: int, threshold: float) -> CVResult:
        """The same result restricted to its first repeats (identical to a run with fewer repeats)."""
        kept = CVResult({}, self.oof[:repeats], self.folds[: repeats * N_SPLITS], self.y)
        kept.summary = kept.summary_at(threshold)
        return kept


def _fit_predict(
    pipeline: Pipeline, x: pd.DataFrame, y: np.ndarray, train: np.ndarray, test: np.ndarray
) -> np.ndarray:
    fitted = clone(pipeline).fit(x.iloc[train], y[train])
    return fitted.predict_proba(x.iloc[test])[:, 1]


def cross_validate(
    pipeline: Pipeline,
    x: pd.DataFrame,
    y: np.ndarray,
    threshold: float,
    repeats: int,
    seed: int,
    n_jobs: int = 2,
    reuse: CVResult | None = None,
) -> CVResult:
    """Fit a clone of the whole pipeline per fold (no leakage) and score it on the held-out fold.

    ``reuse``: an earlier result of the same pipeline, data and seed with fewer repeats; its folds
    are identical to this run's first folds, so only the remaining repeats are fitted.
    """
    splitter = RepeatedStratifiedKFold(n_splits=N_SPLITS, n_repeats=repeats, random_state=seed)
    splits = list(splitter.split(x, y))
    done = [proba for _, proba in reuse.folds] if reuse is not None else []
    predictions = done + Parallel(n_jobs=n_jobs)(
        delayed(_fit_predict)(pipeline, x, y, train, test) for train, test in splits[len(done) :]
    )
    oof = np.zeros((repeats, len(y)))
    folds = []
    for index, ((_, test), proba) in enumerate(zip(splits, predictions, strict=True)):
        oof[index // N_SPLITS, test] = proba
        folds.append((test, proba))
    result = CVResult(summary={}, oof=oof, folds=folds, y=np.asarray(y))
    result.summary = result.summary_at(threshold)
    return result
