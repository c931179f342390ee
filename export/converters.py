"""Per-family ONNX subgraphs that reproduce each estimator's predict_proba from float64 features."""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import TensorProto
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

from export.binary import expit, stack_binary
from export.calibration import calibrated_probabilities
from export.errors import UnsupportedModelError
from export.exact_trees import tree_probabilities
from export.graph import GraphBuilder
from export.knn import knn_probabilities
from export.preprocess import Features
from export.xgb import is_xgboost, xgboost_probabilities

FAMILIES = {
    RandomForestClassifier: "forest",
    LogisticRegression: "logreg",
    KNeighborsClassifier: "knn",
    DecisionTreeClassifier: "tree",
}


def describe(model: Any) -> tuple[str, str]:
    """Return (model_family, calibration) for a fitted model step."""
    calibration = "none"
    base = model
    if isinstance(model, CalibratedClassifierCV):
        calibration = str(model.method)
        if calibration not in ("sigmoid", "isotonic"):
            raise UnsupportedModelError(f"calibration method {calibration!r} is not supported")
        base = model.estimator
    if is_xgboost(base):
        return "xgboost", calibration
    for cls, family in FAMILIES.items():
        if type(base) is cls:
            return family, calibration
    raise UnsupportedModelError(f"unsupported model {type(base).__name__}")


def _check_binary(model: Any) -> None:
    """Refuse anything but a 0/1 classifier."""
    classes = [int(c) for c in getattr(model, "classes_", [])]
    if classes != [0, 1]:
        raise UnsupportedModelError(f"expected classes [0, 1], got {classes}")


def _logreg_decision(builder: GraphBuilder, model: LogisticRegression, features: str) -> str:
    """decision_function as sklearn computes it: X @ coef_.T + intercept_, float64, shape [N, 1]."""
    coef = np.asarray(model.coef_, dtype=np.float64).T
    product = builder.op("MatMul", [features, builder.const(coef, "coef")], "xw")
    return builder.op("Add", [product, builder.const(model.intercept_, "intercept", np.float64)], "dec")


def positive_score(builder: GraphBuilder, model: Any, features: Features) -> str:
    """The score CalibratedClassifierCV calibrates: decision_function if any, else P(class 1); [N, 1]."""
    if isinstance(model, LogisticRegression):
        return _logreg_decision(builder, model, features.scaled(builder))
    if isinstance(model, RandomForestClassifier | DecisionTreeClassifier):
        _check_binary(model)
        return tree_probabilities(builder, model, features, positive_only=True)
    return builder.column(estimator_probabilities(builder, model, features), 1, hint="p1")


def estimator_probabilities(builder: GraphBuilder, model: Any, features: Features) -> str:
    """Add nodes computing model.predict_proba(features) as float64 [N, 2]."""
    _check_binary(model)
    if isinstance(model, CalibratedClassifierCV):
        return calibrated_probabilities(builder, model, features, positive_score)
    if isinstance(model, RandomForestClassifier | DecisionTreeClassifier):
        return tree_probabilities(builder, model, features)
    if isinstance(model, LogisticRegression):
        decision = _logreg_decision(builder, model, features.scaled(builder))
        return stack_binary(builder, expit(builder, decision))
    if isinstance(model, KNeighborsClassifier):
        return knn_probabilities(builder, model, features.scaled(builder))
    if is_xgboost(model):
        return builder.cast(xgboost_probabilities(builder, model, features), TensorProto.DOUBLE, "xgb_f64")
    raise UnsupportedModelError(f"unsupported model {type(model).__name__}")
