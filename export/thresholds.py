"""Split thresholds of every tree in a model, per feature, for adversarial parity points."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from export.xgb import is_xgboost


def _base_estimators(model: Any) -> list[Any]:
    """The fitted estimators that make the predictions (calibration folds unwrapped)."""
    if isinstance(model, CalibratedClassifierCV):
        return [fold.estimator for fold in model.calibrated_classifiers_]
    return [model]


def _sklearn_trees(model: Any) -> list[DecisionTreeClassifier]:
    """Trees of a forest or the tree itself; empty for other models."""
    if isinstance(model, RandomForestClassifier):
        return list(model.estimators_)
    if isinstance(model, DecisionTreeClassifier):
        return [model]
    return []


def _xgboost_splits(model: Any) -> list[tuple[int, float]]:
    """(feature, split value) pairs from the booster's JSON (float32 values, exact)."""
    raw = json.loads(model.get_booster().save_raw("json"))
    pairs: list[tuple[int, float]] = []
    for tree in raw["learner"]["gradient_booster"]["model"]["trees"]:
        for left, feature, value in zip(
            tree["left_children"], tree["split_indices"], tree["split_conditions"], strict=True
        ):
            if left != -1:
                pairs.append((int(feature), float(np.float32(value))))
    return pairs


def split_thresholds(model: Any) -> dict[int, np.ndarray]:
    """Map model feature index -> sorted unique thresholds (in the model's scaled units)."""
    pairs: list[tuple[int, float]] = []
    for estimator in _base_estimators(model):
        for tree in _sklearn_trees(estimator):
            structure = tree.tree_
            inner = structure.children_left != -1
            pairs.extend(
                zip(structure.feature[inner].tolist(), structure.threshold[inner].tolist(), strict=True)
            )
        if is_xgboost(estimator):
            pairs.extend(_xgboost_splits(estimator))
    result: dict[int, list[float]] = {}
    for feature, value in pairs:
        result.setdefault(feature, []).append(value)
    return {f: np.unique(np.asarray(v, dtype=np.float64)) for f, v in result.items()}
