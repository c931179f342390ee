"""The one scikit-learn Pipeline shape of docs/model-contract.md: preprocess, then the model."""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from runtime import contract


def build_preprocess() -> ColumnTransformer:
    """Gender one-hot (one 0/1 column, Male = 1), then age and salary standardised."""
    return ColumnTransformer(
        [
            ("gender", OneHotEncoder(categories=[list(contract.GENDERS)], drop="if_binary"), ["gender"]),
            ("scale", StandardScaler(), ["age", "salary"]),
        ]
    )


def build_pipeline(estimator: BaseEstimator) -> Pipeline:
    """Return ``Pipeline([("preprocess", ColumnTransformer(...)), ("model", estimator)])``."""
    return Pipeline([("preprocess", build_preprocess()), ("model", estimator)])
