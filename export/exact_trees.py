"""Bit-exact scikit-learn decision trees and random forests.

sklearn scales the features in float64, casts them to float32, compares ``float32(x) <= threshold``
with float64 thresholds, then adds the trees' leaf probabilities one after another in float64 and
divides by the tree count. The graph reads the raw features with the scaling and the cast folded into
each threshold (export.split_folding, exact) and sums the leaves' probabilities with one TreeEnsemble (in
tree order, with the service's single intra-op thread), which also divides by the tree count.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from export.errors import UnsupportedModelError
from export.graph import GraphBuilder
from export.preprocess import Features
from export.split_folding import raw_splits
from export.tree_ensemble import TreeArrays, class_means


def tree_estimators(model: Any) -> list[DecisionTreeClassifier]:
    """Return the fitted trees of a DecisionTreeClassifier or RandomForestClassifier, in order."""
    if isinstance(model, RandomForestClassifier):
        return list(model.estimators_)
    if isinstance(model, DecisionTreeClassifier):
        return [model]
    raise UnsupportedModelError(f"not a tree model: {type(model).__name__}")


def _arrays(trees: list[DecisionTreeClassifier], features: Features) -> tuple[list[TreeArrays], np.ndarray]:
    """Each tree with raw-feature splits, and every node's class probabilities in tree order ([nodes, 2])."""
    arrays, tables = [], []
    means, scales = features.means, features.scales
    for tree in trees:
        structure = tree.tree_
        if structure.n_outputs != 1 or structure.value.shape[2] != 2:
            raise UnsupportedModelError("only binary single-output trees are supported")
        split = np.zeros(structure.node_count, dtype=np.float64)
        inner = structure.children_left != -1
        used = structure.feature[inner]
        split[inner] = raw_splits(structure.threshold[inner], means[used], scales[used])
        arrays.append(
            TreeArrays(
                feature=structure.feature.tolist(),
                split=split,
                left=structure.children_left.tolist(),
                right=structure.children_right.tolist(),
            )
        )
        tables.append(np.asarray(structure.value[:, 0, :], dtype=np.float64))
    return arrays, np.concatenate(tables, axis=0)


def tree_probabilities(
    builder: GraphBuilder, model: Any, features: Features, positive_only: bool = False
) -> str:
    """sklearn's predict_proba as float64 [N, 2], or only its class-1 column as [N, 1]."""
    trees = tree_estimators(model)
    arrays, table = _arrays(trees, features)
    if positive_only:
        table = table[:, 1:]
    return class_means(builder, features.raw, arrays, table, "trees")
