"""The ONNX heap replay keeps exactly the neighbours sklearn's heap_push keeps, ties included."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper
from sklearn.neighbors import KNeighborsClassifier

from export.convert import pipeline_to_onnx
from export.errors import UnsupportedModelError
from export.graph import GraphBuilder
from export.knn_heap import heap_positives
from export.validate import session_for
from tests.export.conftest import make_bundle


def heap_push(values: list[float], labels: list[float], val: float, label: float) -> None:
    """sklearn/utils/_heap.pyx heap_push, transcribed line by line."""
    size = len(values)
    if val >= values[0]:
        return
    current = 0
    while True:
        left, right = 2 * current + 1, 2 * current + 2
        if left >= size:
            break
        if right >= size:
            if values[left] > val:
                swap = left
            else:
                break
        elif values[left] >= values[right]:
            if val < values[left]:
                swap = left
            else:
                break
        elif val < values[right]:
            swap = right
        else:
            break
        values[current], labels[current] = values[swap], labels[swap]
        current = swap
    values[current], labels[current] = val, label


def replay_graph(n_rows: int, k: int) -> bytes:
    """A graph feeding random distances, push order keys and labels straight into heap_positives."""
    builder = GraphBuilder()
    positives = heap_positives(builder, "rdist", "key", "y", k, "kth")
    inputs = [
        helper.make_tensor_value_info("rdist", TensorProto.DOUBLE, [None, n_rows]),
        helper.make_tensor_value_info("key", TensorProto.DOUBLE, [None, n_rows]),
        helper.make_tensor_value_info("y", TensorProto.DOUBLE, [n_rows]),
        helper.make_tensor_value_info("kth", TensorProto.DOUBLE, [None, 1]),
    ]
    output = [helper.make_tensor_value_info(positives, TensorProto.DOUBLE, [None])]
    graph = helper.make_graph(builder.nodes, "replay", inputs, output, initializer=builder.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


@pytest.mark.parametrize("k", [1, 2, 3, 5, 6, 7, 8, 11, 25])
def test_heap_replay_matches_heap_push_on_heavily_tied_distances(k: int) -> None:
    rng = np.random.default_rng(k)
    queries, n_rows = 400, 60
    rdist = rng.integers(0, 6, (queries, n_rows)).astype(np.float64)  # few values: ties everywhere
    key = np.stack([rng.permutation(n_rows) for _ in range(queries)]).astype(np.float64)
    y = rng.integers(0, 2, n_rows).astype(np.float64)
    kth = np.sort(rdist, axis=1)[:, k - 1 : k]
    feeds = {"rdist": rdist, "key": key, "y": y, "kth": kth}
    got = session_for(replay_graph(n_rows, k)).run(None, feeds)[0]
    expected = []
    for q in range(queries):
        values, labels = [np.inf] * k, [0.0] * k
        for row in np.argsort(key[q]):
            heap_push(values, labels, float(rdist[q, row]), float(y[row]))
        expected.append(sum(labels))
    assert got.tolist() == expected


def test_heap_replay_with_no_query_rows_returns_nothing() -> None:
    empty = np.zeros((0, 10))
    feeds = {"rdist": empty, "key": empty, "y": np.zeros(10), "kth": np.zeros((0, 1))}
    got = session_for(replay_graph(10, 3)).run(None, feeds)[0]
    assert got.shape == (0,)


@pytest.mark.parametrize(
    "knn",
    [
        KNeighborsClassifier(n_neighbors=5, algorithm="brute"),
        KNeighborsClassifier(n_neighbors=5, algorithm="ball_tree"),
        KNeighborsClassifier(n_neighbors=5, weights="distance"),
        KNeighborsClassifier(n_neighbors=5, p=1),
    ],
    ids=["brute", "ball_tree", "distance_weights", "manhattan"],
)
def test_knn_configurations_without_an_exact_graph_are_refused(
    knn: KNeighborsClassifier, tmp_path: Path
) -> None:
    import joblib

    pipeline = joblib.load(make_bundle(knn, tmp_path))["pipeline"]
    with pytest.raises(UnsupportedModelError):
        pipeline_to_onnx(pipeline)
