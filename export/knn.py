"""k-nearest-neighbours predict_proba with sklearn's distance arithmetic and KD-tree tie order.

sklearn's KD-tree query visits leaves depth-first, nearer child first (by min_rdist, ties to the
left), points of a leaf in idx_array order, and a point equal to the heap's largest distance is
rejected; so among rows tied at the k-th distance the first-visited are kept. The graph computes
the exact reduced distances, each node's min_rdist, hence every row's visit rank for this query,
keeps all rows nearer than the k-th distance and fills up with the earliest-visited tied rows.
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper
from sklearn.neighbors import KDTree, KNeighborsClassifier

from export.errors import UnsupportedModelError
from export.graph import GraphBuilder


def _check_supported(model: KNeighborsClassifier) -> KDTree:
    """Only uniform-weight Euclidean KNN on a KD-tree is reproduced exactly."""
    euclidean = model.metric == "euclidean" or (model.metric == "minkowski" and model.p == 2)
    if not euclidean or model.weights != "uniform":
        raise UnsupportedModelError("only uniform-weight Euclidean KNeighborsClassifier is supported")
    tree = getattr(model, "_tree", None)
    if model._fit_method != "kd_tree" or not isinstance(tree, KDTree):
        raise UnsupportedModelError("only KNeighborsClassifier(algorithm='kd_tree' or 'auto') is supported")
    return tree


def _tree_layout(tree: KDTree) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(rows in idx_array order, idx_array, node_bounds, visit-rank weights, base) of a KD-tree."""
    data, idx_array, node_data, bounds = tree.get_arrays()
    n_nodes = len(node_data)
    n_internal = n_nodes // 2
    if any(bool(node_data["is_leaf"][i]) for i in range(n_internal)):
        raise UnsupportedModelError("KD-tree has an early leaf; exact tie order not reproducible")
    depth = int(np.log2(n_nodes + 1)) - 1  # levels below the root
    n_rows = len(idx_array)
    leaf_size = int(max(node_data["idx_end"] - node_data["idx_start"]))
    # key(row) = base + sum over ancestors a of flip[a] * sign * weight; flip[a] = visit right first
    weights = np.zeros((max(n_internal, 1), n_rows))
    base = np.zeros(n_rows)
    for leaf in range(2**depth):
        node = leaf + n_internal
        start, end = int(node_data["idx_start"][node]), int(node_data["idx_end"][node])
        rank_base = 0.0
        for level in range(depth):
            ancestor = (leaf >> (depth - level)) + 2**level - 1
            bit = (leaf >> (depth - 1 - level)) & 1
            weight = float(2 ** (depth - 1 - level)) * leaf_size
            rank_base += bit * weight
            weights[ancestor, start:end] = (1 - 2 * bit) * weight
        base[start:end] = rank_base + np.arange(end - start)
    return np.asarray(data)[np.asarray(idx_array)], np.asarray(idx_array), np.asarray(bounds), weights, base


def _min_rdist(builder: GraphBuilder, query: str, bounds: np.ndarray) -> str:
    """min_rdist of the query to every node: sum_j (0.5 * ((lo - x) + |lo - x| + (x - hi) + |x - hi|))^2."""
    lo = builder.op("Sub", [builder.const(bounds[0][None], "lo"), query], "dlo")  # [N, nodes, F]
    hi = builder.op("Sub", [query, builder.const(bounds[1][None], "hi")], "dhi")
    d = builder.op(
        "Add",
        [
            builder.op("Add", [lo, builder.op("Abs", [lo], "alo")], "plo"),
            builder.op("Add", [hi, builder.op("Abs", [hi], "ahi")], "phi"),
        ],
        "d",
    )
    half = builder.op("Mul", [builder.const(np.float64(0.5), "half"), d], "hd")
    squares = builder.op("Mul", [half, half], "hd2")
    return _sum_features(builder, squares, bounds.shape[2])


def _sum_features(builder: GraphBuilder, squares: str, n_features: int) -> str:
    """Sum the last axis left to right, as the Cython loops do."""
    total = builder.take(squares, 0, axis=2, hint="acc")
    for feature in range(1, n_features):
        total = builder.op("Add", [total, builder.take(squares, feature, axis=2)], "acc")
    return total


