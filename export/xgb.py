"""Bit-exact XGBoost (binary:logistic) predict_proba: XGBoost's own float32 arithmetic, step by step.

XGBoost 3.x casts features to float32 and sends a row left when ``x < split_condition`` (float32); the
graph folds the scaling and that test into a float64 split on the raw feature (export.split_folding).
The margin starts at ``base_margin = -logf(1.0f / base_score - 1.0f)`` and adds the trees' leaf
values one after another in float32, in tree order. ``predict_proba`` is then ``Sigmoid`` from
xgboost/src/common/math.h: ``1.0f / (expf(min(-x, 88.7f)) + 1.0f + 1e-16f)`` in float32, and
column 0 is ``1.0f - p``. The graph does the same: one TreeEnsemble returning each tree's
global leaf id, Gather from a float32 table of leaf values, CumSum (sequential, float32) over
``[base_margin, leaf_0, leaf_1, ...]``, then the sigmoid. The exponential is evaluated in float64 and
rounded to float32, which is glibc's expf result (both are correctly rounded to float32 except in
cases within one float64 ulp of a float32 rounding boundary).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from onnx import TensorProto

from export.errors import UnsupportedModelError
from export.graph import GraphBuilder
from export.preprocess import Features
from export.split_folding import raw_splits
from export.tree_ensemble import BRANCH_LEQ, TreeArrays, leaf_values

SIGMOID_CLAMP = np.float32(88.7)
SIGMOID_EPS = np.float32(1e-16)


def is_xgboost(model: Any) -> bool:
    """True for a fitted xgboost.XGBClassifier (xgboost is imported only when needed)."""
    return type(model).__name__ == "XGBClassifier" and type(model).__module__.startswith("xgboost")


def _booster_json(model: Any) -> dict[str, Any]:
    """The fitted booster's JSON document, checked to be a plain binary:logistic tree ensemble."""
    if getattr(model, "early_stopping_rounds", None) is not None:
        raise UnsupportedModelError("XGBClassifier with early stopping is not supported")
    document: dict[str, Any] = json.loads(model.get_booster().save_raw("json"))
    learner = document["learner"]
    objective = learner["objective"]["name"]
    booster = learner["gradient_booster"]
    if objective != "binary:logistic" or booster.get("name") != "gbtree":
        raise UnsupportedModelError(f"only gbtree binary:logistic XGBoost is supported, got {objective}")
    if any(int(t) != 0 for t in booster["model"]["tree_info"]):
        raise UnsupportedModelError("expected one output group (binary classification)")
    return document


def base_margin(document: dict[str, Any]) -> np.float32:
    """XGBoost's ProbToMargin for logistic: -logf(1.0f / base_score - 1.0f), all in float32."""
    base_score = np.float32(float(json.loads(document["learner"]["learner_model_param"]["base_score"])[0]))
    odds = np.float32(np.float32(1.0) / base_score - np.float32(1.0))
    return np.float32(-np.float32(math.log(float(odds))))


def _arrays(trees: list[dict[str, Any]], features: Features) -> tuple[list[TreeArrays], np.ndarray]:
    """Each tree with raw-feature splits (XGBoost's default directions) and every node's value."""
    arrays, tables = [], []
    means, scales = features.means, features.scales
    for tree in trees:
        if any(int(s) != 0 for s in tree.get("split_type", [])):
            raise UnsupportedModelError("categorical XGBoost splits are not supported")
        conditions = np.asarray(tree["split_conditions"], dtype=np.float32)
        used = np.asarray(tree["split_indices"], dtype=np.int64)
        inner = np.asarray(tree["left_children"]) != -1
        split = np.zeros(len(conditions), dtype=np.float64)
        split[inner] = raw_splits(conditions[inner], means[used[inner]], scales[used[inner]], strict=True)
        arrays.append(
            TreeArrays(
                feature=used.tolist(),
                split=split,
                left=[int(c) for c in tree["left_children"]],
                right=[int(c) for c in tree["right_children"]],
                missing_left=[int(d) for d in tree["default_left"]],
            )
        )
        tables.append(conditions)  # a leaf's split_condition holds its (learning-rate scaled) value
    return arrays, np.concatenate(tables)


def _sigmoid(builder: GraphBuilder, margin: str) -> str:
    """xgboost common::Sigmoid in float32: 1 / (expf(min(-x, 88.7)) + 1 + 1e-16)."""
    clamped = builder.op(
        "Min", [builder.op("Neg", [margin], "neg_margin"), builder.const(SIGMOID_CLAMP, "clamp")], "neg_c"
    )
    wide = builder.op("Exp", [builder.cast(clamped, TensorProto.DOUBLE, "neg_c64")], "exp64")
    exp = builder.cast(wide, TensorProto.FLOAT, "expf")
    one = builder.const(np.float32(1.0), "one_f")
    denominator = builder.op(
        "Add", [builder.op("Add", [exp, one], "e1"), builder.const(SIGMOID_EPS, "eps")], "den"
    )
    return builder.op("Div", [one, denominator], "p_f32")


def xgboost_probabilities(builder: GraphBuilder, model: Any, features: Features) -> str:
    """Add XGBoost's predict_proba as float32 [N, 2]; XGBoost itself sees float32(scaled features)."""
    document = _booster_json(model)
    trees = document["learner"]["gradient_booster"]["model"]["trees"]
    if not trees:
        raise UnsupportedModelError("XGBoost model has no trees")
    arrays, table = _arrays(trees, features)
    leaves = leaf_values(builder, features.raw, arrays, BRANCH_LEQ, np.float64, table, "xgb")
    first = builder.column(leaves, 0, hint="xgb_l0")
    start = builder.op(
        "Expand",
        [
            builder.const(np.array([[base_margin(document)]], dtype=np.float32), "base"),
            builder.op("Shape", [first], "n1"),
        ],
        "xgb_base",
    )
    terms = builder.op("Concat", [start, leaves], "xgb_terms", axis=1)
    running = builder.op("CumSum", [terms, builder.const(np.int64(1), "axis")], "xgb_running")
    margin = builder.column(running, len(trees), hint="xgb_margin")  # [N, 1]
    positive = _sigmoid(builder, margin)
    negative = builder.op("Sub", [builder.const(np.float32(1.0), "one_f"), positive], "p0_f32")
    return builder.op("Concat", [negative, positive], "xgb_proba", axis=1)
