"""k-nearest-neighbours predict_proba with sklearn's KD-tree distances, visit order and heap evictions.

``KDTree.query`` (depth-first, the default) visits leaves nearer child first (by min_rdist, ties to
the left), the rows of a leaf in idx_array order, and pushes each row's reduced distance onto a
k-slot max-heap (sklearn/utils/_heap.pyx ``heap_push``: reject when ``val >= root``, else replace the
root and sift down). Pruned nodes hold only rows the heap would reject, so the kept neighbours are
exactly those of pushing every row in visit order. Each query is independent of the batch and of
n_jobs. (The brute-force path is not reproducible: it takes Euclidean distances through BLAS GEMM
and breaks ties with np.argpartition.)

The graph computes the exact reduced distances and every row's visit rank for each query. If the
rows tied at the k-th distance all carry one label, or all of them fit, the label count is
closed-form. Otherwise (few rows) it replays the heap (export/knn_heap.py): the rows sorted by visit
rank, one Loop step per row until the last row at or below the k-th distance, vectorised over those
queries, with the sift-down unrolled over the heap's levels.
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper
from sklearn.neighbors import KDTree, KNeighborsClassifier

from export.errors import UnsupportedModelError
from export.graph import GraphBuilder
from export.knn_heap import heap_positives


def _check_supported(model: KNeighborsClassifier) -> KDTree:
    """Only uniform-weight Euclidean KNN on a KD-tree is reproduced exactly."""
    euclidean = model.metric == "euclidean" or (model.metric == "minkowski" and model.p == 2)
    if not euclidean or model.metric_params or model.weights != "uniform":
        raise UnsupportedModelError("only uniform-weight Euclidean KNeighborsClassifier is supported")
    tree = getattr(model, "_tree", None)
    if model._fit_method != "kd_tree" or not isinstance(tree, KDTree):
        raise UnsupportedModelError(
            "only KNeighborsClassifier(algorithm='kd_tree') is supported: the brute-force path "
            "computes distances through BLAS and breaks ties with argpartition"
        )
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


def _reduced_distances(builder: GraphBuilder, features: str, train: np.ndarray) -> str:
    """EuclideanDistance.rdist to every training row: squared differences summed left to right, [N, M]."""
    total = ""
    for feature in range(train.shape[1]):
        column = builder.column(features, feature, hint="xf")  # [N, 1]
        diff = builder.op("Sub", [column, builder.const(train[None, :, feature], "tf")], "diff")
        square = builder.op("Mul", [diff, diff], "sq")
        total = square if not total else builder.op("Add", [total, square], "acc")
    return total


def _sum_features(builder: GraphBuilder, squares: str, n_features: int) -> str:
    """Sum the last axis left to right, as EuclideanDistance.rdist does."""
    total = builder.take(squares, 0, axis=2, hint="acc")
    for feature in range(1, n_features):
        total = builder.op("Add", [total, builder.take(squares, feature, axis=2)], "acc")
    return total


def _kth_smallest(builder: GraphBuilder, x: str, k: int) -> str:
    """The k-th smallest value of each row, shape [N, 1]."""
    values, indices = builder.name("topk_v"), builder.name("topk_i")
    k_const = builder.const(np.array([k], dtype=np.int64), "k")
    builder.nodes.append(
        helper.make_node(
            "TopK", [x, k_const], [values, indices], name=builder.name("TopK"), axis=1, largest=0
        )
    )
    return builder.op("Gather", [values, builder.const(np.array([k - 1]), "last")], "kth", axis=1)


def _visit_rank(
    builder: GraphBuilder, query: str, rdist: str, bounds: np.ndarray, weights: np.ndarray, base: np.ndarray
) -> str:
    """Each row's position in this query's depth-first KD-tree visit order (distinct values), [N, M]."""
    n_internal = len(bounds[0]) // 2
    if not n_internal:
        key = builder.op("Mul", [rdist, builder.const(np.float64(0.0), "zero")], "key0")
        return builder.op("Add", [key, builder.const(base, "rank_b")], "key")
    node_lb = _min_rdist(builder, query, bounds)  # [N, nodes]
    left = builder.op(
        "Gather", [node_lb, builder.const(np.arange(1, 2 * n_internal, 2), "c1")], "lb1", axis=1
    )
    right = builder.op(
        "Gather", [node_lb, builder.const(np.arange(2, 2 * n_internal + 1, 2), "c2")], "lb2", axis=1
    )
    flip = builder.cast(builder.op("Greater", [left, right], "flip"), TensorProto.DOUBLE, "flip_f")
    key = builder.op("MatMul", [flip, builder.const(weights[:n_internal], "rank_w")], "key0")
    return builder.op("Add", [key, builder.const(base, "rank_b")], "key")


def knn_probabilities(builder: GraphBuilder, model: KNeighborsClassifier, features: str) -> str:
    """Add nodes reproducing KNeighborsClassifier.predict_proba (KD-tree, uniform) as float64 [N, 2]."""
    tree = _check_supported(model)
    train, order, bounds, weights, base = _tree_layout(tree)
    labels = np.asarray(model._y, dtype=np.float64)[order]
    k = int(model.n_neighbors)
    axes = builder.const(np.array([1], dtype=np.int64), "axes")
    query = builder.op("Unsqueeze", [features, axes], "query")  # [N, 1, F]
    rdist = _reduced_distances(builder, features, train)  # [N, M]
    kth = _kth_smallest(builder, rdist, k)
    y = builder.const(labels, "train_y")

    def count(mask: str, weighted: bool, hint: str) -> str:
        as_double = builder.cast(mask, TensorProto.DOUBLE, hint + "_f")
        if weighted:
            as_double = builder.op("Mul", [as_double, y], hint + "_y")
        return builder.op("ReduceSum", [as_double, axes], hint, keepdims=0)  # [N]

    nearer, tied = builder.op("Less", [rdist, kth], "lt"), builder.op("Equal", [rdist, kth], "eq")
    n_tied, tied_pos = count(tied, False, "n_eq"), count(tied, True, "eq_pos")
    still = builder.op("Sub", [builder.const(np.float64(k), "kf"), count(nearer, False, "n_lt")], "still")
    # closed form: every tied row kept, or all tied rows share a label (small integers: exact)
    share = builder.op("Div", [builder.op("Mul", [still, tied_pos], "s_pos"), n_tied], "tie_share")
    positives = builder.op("Add", [count(nearer, True, "lt_pos"), share], "n_pos_fast")
    mixed = builder.op(
        "And",
        [
            builder.op("Greater", [tied_pos, builder.const(np.float64(0.0), "zero")], "some_pos"),
            builder.op("Less", [tied_pos, n_tied], "some_neg"),
        ],
        "mixed",
    )
    ambiguous = builder.op("And", [mixed, builder.op("Greater", [n_tied, still], "too_many")], "ambiguous")
    rows = builder.op("NonZero", [ambiguous], "amb_idx")  # [1, A]
    amb = builder.op("Squeeze", [rows, builder.const(np.array([0], dtype=np.int64), "ax0")], "amb")
    sub_query = builder.op("Gather", [query, amb], "amb_query", axis=0)  # [A, 1, F]
    sub_rdist = builder.op("Gather", [rdist, amb], "amb_rdist", axis=0)  # [A, M]
    key = _visit_rank(builder, sub_query, sub_rdist, bounds, weights, base)
    sub_kth = builder.op("Gather", [kth, amb], "amb_kth", axis=0)  # [A, 1]
    replayed = heap_positives(builder, sub_rdist, key, y, k, sub_kth)
    positives = builder.op(
        "ScatterND",
        [positives, builder.op("Transpose", [rows], "amb_idx_t", perm=[1, 0]), replayed],
        "n_pos",
    )
    positives = builder.op("Unsqueeze", [positives, axes], "n_pos_col")
    negatives = builder.op("Sub", [builder.const(np.float64(k), "kf"), positives], "n_neg")
    normaliser = builder.const(np.float64(k), "norm")
    shares = [builder.op("Div", [c, normaliser], "share") for c in (negatives, positives)]
    return builder.op("Concat", shares, "knn_proba", axis=1)
