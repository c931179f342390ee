"""The five model families, their search grids (full and fast) and single-threaded final settings."""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier
from xgboost import XGBClassifier

FAMILIES = ("logreg", "knn", "tree", "forest", "xgboost")

Grid = dict[str, list[Any]]

FULL_GRIDS: dict[str, Grid] = {
    "logreg": {"C": [0.01, 0.1, 1.0, 10.0, 100.0]},
    "knn": {"n_neighbors": [5, 11, 17, 25, 35]},  # uniform weights: the exported graph reproduces them
    "tree": {"max_depth": [3, 4, 5, 6], "min_samples_leaf": [5, 10, 20]},
    # max_features: with three inputs sqrt lets each split see one column only; None means all three
    "forest": {
        "max_features": [1, 2, None],
        "min_samples_leaf": [5, 10],
        "max_depth": [6, None],
        "n_estimators": [100, 300],
    },
    "xgboost": {"n_estimators": [100, 300], "max_depth": [2, 3], "learning_rate": [0.03, 0.1]},
}
FAST_GRIDS: dict[str, Grid] = {
    "logreg": {"C": [0.1, 1.0]},
    "knn": {"n_neighbors": [11, 25]},
    "tree": {"max_depth": [3, 5], "min_samples_leaf": [10]},
    "forest": {
        "n_estimators": [30],
        "max_depth": [4, 6],
        "min_samples_leaf": [10],
        "max_features": [1, None],
    },
    "xgboost": {"n_estimators": [30], "max_depth": [2, 3], "learning_rate": [0.1]},
}


def make_estimator(family: str, seed: int, **params: Any) -> BaseEstimator:
    """Build an unfitted estimator of a family; tree ensembles run single-threaded (deterministic order)."""
    if family == "logreg":
        return LogisticRegression(max_iter=1000, **params)
    if family == "knn":
        # KD-tree search: export/knn.py reproduces its tie order exactly; brute force uses BLAS GEMM
        return KNeighborsClassifier(algorithm="kd_tree", **params)
    if family == "tree":
        return DecisionTreeClassifier(random_state=seed, **params)
    if family == "forest":
        return RandomForestClassifier(random_state=seed, n_jobs=None, **params)
    if family == "xgboost":
        defaults = {"subsample": 0.8, "colsample_bytree": 1.0, "min_child_weight": 2.0, "reg_lambda": 1.0}
        return XGBClassifier(
            random_state=seed, n_jobs=1, tree_method="hist", eval_metric="logloss", **{**defaults, **params}
        )
    raise ValueError(f"unknown model family {family!r}; expected one of {', '.join(FAMILIES)}")


def search_grid(family: str, fast: bool) -> Grid:
    """Hyperparameter grid for a family, prefixed for the Pipeline's ``model`` step."""
    grid = (FAST_GRIDS if fast else FULL_GRIDS)[family]
    return {f"model__{name}": values for name, values in grid.items()}
