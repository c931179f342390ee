"""Bit-exact XGBoost (binary:logistic) predict_proba: XGBoost's own float32 arithmetic, step by step.

XGBoost 3.x casts features to float32 and sends a row left when ``x < split_condition`` (float32).
The margin starts at ``base_margin = -logf(1.0f / base_score - 1.0f)`` and adds the trees' leaf
values one after another in float32, in tree order. ``predict_proba`` is then ``Sigmoid`` from
xgboost/src/common/math.h: ``1.0f / (expf(min(-x, 88.7f)) + 1.0f + 1e-16f)`` in float32, and
column 0 is ``1.0f - p``. The graph does the same: one TreeEnsembleRegressor returning each tree's
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
from onnx import TensorProto, numpy_helper

from export.errors import UnsupportedModelError
from export.exact_trees import MAX_EXACT_ID, leaf_values
from export.graph import GraphBuilder

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


def _ensemble(trees: list[dict[str, Any]]) -> tuple[dict[str, Any], np.ndarray]:
    """TreeEnsembleRegressor attributes (one target per tree = its global leaf id) and the leaf table."""
    attrs: dict[str, list[Any]] = {
        k: []
        for k in (
            "nodes_treeids",
            "nodes_nodeids",
            "nodes_featureids",
            "nodes_modes",
            "nodes_values",
            "nodes_truenodeids",
            "nodes_falsenodeids",
            "nodes_missing_value_tracks_true",
            "target_treeids",
            "target_nodeids",
            "target_ids",
            "target_weights",
        )
    }
    tables: list[np.ndarray] = []
    offset = 0
    for t, tree in enumerate(trees):
        left, right = tree["left_children"], tree["right_children"]
        conditions = np.asarray(tree["split_conditions"], dtype=np.float32)
        if any(int(s) != 0 for s in tree.get("split_type", [])):
            raise UnsupportedModelError("categorical XGBoost splits are not supported")
        for node in range(len(left)):
            leaf = left[node] == -1
            attrs["nodes_treeids"].append(t)
            attrs["nodes_nodeids"].append(node)
            attrs["nodes_featureids"].append(0 if leaf else int(tree["split_indices"][node]))
            attrs["nodes_modes"].append("LEAF" if leaf else "BRANCH_LT")
            attrs["nodes_values"].append(0.0 if leaf else float(conditions[node]))
            attrs["nodes_truenodeids"].append(0 if leaf else int(left[node]))
            attrs["nodes_falsenodeids"].append(0 if leaf else int(right[node]))
            attrs["nodes_missing_value_tracks_true"].append(0 if leaf else int(tree["default_left"][node]))
            if leaf:
                attrs["target_treeids"].append(t)
                attrs["target_nodeids"].append(node)
                attrs["target_ids"].append(t)
                attrs["target_weights"].append(float(offset + node))
        tables.append(conditions)  # a leaf's split_condition holds its (learning-rate scaled) value
        offset += len(left)
    if offset >= MAX_EXACT_ID:
        raise UnsupportedModelError(f"XGBoost model too large for exact export ({offset} nodes)")
    out: dict[str, Any] = dict(attrs)
    out["nodes_values_as_tensor"] = numpy_helper.from_array(np.asarray(out.pop("nodes_values"), np.float32))
    return out, np.concatenate(tables)


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


def xgboost_probabilities(builder: GraphBuilder, model: Any, features: str) -> str:
    """Add XGBoost's predict_proba as float32 [N, 2]; XGBoost itself sees float32(features)."""
    document = _booster_json(model)
    trees = document["learner"]["gradient_booster"]["model"]["trees"]
    if not trees:
        raise UnsupportedModelError("XGBoost model has no trees")
    attrs, table = _ensemble(trees)
    as_float = builder.cast(features, TensorProto.FLOAT, "xgb_x")
    hints = ("xgb_leaf_ids", "xgb_ids", "xgb_leaf_values", "xgb_leaves")
    leaves = leaf_values(builder, as_float, attrs, table, len(trees), hints)
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