def _topk(builder: GraphBuilder, x: str, k: int) -> tuple[str, str]:
    """k smallest values along axis 1 (sorted) and their indices."""
    values, indices = builder.name("topk_v"), builder.name("topk_i")
    k_const = builder.const(np.array([k], dtype=np.int64), "k")
    builder.nodes.append(
        helper.make_node(
            "TopK", [x, k_const], [values, indices], name=builder.name("TopK"), axis=1, largest=0
        )
    )
    return values, indices


def knn_probabilities(builder: GraphBuilder, model: KNeighborsClassifier, features: str) -> str:
    """Add nodes reproducing KNeighborsClassifier.predict_proba (uniform weights) as float64 [N, 2]."""
    tree = _check_supported(model)
    train, order, bounds, weights, base = _tree_layout(tree)
    labels = np.asarray(model._y, dtype=np.float64)[order]
    k = int(model.n_neighbors)
    n_internal = len(bounds[0]) // 2
    axes = builder.const(np.array([1], dtype=np.int64), "axes")
    query = builder.op("Unsqueeze", [features, axes], "query")  # [N, 1, F]
    diff = builder.op("Sub", [query, builder.const(train[None, :, :], "train")], "diff")
    rdist = _sum_features(builder, builder.op("Mul", [diff, diff], "sq"), train.shape[1])  # [N, M]
    kth = builder.op(
        "Gather", [_topk(builder, rdist, k)[0], builder.const(np.array([k - 1]), "last")], "kth", axis=1
    )
    nearer = builder.cast(builder.op("Less", [rdist, kth], "lt"), TensorProto.DOUBLE, "lt_f")
    tied = builder.op("Equal", [rdist, kth], "eq")
    y = builder.const(labels, "train_y")
    nearer_pos = builder.op("ReduceSum", [builder.op("Mul", [nearer, y], "lt_y"), axes], "lt_pos", keepdims=1)
    still = builder.op(
        "Sub", [builder.const(np.float64(k), "kf"), builder.op("ReduceSum", [nearer, axes], "n_lt")], "r"
    )
    if n_internal:
        node_lb = _min_rdist(builder, query, bounds)  # [N, nodes]
        left = builder.op(
            "Gather", [node_lb, builder.const(np.arange(1, 2 * n_internal, 2), "c1")], "lb1", axis=1
        )
        right = builder.op(
            "Gather", [node_lb, builder.const(np.arange(2, 2 * n_internal + 1, 2), "c2")], "lb2", axis=1
        )
        flip = builder.cast(builder.op("Greater", [left, right], "flip"), TensorProto.DOUBLE, "flip_f")
        key = builder.op("MatMul", [flip, builder.const(weights[:n_internal], "rank_w")], "key0")
        key = builder.op("Add", [key, builder.const(base, "rank_b")], "key")
    else:
        key = builder.op("Mul", [rdist, builder.const(np.float64(0.0), "zero")], "key0")
        key = builder.op("Add", [key, builder.const(base, "rank_b")], "key")
    tie_key = builder.op("Where", [tied, key, builder.const(np.float64(1e12), "never")], "tie_key")
    first = _topk(builder, tie_key, k)[1]  # earliest-visited tied rows
    slot = builder.const(np.arange(k, dtype=np.float64)[None, :], "slot")
    take = builder.cast(builder.op("Less", [slot, still], "take"), TensorProto.DOUBLE, "take_f")
    tie_y = builder.op("Gather", [y, first], "tie_y", axis=0)
    tie_pos = builder.op("ReduceSum", [builder.op("Mul", [take, tie_y], "ty"), axes], "tie_pos", keepdims=1)
    positives = builder.op("Add", [nearer_pos, tie_pos], "n_pos")
    negatives = builder.op("Sub", [builder.const(np.float64(k), "kf"), positives], "n_neg")
    normaliser = builder.const(np.float64(k), "norm")
    shares = [builder.op("Div", [count, normaliser], "share") for count in (negatives, positives)]
    return builder.op("Concat", shares, "knn_proba", axis=1)
