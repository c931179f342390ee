"""Stand-in model files (a small Random Forest pipeline and its ONNX export) for when models/ is empty."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

log = logging.getLogger(__name__)

STAND_IN_VERSION = "stand-in-forest"


def synthetic_customers(rows: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers shaped like the contract's frame, with a label that rises with age and salary."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 61, rows).astype("float64"),
            "salary": rng.integers(15_000, 150_001, rows).astype("float64"),
            "gender": rng.choice(["Female", "Male"], rows),
        }
    )
    score = (frame["age"] - 40) / 10 + (frame["salary"] - 70_000) / 30_000 + rng.normal(0, 0.7, rows)
    return frame, (score > 0).to_numpy(dtype="int64")


def build_pipeline(n_estimators: int = 100, seed: int = 0) -> Pipeline:
    """The contract's Pipeline with a Random Forest, as training.pipeline builds it."""
    preprocess = ColumnTransformer(
        [
            ("gender", OneHotEncoder(categories=[["Female", "Male"]], drop="if_binary"), ["gender"]),
            ("scale", StandardScaler(), ["age", "salary"]),
        ]
    )
    model = RandomForestClassifier(n_estimators=n_estimators, random_state=seed)
    return Pipeline([("preprocess", preprocess), ("model", model)])


def export_onnx(pipeline: Pipeline, path: Path) -> None:
    """Convert the pipeline to ONNX with the contract's inputs and outputs."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import DoubleTensorType, Int64TensorType, StringTensorType

    model = convert_sklearn(
        pipeline,
        initial_types=[
            ("age", DoubleTensorType([None, 1])),
            ("salary", DoubleTensorType([None, 1])),
            ("gender", StringTensorType([None, 1])),
        ],
        final_types=[("label", Int64TensorType([None])), ("probabilities", DoubleTensorType([None, 2]))],
        options={id(pipeline.steps[-1][1]): {"zipmap": False}},
        target_opset={"": 17, "ai.onnx.ml": 3},
    )
    path.write_bytes(model.SerializeToString())
    _add_metadata(path)


def _add_metadata(path: Path) -> None:
    """Add the contract's metadata_props, with golden examples computed by onnxruntime itself."""
    import onnx
    import onnxruntime as ort

    golden = [
        {"age": 45.0, "salary": 90_000.0, "gender": "Male"},
        {"age": 25.0, "salary": 30_000.0, "gender": "Female"},
    ]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed = {
        "age": np.array([[g["age"]] for g in golden]),
        "salary": np.array([[g["salary"]] for g in golden]),
        "gender": np.array([[g["gender"]] for g in golden], dtype=object),
    }
    for example, probs in zip(golden, session.run(["probabilities"], feed)[0], strict=True):
        example["probability"] = float(probs[1])
    schema = {
        "age": {"type": "float64", "min": 0, "max": 120, "min_exclusive": True},
        "salary": {"type": "float64", "min": 0, "max": 1_000_000},
        "gender": {"type": "string", "enum": ["Female", "Male"]},
    }
    props = {
        "schema_version": "1",
        "model_version": STAND_IN_VERSION,
        "model_family": "forest",
        "calibration": "none",
        "threshold": "0.5",
        "input_schema": json.dumps(schema),
        "training_ranges": json.dumps({"age": [18, 60], "salary": [15_000, 150_000]}),
        "golden_examples": json.dumps(golden),
    }
    model = onnx.load(str(path))
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    path.write_bytes(model.SerializeToString())


def make_stand_ins(directory: Path, rows: int = 400, n_estimators: int = 100) -> tuple[Path, Path]:
    """Fit and save a stand-in joblib bundle and ONNX model in `directory`; return both paths."""
    frame, labels = synthetic_customers(rows)
    pipeline = build_pipeline(n_estimators).fit(frame, labels)
    joblib_path = directory / "purchase_pipeline.joblib"
    onnx_path = directory / "purchase_model.onnx"
    joblib.dump({"pipeline": pipeline, "training": {"stand_in": True}}, joblib_path)
    export_onnx(pipeline, onnx_path)
    log.info("stand-in models written to %s", directory)
    return joblib_path, onnx_path
