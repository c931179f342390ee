"""ai.onnx.ml ``TreeEnsemble`` (v5) nodes built from trees in array form.

Two uses. ``class_means``: the leaves carry per-class values that the operator adds up over the trees;
with one intra-op thread (the service's session options) onnxruntime adds them in tree order, the order
scikit-learn uses. A v5 leaf feeds one target, so a tree is written once per class. ``leaf_values``:
every tree gets its own target holding its global leaf id, looked up in a table afterwards, so nothing is
summed inside the operator (XGBoost then sums in float32 itself). The global id of node ``i`` of tree
``t`` is ``offset_t + i``, where offsets count all nodes of the earlier trees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from onnx import TensorProto, numpy_helper

from export.errors import UnsupportedModelError
from export.graph import ML_DOMAIN, GraphBuilder

EXACT_INTEGERS = {np.float32: 2**24, np.float64: 2**53}  # leaf ids below these survive as weights
BRANCH_LEQ, BRANCH_LT = 0, 1  # TreeEnsemble's nodes_modes codes for `x <= split` and `x < split`


@dataclass(frozen=True)
class TreeArrays:
    """One binary tree as arrays indexed by node; node ``i`` is a leaf when ``left[i] == -1``."""

    feature: Sequence[int]
    split: np.ndarray
    left: Sequence[int]
    right: Sequence[int]
    missing_left: Sequence[int] | None = None  # 1 where a missing value follows the left branch


@dataclass
class _Encoding:
    """The TreeEnsemble attribute lists, filled one tree copy at a time."""

    roots: list[int] = field(default_factory=list)
    features: list[int] = field(default_factory=list)
    splits: list[float] = field(default_factory=list)
    true_ids: list[int] = field(default_factory=list)
    true_leaf: list[int] = field(default_factory=list)
    false_ids: list[int] = field(default_factory=list)
    false_leaf: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    leaf_targets: list[int] = field(default_factory=list)
    leaf_weights: list[float] = field(default_factory=list)

    def add(self, tree: TreeArrays, target: int, weights: Sequence[float]) -> None:
        """Append one tree whose leaf at node i adds weights[i] to `target`."""
        count = len(tree.left)
        leaves = {i: self._leaf(target, weights[i]) for i in range(count) if tree.left[i] == -1}
        splits = [i for i in range(count) if tree.left[i] != -1]
        first = len(self.features)
        position = {node: first + k for k, node in enumerate(splits)}
        self.roots.append(first)
        if not splits:  # a single-leaf tree: one split whose both branches reach that leaf
            self._split(0, 0.0, (leaves[0], 1), (leaves[0], 1), 0)
        for node in splits:
            left, right = tree.left[node], tree.right[node]
            self._split(
                int(tree.feature[node]),
                float(tree.split[node]),
                (leaves[left], 1) if left in leaves else (position[left], 0),
                (leaves[right], 1) if right in leaves else (position[right], 0),
                int(tree.missing_left[node]) if tree.missing_left is not None else 0,
            )

    def _leaf(self, target: int, weight: float) -> int:
        self.leaf_targets.append(target)
        self.leaf_weights.append(weight)
        return len(self.leaf_targets) - 1

    def _split(
        self, feature: int, split: float, true: tuple[int, int], false: tuple[int, int], missing: int
    ) -> None:
        self.features.append(feature)
        self.splits.append(split)
        self.true_ids.append(true[0])
        self.true_leaf.append(true[1])
        self.false_ids.append(false[0])
        self.false_leaf.append(false[1])
        self.missing.append(missing)

    def attributes(self, n_targets: int, mode: int, dtype: type[np.floating]) -> dict[str, object]:
        """The node's attributes, splits and weights stored as `dtype` (the input's element type)."""
        return {
            "n_targets": n_targets,
            "aggregate_function": 1,  # SUM
            "post_transform": 0,  # NONE
            "tree_roots": self.roots,
            "nodes_featureids": self.features,
            "nodes_modes": numpy_helper.from_array(np.full(len(self.features), mode, dtype=np.uint8)),
            "nodes_splits": numpy_helper.from_array(np.asarray(self.splits, dtype=dtype)),
            "nodes_truenodeids": self.true_ids,
            "nodes_trueleafs": self.true_leaf,
            "nodes_falsenodeids": self.false_ids,
            "nodes_falseleafs": self.false_leaf,
            "nodes_missing_value_tracks_true": self.missing,
            "leaf_targetids": self.leaf_targets,
            "leaf_weights": numpy_helper.from_array(np.asarray(self.leaf_weights, dtype=dtype)),
        }


def class_means(
    builder: GraphBuilder, features: str, trees: Sequence[TreeArrays], table: np.ndarray, hint: str
) -> str:
    """[N, K] float64: per row, the sum over trees (in order) of its leaf's row of ``table`` ([nodes, K]),
    divided by the number of trees. Splits are compared as ``x <= split`` on float64 ``features``.

    With one class the operator averages by itself (it divides its float64 sum by the tree count); with
    more, each tree is written once per class, so the sum is divided by a separate Div node.
    """
    encoding, offset = _Encoding(), 0
    for tree in trees:
        rows = table[offset : offset + len(tree.left)]
        for target in range(table.shape[1]):
            encoding.add(tree, target, rows[:, target].tolist())
        offset += len(tree.left)
    attrs = encoding.attributes(table.shape[1], BRANCH_LEQ, np.float64)
    if table.shape[1] == 1:
        attrs["aggregate_function"] = 0  # AVERAGE over the trees
        return builder.op("TreeEnsemble", [features], f"{hint}_mean", domain=ML_DOMAIN, **attrs)
    total = builder.op("TreeEnsemble", [features], f"{hint}_sum", domain=ML_DOMAIN, **attrs)
    return builder.op("Div", [total, builder.const(np.float64(len(trees)), "n_trees")], f"{hint}_mean")


def leaf_values(
    builder: GraphBuilder,
    features: str,
    trees: Sequence[TreeArrays],
    mode: int,
    dtype: type[np.floating],
    table: np.ndarray,
    hint: str,
) -> str:
    """[N, n_trees] values of ``table`` at each tree's leaf for ``features`` ([N, F]).

    ``dtype`` is the element type of ``features``: the splits are stored, and compared, in it, and so
    are the leaf ids.
    """
    encoding, offset = _Encoding(), 0
    for t, tree in enumerate(trees):
        encoding.add(tree, t, [float(offset + i) for i in range(len(tree.left))])
        offset += len(tree.left)
    if offset >= EXACT_INTEGERS[dtype]:
        raise UnsupportedModelError(f"tree ensemble too large for exact export ({offset} nodes)")
    attrs = encoding.attributes(len(trees), mode, dtype)
    leaf_ids = builder.op("TreeEnsemble", [features], f"{hint}_leaf_ids", domain=ML_DOMAIN, **attrs)
    ids = builder.cast(leaf_ids, TensorProto.INT64, f"{hint}_ids")
    return builder.op("Gather", [builder.const(table, f"{hint}_table"), ids], f"{hint}_values", axis=0)
