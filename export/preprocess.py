"""Exact double-precision preprocessing: the contract's ColumnTransformer as ONNX nodes."""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import TensorProto
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from export.errors import UnsupportedModelError
from export.graph import ML_DOMAIN, GraphBuilder

INPUT_COLUMNS = ("age", "salary", "gender")
GENDERS = ("Female", "Male")


def split_pipeline(pipeline: Any) -> tuple[ColumnTransformer, Any]:
    """Check the pipeline has the contract's shape and return (preprocess, model)."""
    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) != 2:
        raise UnsupportedModelError("expected Pipeline([('preprocess', ...), ('model', ...)])")
    (_, preprocess), (_, model) = pipeline.steps
    if not isinstance(preprocess, ColumnTransformer):
        raise UnsupportedModelError("the 'preprocess' step must be a ColumnTransformer")
    columns = sorted(str(c) for c in getattr(preprocess, "feature_names_in_", []))
    if columns != sorted(INPUT_COLUMNS):
        raise UnsupportedModelError(
            f"pipeline input columns {columns} differ from the contract's {sorted(INPUT_COLUMNS)}"
        )
    return preprocess, model


def _gender_column(builder: GraphBuilder, encoder: OneHotEncoder, gender: str) -> list[str]:
    """Encode gender as the encoder's 0/1 double columns (Male = 1 when binary-dropped)."""
    categories = [str(c) for c in encoder.categories_[0]]
    if sorted(categories) != sorted(GENDERS):
        raise UnsupportedModelError(f"gender categories {categories} differ from {list(GENDERS)}")
    dropped = encoder.drop_idx_[0] if encoder.drop_idx_ is not None else None
    outputs = []
    for position, category in enumerate(categories):
        if dropped is not None and position == dropped:
            continue
        hot = builder.op(
            "LabelEncoder",
            [gender],
            f"is_{category.lower()}",
            domain=ML_DOMAIN,
            keys_strings=categories,
            values_floats=[1.0 if c == category else 0.0 for c in categories],
            default_float=float("nan"),
        )
        outputs.append(builder.cast(hot, TensorProto.DOUBLE, f"{category.lower()}_f64"))
    return outputs


def _scaled_columns(
    builder: GraphBuilder, scaler: StandardScaler, inputs: dict[str, str], columns: list[str]
) -> list[str]:
    """Scale numeric columns exactly as StandardScaler.transform does: (x - mean_) / scale_ in float64."""
    outputs = []
    for index, column in enumerate(columns):
        value = inputs[column]
        if scaler.with_mean:
            value = builder.op("Sub", [value, builder.const([scaler.mean_[index]], "mean", np.float64)], "c")
        if scaler.with_std:
            value = builder.op(
                "Div", [value, builder.const([scaler.scale_[index]], "scale", np.float64)], "s"
            )
        outputs.append(value)
    return outputs


def build_features(builder: GraphBuilder, preprocess: ColumnTransformer, inputs: dict[str, str]) -> str:
    """Add the preprocessing nodes; return the [N, F] float64 feature tensor sklearn's model sees."""
    parts: list[str] = []
    for name, transformer, columns in preprocess.transformers_:
        if transformer == "drop" or (name == "remainder" and len(columns) == 0):
            continue
        cols = [str(c) for c in columns]
        if isinstance(transformer, OneHotEncoder) and cols == ["gender"]:
            parts.extend(_gender_column(builder, transformer, inputs["gender"]))
        elif isinstance(transformer, StandardScaler) and set(cols) <= {"age", "salary"}:
            parts.extend(_scaled_columns(builder, transformer, inputs, cols))
        elif transformer == "passthrough" and set(cols) <= {"age", "salary"}:
            parts.extend(inputs[c] for c in cols)
        else:
            raise UnsupportedModelError(f"unsupported preprocessing step {name!r} on {cols}")
    if preprocess.sparse_output_:
        raise UnsupportedModelError("sparse ColumnTransformer output is not supported")
    return builder.op("Concat", parts, "features", axis=1)


def feature_layout(preprocess: ColumnTransformer) -> list[tuple[str, float, float]]:
    """Per model feature: (raw column, mean, scale) so a scaled value maps back as v * scale + mean."""
    layout: list[tuple[str, float, float]] = []
    for name, transformer, columns in preprocess.transformers_:
        cols = [str(c) for c in columns]
        if transformer == "drop" or (name == "remainder" and not cols):
            continue
        if isinstance(transformer, OneHotEncoder):
            width = len(transformer.categories_[0]) - (transformer.drop_idx_ is not None)
            layout.extend(("gender", 0.0, 1.0) for _ in range(width))
        elif isinstance(transformer, StandardScaler):
            for i, col in enumerate(cols):
                mean = float(transformer.mean_[i]) if transformer.with_mean else 0.0
                scale = float(transformer.scale_[i]) if transformer.with_std else 1.0
                layout.append((col, mean, scale))
        else:
            layout.extend((col, 0.0, 1.0) for col in cols)
    return layout
