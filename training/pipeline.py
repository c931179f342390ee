"""The one scikit-learn Pipeline shape of docs/model-contract.md: preprocess, then the model."""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from runtime import contract


def build_preprocess(gender: bool = True) -> ColumnTransformer:
    """Gender one-hot (one 0/1 column, Male = 1), then age and salary standardised.

    ``gender=False`` drops the gender column (the ``--without-gender`` model): the pipeline still takes
    the contract's three inputs, so its ONNX file keeps a ``gender`` input that no node reads.
    """
    encoder = OneHotEncoder(categories=[list(contract.GENDERS)], drop="if_binary") if gender else "drop"
    return ColumnTransformer(
        [("gender", encoder, ["gender"]), ("scale", StandardScaler(), ["age", "salary"])]
    )


def build_pipeline(estimator: BaseEstimator, gender: bool = True) -> Pipeline:
    """Return ``Pipeline([("preprocess", ColumnTransformer(...)), ("model", estimator)])``."""
    return Pipeline([("preprocess", build_preprocess(gender)), ("model", estimator)])
