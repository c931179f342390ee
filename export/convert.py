"""Turn a fitted contract Pipeline into the ONNX ModelProto the service runs (graph only, no metadata)."""

from __future__ import annotations

from typing import Any

import onnx
from onnx import TensorProto, helper

from export.converters import describe, estimator_probabilities
from export.graph import ML_DOMAIN, GraphBuilder
from export.preprocess import build_features, split_pipeline

OPSET_DEFAULT = 17
OPSET_ML = 5  # TreeEnsemble (v5) and LabelEncoder (v4, string to double)
PRODUCER = "purchase-predictor-export"


def _inputs() -> list[onnx.ValueInfoProto]:
    """The contract's three named [N, 1] inputs."""
    return [
        helper.make_tensor_value_info("age", TensorProto.DOUBLE, [None, 1]),
        helper.make_tensor_value_info("salary", TensorProto.DOUBLE, [None, 1]),
        helper.make_tensor_value_info("gender", TensorProto.STRING, [None, 1]),
    ]


def pipeline_to_onnx(pipeline: Any) -> onnx.ModelProto:
    """Build the exact ONNX graph for a fitted contract Pipeline (family checked, no metadata yet)."""
    preprocess, model = split_pipeline(pipeline)
    describe(model)
    builder = GraphBuilder()
    features = build_features(builder, preprocess, {"age": "age", "salary": "salary", "gender": "gender"})
    builder.rename(estimator_probabilities(builder, model, features), "probabilities")
    builder.nodes.append(
        helper.make_node("ArgMax", ["probabilities"], ["label"], name="out_label", axis=1, keepdims=0)
    )
    graph = helper.make_graph(
        builder.nodes,
        "purchase_predictor",
        _inputs(),
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
            helper.make_tensor_value_info("probabilities", TensorProto.DOUBLE, [None, 2]),
        ],
        initializer=builder.initializers,
    )
    opsets = [helper.make_opsetid("", OPSET_DEFAULT), helper.make_opsetid(ML_DOMAIN, OPSET_ML)]
    model_proto = helper.make_model(graph, opset_imports=opsets, producer_name=PRODUCER)
    model_proto.ir_version = 10  # the IR that ai.onnx.ml opset 5 needs
    onnx.checker.check_model(model_proto, full_check=True)
    return model_proto
