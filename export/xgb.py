"""XGBoost through skl2onnx with onnxmltools' registered converter, spliced into the main graph."""

from __future__ import annotations

from typing import Any

from onnx import TensorProto

from export.errors import UnsupportedModelError
from export.graph import GraphBuilder

OPSETS = {"": 17, "ai.onnx.ml": 3}


def is_xgboost(model: Any) -> bool:
    """True for a fitted xgboost.XGBClassifier (xgboost is imported only when needed)."""
    return type(model).__name__ == "XGBClassifier" and type(model).__module__.startswith("xgboost")


def register_xgboost() -> None:
    """Register onnxmltools' XGBClassifier converter with skl2onnx (idempotent)."""
    from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
    from xgboost import XGBClassifier

    update_registered_converter(
        XGBClassifier,
        "XGBoostXGBClassifier",
        calculate_linear_classifier_output_shapes,
        convert_xgboost,
        options={"nocl": [True, False], "zipmap": [True, False, "columns"]},
    )


def xgboost_probabilities(builder: GraphBuilder, model: Any, features: str) -> str:
    """Add XGBoost's predict_proba as float32 [N, 2]; XGBoost itself sees float32(features)."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    register_xgboost()
    n_features = int(model.n_features_in_)
    try:
        onx = convert_sklearn(
            model,
            initial_types=[("xgb_input", FloatTensorType([None, n_features]))],
            options={id(model): {"zipmap": False}},
            target_opset=OPSETS,
        )
    except Exception as exc:  # skl2onnx raises many types; report one line
        raise UnsupportedModelError(f"XGBoost conversion failed: {exc}") from exc
    as_float = builder.cast(features, TensorProto.FLOAT, "xgb_x")
    outputs = builder.splice(onx.graph, builder.name("xgb") + "_", {"xgb_input": as_float})
    return outputs[onx.graph.output[1].name]
