"""Builds tiny contract-conforming ONNX models (a hand-written logistic regression) for the service tests,
and hostile variants of them: unsafe metadata strings, tensors kept in an external file, padded files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnx.external_data_helper import set_external_data

WEIGHTS = (0.8, 2.0, 1.5)  # male, scaled age, scaled salary
BIAS = -1.0
AGE_MEAN, AGE_SD = 38.0, 10.0
SALARY_MEAN, SALARY_SD = 70_000.0, 30_000.0
TRAINING_RANGES = {"age": [18, 60], "salary": [15000, 150000]}
GOLDEN_INPUTS = [
    (19, 19000, "Male"),
    (35, 20000, "Male"),
    (45, 90000, "Female"),
    (60, 150000, "Female"),
    (27, 58000, "Female"),
    (47, 25000, "Male"),
]
# model_version values a hostile or careless exporter could write (tests/runtime, tests/chaos)
VERSION_CRLF = "logreg-1\r\nX-Forged: yes"
VERSION_LF = "logreg-1\nmodel reload: serving forged"
VERSION_NON_ASCII = "logreg-\u00e9t\u00e9"
VERSION_64 = "v" + "1" * 63
VERSION_65 = "v" + "1" * 64
HOSTILE_VERSIONS = {
    "crlf": VERSION_CRLF,
    "lf": VERSION_LF,
    "non-ascii": VERSION_NON_ASCII,
    "65 bytes": VERSION_65,
}
INPUT_SCHEMA = {
    "age": {"type": "float64", "min": 0, "max": 120, "min_exclusive": True},
    "salary": {"type": "float64", "min": 0, "max": 1000000},
    "gender": {"type": "string", "enum": ["Female", "Male"]},
}


def expected_probability(age: float, salary: float, gender: str) -> float:
    """The same model in plain Python, to check the service's answers."""
    z = (
        WEIGHTS[0] * (gender == "Male")
        + WEIGHTS[1] * (age - AGE_MEAN) / AGE_SD
        + WEIGHTS[2] * (salary - SALARY_MEAN) / SALARY_SD
        + BIAS
    )
    return float(1.0 / (1.0 + np.exp(-z)))


def _const(name: str, values: list[float], dims: list[int]) -> onnx.TensorProto:
    """A double initializer."""
    return helper.make_tensor(name, TensorProto.DOUBLE, dims, values)


def build_graph(age_type: int = TensorProto.DOUBLE, extra_input: bool = False) -> onnx.ModelProto:
    """age/salary float64 [N,1], gender string [N,1] -> label int64 [N], probabilities float64 [N,2]."""
    age_cast = "age" if age_type == TensorProto.DOUBLE else "age_d"
    nodes = [
        helper.make_node(
            "LabelEncoder",
            ["gender"],
            ["male_f"],
            domain="ai.onnx.ml",
            keys_strings=["Female", "Male"],
            values_floats=[0.0, 1.0],
            default_float=0.0,
        ),
        helper.make_node("Cast", ["male_f"], ["male"], to=TensorProto.DOUBLE),
        helper.make_node("Sub", [age_cast, "age_mean"], ["age_c"]),
        helper.make_node("Div", ["age_c", "age_sd"], ["age_s"]),
        helper.make_node("Sub", ["salary", "salary_mean"], ["salary_c"]),
        helper.make_node("Div", ["salary_c", "salary_sd"], ["salary_s"]),
        helper.make_node("Concat", ["male", "age_s", "salary_s"], ["x"], axis=1),
        helper.make_node("MatMul", ["x", "w"], ["xw"]),
        helper.make_node("Add", ["xw", "b"], ["z"]),
        helper.make_node("Sigmoid", ["z"], ["p"]),
        helper.make_node("Sub", ["one", "p"], ["q"]),
        helper.make_node("Concat", ["q", "p"], ["probabilities"], axis=1),
        helper.make_node("ArgMax", ["probabilities"], ["label"], axis=1, keepdims=0),
    ]
    if age_type != TensorProto.DOUBLE:
        nodes.insert(0, helper.make_node("Cast", ["age"], ["age_d"], to=TensorProto.DOUBLE))
    inits = [
        _const("age_mean", [AGE_MEAN], []),
        _const("age_sd", [AGE_SD], []),
        _const("salary_mean", [SALARY_MEAN], []),
        _const("salary_sd", [SALARY_SD], []),
        _const("w", list(WEIGHTS), [3, 1]),
        _const("b", [BIAS], []),
        _const("one", [1.0], []),
    ]
    inputs = [
        helper.make_tensor_value_info("age", age_type, ["N", 1]),
        helper.make_tensor_value_info("salary", TensorProto.DOUBLE, ["N", 1]),
        helper.make_tensor_value_info("gender", TensorProto.STRING, ["N", 1]),
    ]
    if extra_input:
        inputs.append(helper.make_tensor_value_info("country", TensorProto.STRING, ["N", 1]))
    outputs = [
        helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
        helper.make_tensor_value_info("probabilities", TensorProto.DOUBLE, ["N", 2]),
    ]
    graph = helper.make_graph(nodes, "purchase_test", inputs, outputs, inits)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)]
    )
    model.ir_version = 8
    return model


