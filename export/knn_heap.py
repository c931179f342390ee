"""sklearn's k-slot max-heap (sklearn/utils/_heap.pyx ``heap_push``) replayed exactly in ONNX.

``heap_push`` rejects a value ``>= root``; otherwise it replaces the root and sifts it down: with two
children it follows the left one when ``left >= right``, and moves while ``val < child``. The graph
runs one Loop step per pushed row, vectorised over query rows, with that sift-down unrolled as
GatherElements / Where / ScatterElements over the heap's levels; labels ride along with the values.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper

from export.graph import GraphBuilder

HEAP_EMPTY = np.inf  # NeighborsHeap starts full of +inf


class _BodyBuilder(GraphBuilder):
    """Builds the Loop body; its tensor names carry a prefix the outer graph never uses."""

    def name(self, hint: str) -> str:
        """Return a fresh name that cannot collide with the outer graph's names."""
        return super().name("heap_" + hint)


def _sift_down(body: GraphBuilder, heap: str, labels: str, value: str, label: str, k: int) -> tuple[str, str]:
    """heap_push's replace-root-and-sift-down, one unrolled step per heap level that has children."""
    position = body.op("ConstantOfShape", [body.op("Shape", [value], "shape")], "c0", value=_int64_tensor(0))
    one, two, last = (body.const(np.int64(v), h) for v, h in ((1, "one"), (2, "two"), (k - 1, "kmax")))
    size = body.const(np.int64(k), "size")
    level = 0
    while 2 ** (level + 1) - 1 < k:  # some position on this level has a left child
        left = body.op("Add", [body.op("Mul", [position, two], "2c"), one], "left")
        right = body.op("Add", [left, one], "right")
        has_left = body.op("Less", [left, size], "has_l")
        has_right = body.op("Less", [right, size], "has_r")
        left = body.op("Min", [left, last], "left_c")
        right = body.op("Min", [right, last], "right_c")
        left_value = body.op("GatherElements", [heap, left], "vl", axis=1)
        right_value = body.op("GatherElements", [heap, right], "vr", axis=1)
        prefer_left = body.op(
            "Or",
            [
                body.op("Not", [has_right], "no_r"),
                body.op("GreaterOrEqual", [left_value, right_value], "l_ge_r"),
            ],
            "pick_l",
        )
        child = body.op("Where", [prefer_left, left, right], "child")
        child_value = body.op("Where", [prefer_left, left_value, right_value], "v_child")
        swap = body.op("And", [has_left, body.op("Less", [value, child_value], "lt_child")], "swap")
        child_label = body.op("GatherElements", [labels, child], "l_child", axis=1)
        heap = body.op(
            "ScatterElements",
            [heap, position, body.op("Where", [swap, child_value, value], "v_put")],
            "heap",
            axis=1,
        )
        labels = body.op(
            "ScatterElements",
            [labels, position, body.op("Where", [swap, child_label, label], "l_put")],
            "labels",
            axis=1,
        )
        position = body.op("Where", [swap, child, position], "c")
        level += 1
    heap = body.op("ScatterElements", [heap, position, value], "heap", axis=1)
    labels = body.op("ScatterElements", [labels, position, label], "labels", axis=1)
    return heap, labels


def _int64_tensor(value: int) -> onnx.TensorProto:
    """A one-element int64 tensor for ConstantOfShape."""
    return helper.make_tensor("value", TensorProto.INT64, [1], [value])


