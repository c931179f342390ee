"""Exact double-precision preprocessing: the contract's ColumnTransformer as ONNX nodes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from onnx import numpy_helper
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from export.errors import UnsupportedModelError
from export.graph import ML_DOMAIN, GraphBuilder
from runtime import contract

INPUT_COLUMNS = contract.INPUT_NAMES
GENDERS = contract.GENDERS


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


def _gender_columns(builder: GraphBuilder, encoder: OneHotEncoder, gender: str) -> list[str]:
    """The encoder's 0/1 float64 columns for gender (Male = 1 when binary-dropped), one LabelEncoder each."""
    categories = [str(c) for c in encoder.categories_[0]]
    if sorted(categories) != sorted(GENDERS):
        raise UnsupportedModelError(f"gender categories {categories} differ from {list(GENDERS)}")
    dropped = encoder.drop_idx_[0] if encoder.drop_idx_ is not None else None
    keys = numpy_helper.from_array(np.array(categories, dtype=object))
    return [
        builder.op(
            "LabelEncoder",
            [gender],
            f"is_{category.lower()}",
            domain=ML_DOMAIN,
            keys_tensor=keys,
            values_tensor=numpy_helper.from_array(np.array([float(c == category) for c in categories])),
            default_tensor=numpy_helper.from_array(np.array([np.nan])),
        )
        for position, category in enumerate(categories)
        if dropped is None or position != dropped
    ]


@dataclass
class Features:
    """The model's input columns as ONNX tensors: raw, and scaled once a converter asks for it.

    ``raw`` is [N, F] float64 in the model's feature order (gender already encoded as 0/1); ``layout``
    gives each feature's (column, mean, scale). Tree converters fold the scaling into their splits
    (export.split_folding) and read ``raw``; the others call ``scaled``.
    """

    raw: str
    layout: list[tuple[str, float, float]]
    _scaled: str | None = None

    @property
    def means(self) -> np.ndarray:
        """Per-feature means (0 for unscaled features)."""
        return np.array([mean for _, mean, _ in self.layout], dtype=np.float64)

    @property
    def scales(self) -> np.ndarray:
        """Per-feature scales (1 for unscaled features)."""
        return np.array([scale for _, _, scale in self.layout], dtype=np.float64)

    def scaled(self, builder: GraphBuilder) -> str:
        """StandardScaler.transform's ``(x - mean_) / scale_`` in float64, on all features at once.

        Unscaled features get mean 0 and scale 1, which leave every value unchanged. Built on first use.
        """
        if self._scaled is None:
            value = self.raw
            if np.any(self.means != 0.0):
                value = builder.op("Sub", [value, builder.const(self.means, "mean")], "centred")
            if np.any(self.scales != 1.0):
                value = builder.op("Div", [value, builder.const(self.scales, "scale")], "scaled")
            self._scaled = value
        return self._scaled


def build_features(builder: GraphBuilder, preprocess: ColumnTransformer, inputs: dict[str, str]) -> Features:
    """Add the encoding nodes and concatenate the raw columns in the model's feature order."""
    columns: list[str] = []
    for name, transformer, cols in preprocess.transformers_:
        cols = [str(c) for c in cols]
        if transformer == "drop" or (name == "remainder" and len(cols) == 0):
            continue
        if isinstance(transformer, OneHotEncoder) and cols == ["gender"]:
            columns.extend(_gender_columns(builder, transformer, inputs["gender"]))
        elif (isinstance(transformer, StandardScaler) or transformer == "passthrough") and set(cols) <= {
            "age",
            "salary",
        }:
            columns.extend(inputs[c] for c in cols)
        else:
            raise UnsupportedModelError(f"unsupported preprocessing step {name!r} on {cols}")
    if preprocess.sparse_output_:
        raise UnsupportedModelError("sparse ColumnTransformer output is not supported")
    return Features(builder.op("Concat", columns, "raw", axis=1), feature_layout(preprocess))


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