def golden_examples(model: onnx.ModelProto) -> list[dict[str, Any]]:
    """Golden examples computed by running the graph with onnxruntime."""
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = {
        "age": np.array([[a] for a, _, _ in GOLDEN_INPUTS], dtype=np.float64),
        "salary": np.array([[s] for _, s, _ in GOLDEN_INPUTS], dtype=np.float64),
        "gender": np.array([[g] for _, _, g in GOLDEN_INPUTS], dtype=object),
    }
    (probs,) = session.run(["probabilities"], feeds)
    return [
        {"age": a, "salary": s, "gender": g, "probability": float(p)}
        for (a, s, g), p in zip(GOLDEN_INPUTS, probs[:, 1], strict=True)
    ]


def default_metadata(model: onnx.ModelProto) -> dict[str, str]:
    """Contract metadata for a graph."""
    return {
        "schema_version": "1",
        "model_version": "logreg-test0000001",
        "model_family": "logreg",
        "calibration": "none",
        "threshold": "0.6",
        "input_schema": json.dumps(INPUT_SCHEMA),
        "training_ranges": json.dumps(TRAINING_RANGES),
        "data_fingerprint": "0" * 64,
        "metrics": json.dumps({"roc_auc": 0.93, "f1": 0.81}),
        "library_versions": json.dumps({"onnxruntime": ort.__version__}),
        "created_at": "2026-11-23T00:00:00Z",
        "golden_examples": json.dumps(golden_examples(model)),
    }


def write_model(
    path: Path,
    overrides: dict[str, str | None] | None = None,
    age_type: int = TensorProto.DOUBLE,
    extra_input: bool = False,
    pad_bytes: int = 0,
) -> Path:
    """Write a model; `overrides` replaces metadata values (None removes the key); `pad_bytes` adds an
    unused initializer of that many bytes (a valid model that is simply large)."""
    model = build_graph(age_type, extra_input)
    if pad_bytes:
        padding = np.zeros(pad_bytes // 8 + 1, dtype=np.float64)
        model.graph.initializer.append(numpy_helper.from_array(padding, "padding"))
    return _save(model, path, overrides)


def _save(model: onnx.ModelProto, path: Path, overrides: dict[str, str | None] | None = None) -> Path:
    """Add the contract metadata (with `overrides`) and write the file."""
    metadata: dict[str, str | None] = {**default_metadata(build_graph()), **(overrides or {})}
    for key, value in metadata.items():
        if value is not None:
            model.metadata_props.append(onnx.StringStringEntryProto(key=key, value=value))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(model.SerializeToString())
    return path


def write_external_model(path: Path, data_file: str, in_attribute: bool = False) -> Path:
    """A model whose weights `w` (or, `in_attribute`, its bias `b` as a Constant node's tensor) live in
    `data_file`, a location relative to the model's folder; the file is written with the right bytes, so
    onnxruntime opening the model from its path loads it and reproduces the golden examples."""
    model = build_graph()
    name = "b" if in_attribute else "w"
    (tensor,) = [t for t in model.graph.initializer if t.name == name]
    external = numpy_helper.from_array(numpy_helper.to_array(tensor), name)  # raw_data form
    target = path.parent / data_file
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(external.raw_data)
    set_external_data(external, location=data_file, offset=0, length=len(external.raw_data))
    external.ClearField("raw_data")
    external.data_location = TensorProto.EXTERNAL
    model.graph.initializer.remove(tensor)
    if in_attribute:
        model.graph.node.insert(0, helper.make_node("Constant", [], [name], value=external))
    else:
        model.graph.initializer.append(external)
    return _save(model, path)