def _heap_body(rdist: str, y: str, k: int) -> onnx.GraphProto:
    """Loop body: push each query's t-th visited row onto its heap exactly as heap_push does."""
    body = _BodyBuilder()
    t = body.op("Unsqueeze", ["heap_t", body.const(np.array([0], dtype=np.int64), "ax0")], "t1")
    value = body.op("Gather", [rdist, t], "val", axis=1)  # [A, 1]
    label = body.op("Gather", [y, t], "y_t", axis=1)  # [A, 1]
    first = body.const(np.array([0], dtype=np.int64), "root")
    root = body.op("Gather", ["heap_in", first], "root_v", axis=1)
    root_label = body.op("Gather", ["labels_in", first], "root_l", axis=1)
    accept = body.op("Less", [value, root], "accept")
    # a rejected value becomes the root itself: no child exceeds it, so the sift-down changes nothing
    value = body.op("Where", [accept, value, root], "v")
    label = body.op("Where", [accept, label, root_label], "l")
    heap, labels = _sift_down(body, "heap_in", "labels_in", value, label, k)
    body.nodes.append(helper.make_node("Identity", ["heap_cond"], ["heap_cond_out"], name="heap_keep_going"))
    body.nodes.append(helper.make_node("Identity", [heap], ["heap_out"], name="heap_out_id"))
    body.nodes.append(helper.make_node("Identity", [labels], ["labels_out"], name="labels_out_id"))
    double = TensorProto.DOUBLE
    return helper.make_graph(
        body.nodes,
        "knn_heap_push",
        [
            helper.make_tensor_value_info("heap_t", TensorProto.INT64, []),
            helper.make_tensor_value_info("heap_cond", TensorProto.BOOL, []),
            helper.make_tensor_value_info("heap_in", double, [None, k]),
            helper.make_tensor_value_info("labels_in", double, [None, k]),
        ],
        [
            helper.make_tensor_value_info("heap_cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("heap_out", double, [None, k]),
            helper.make_tensor_value_info("labels_out", double, [None, k]),
        ],
        initializer=body.initializers,
    )


def heap_positives(builder: GraphBuilder, sub_rdist: str, sub_key: str, y: str, k: int, kth: str) -> str:
    """Positive-label count of each query's final heap; rows pushed in ascending sub_key order ([A, M]).

    kth ([A, 1]) is each query's k-th smallest value: once every row at or below it has been pushed,
    the root is at most kth and every later row is rejected, so the Loop stops there.
    """
    n_train = builder.op("Slice", [builder.op("Shape", [sub_key], "amb_shape"), *_consts(builder, 1, 2)], "m")
    values, order = builder.name("visit_key"), builder.name("visit_order")
    builder.nodes.append(
        helper.make_node(
            "TopK", [sub_key, n_train], [values, order], name=builder.name("TopK"), axis=1, largest=0
        )
    )
    visited = builder.op("GatherElements", [sub_rdist, order], "visited_rdist", axis=1)
    visited_y = builder.op("Gather", [y, order], "visited_y", axis=0)  # [A, M]
    shape = builder.op(
        "Concat",
        [
            builder.op(
                "Slice", [builder.op("Shape", [sub_key], "amb_rows"), *_consts(builder, 0, 1)], "n_amb"
            ),
            builder.const(np.array([k], dtype=np.int64), "kk"),
        ],
        "replay_shape",
        axis=0,
    )
    empty = helper.make_tensor("value", TensorProto.DOUBLE, [1], [float(HEAP_EMPTY)])
    heap0 = builder.op("ConstantOfShape", [shape], "heap0", value=empty)
    zero = helper.make_tensor("value", TensorProto.DOUBLE, [1], [0.0])
    labels0 = builder.op("ConstantOfShape", [shape], "labels0", value=zero)
    heap, labels = builder.name("final_heap"), builder.name("labels_final")
    trips = _trips_needed(builder, visited, kth, n_train)
    builder.nodes.append(
        helper.make_node(
            "Loop",
            [trips, "", heap0, labels0],
            [heap, labels],
            name=builder.name("HeapLoop"),
            body=_heap_body(visited, visited_y, k),
        )
    )
    axes = builder.const(np.array([1], dtype=np.int64), "axes")
    return builder.op("ReduceSum", [labels, axes], "amb_pos", keepdims=0)


def _trips_needed(builder: GraphBuilder, visited: str, kth: str, n_train: str) -> str:
    """1 + the last visit position holding a value <= kth, over all rows (0 when there are no rows)."""
    positions = builder.op(
        "Range",
        [
            builder.const(np.int64(1), "r0"),
            builder.op("Add", [_scalar(builder, n_train), builder.const(np.int64(1), "one")], "m1"),
            builder.const(np.int64(1), "step"),
        ],
        "positions",
    )
    within = builder.cast(builder.op("LessOrEqual", [visited, kth], "le_kth"), TensorProto.INT64, "le_i")
    last = builder.op(
        "ReduceMax", [builder.op("Mul", [within, positions], "le_pos")], "last", axes=[1], keepdims=0
    )
    padded = builder.op(
        "Concat", [last, builder.const(np.array([0], dtype=np.int64), "none")], "last0", axis=0
    )
    return builder.op("ReduceMax", [padded], "trips", keepdims=0)


def _scalar(builder: GraphBuilder, one_element: str) -> str:
    """A [1] tensor as a scalar."""
    return builder.op("Squeeze", [one_element, builder.const(np.array([0], dtype=np.int64), "ax0")], "scalar")


def _consts(builder: GraphBuilder, *values: int) -> list[str]:
    """One-element int64 constants (Slice starts/ends)."""
    return [builder.const(np.array([v], dtype=np.int64), "s") for v in values]
