"""Bit-exact scikit-learn decision trees and random forests as one leaf-index TreeEnsemble.

sklearn casts features to float32, compares ``float32(x) <= threshold`` with float64 thresholds,
then adds the trees' leaf probabilities one after another in float64 and divides by the tree count.
The graph does the same: Cast(float) -> Cast(double) -> one TreeEnsembleRegressor (double
thresholds, one target per tree whose value is the global leaf id) -> Gather from a float64 table
of leaf probabilities -> CumSum over trees (sequential, sklearn's order) -> last -> Div.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import TensorProto, numpy_helper
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from export.errors import UnsupportedModelError
from export.graph import ML_DOMAIN, GraphBuilder

MAX_EXACT_ID = 2**24  # integers below this survive the regressor's float32 output unchanged


def tree_estimators(model: Any) -> list[DecisionTreeClassifier]:
    """Return the fitted trees of a DecisionTreeClassifier or RandomForestClassifier, in order."""
    if isinstance(model, RandomForestClassifier):
        return list(model.estimators_)
    if isinstance(model, DecisionTreeClassifier):
        return [model]
    raise UnsupportedModelError(f"not a tree model: {type(model).__name__}")


def _ensemble_attributes(trees: list[DecisionTreeClassifier]) -> tuple[dict[str, Any], np.ndarray]:
    """Build TreeEnsembleRegressor attributes and the stacked per-node probability table."""
    attrs: dict[str, list[Any]] = {
        k: []
        for k in [
            "nodes_treeids",
            "nodes_nodeids",
            "nodes_featureids",
            "nodes_modes",
            "nodes_truenodeids",
            "nodes_falsenodeids",
            "target_treeids",
            "target_nodeids",
            "target_ids",
            "target_weights",
        ]
    }
    thresholds: list[float] = []
    tables: list[np.ndarray] = []
    offset = 0
    for t, tree in enumerate(trees):
        structure = tree.tree_
        if structure.n_outputs != 1 or structure.value.shape[2] != 2:
            raise UnsupportedModelError("only binary single-output trees are supported")
        left, right = structure.children_left, structure.children_right
        for node in range(structure.node_count):
            leaf = left[node] == -1
            attrs["nodes_treeids"].append(t)
            attrs["nodes_nodeids"].append(node)
            attrs["nodes_featureids"].append(0 if leaf else int(structure.feature[node]))
            attrs["nodes_modes"].append("LEAF" if leaf else "BRANCH_LEQ")
            attrs["nodes_truenodeids"].append(0 if leaf else int(left[node]))
            attrs["nodes_falsenodeids"].append(0 if leaf else int(right[node]))
            thresholds.append(0.0 if leaf else float(structure.threshold[node]))
            if leaf:
                attrs["target_treeids"].append(t)
                attrs["target_nodeids"].append(node)
                attrs["target_ids"].append(t)
                attrs["target_weights"].append(float(offset + node))
        tables.append(np.asarray(structure.value[:, 0, :], dtype=np.float64))
        offset += structure.node_count
    if offset >= MAX_EXACT_ID:
        raise UnsupportedModelError(f"forest too large for exact export ({offset} nodes)")
    out: dict[str, Any] = dict(attrs)
    out["nodes_values_as_tensor"] = numpy_helper.from_array(np.asarray(thresholds, dtype=np.float64))
    return out, np.concatenate(tables, axis=0)


def leaf_values(
    builder: GraphBuilder,
    features: str,
    attrs: dict[str, Any],
    table: np.ndarray,
    n_trees: int,
    hints: tuple[str, str, str, str],
) -> str:
    """Add one TreeEnsembleRegressor writing each tree's leaf id, then look the ids up in table.

    The regressor's float32 output carries only small integers (exact); the values themselves come
    from ``table`` at its own precision. Returns an [N, n_trees] tensor. ``hints`` name the leaf ids,
    their int64 cast, the table and the result.
    """
    ids_hint, cast_hint, table_hint, out_hint = hints
    leaf_ids = builder.op(
        "TreeEnsembleRegressor",
        [features],
        ids_hint,
        domain=ML_DOMAIN,
        n_targets=n_trees,
        aggregate_function="SUM",
        post_transform="NONE",
        **attrs,
    )
    ids = builder.cast(leaf_ids, TensorProto.INT64, cast_hint)
    return builder.op("Gather", [builder.const(table, table_hint), ids], out_hint, axis=0)


def tree_probabilities(builder: GraphBuilder, model: Any, features: str) -> str:
    """Add nodes computing sklearn's predict_proba [N, 2] float64 for a tree or forest."""
    trees = tree_estimators(model)
    attrs, table = _ensemble_attributes(trees)
    as_float = builder.cast(features, TensorProto.FLOAT, "x_f32")
    promoted = builder.cast(as_float, TensorProto.DOUBLE, "x_f32_as_f64")
    hints = ("leaf_ids", "leaf_ids_i64", "leaf_proba", "tree_proba")
    per_tree = leaf_values(builder, promoted, attrs, table, len(trees), hints)
    running = builder.op("CumSum", [per_tree, builder.const(np.int64(1), "axis")], "running_sum")
    total = builder.take(running, len(trees) - 1, axis=1, hint="proba_sum")
    divisor = builder.const(np.float64(len(trees)), "n_trees")
    return builder.op("Div", [total, divisor], "tree_probabilities")
