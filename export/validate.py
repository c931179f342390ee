"""Check that an ONNX file is a well-formed contract model: structure, metadata, golden examples."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from google.protobuf.message import DecodeError

from export.errors import InvalidModelFileError
from export.metadata import JSON_KEYS, REQUIRED_KEYS, content_version
from runtime.session import session_options

TOLERANCE = 1e-6
EXPECTED_INPUTS = {
    "age": onnx.TensorProto.DOUBLE,
    "salary": onnx.TensorProto.DOUBLE,
    "gender": onnx.TensorProto.STRING,
}
EXPECTED_OUTPUTS = {"label": onnx.TensorProto.INT64, "probabilities": onnx.TensorProto.DOUBLE}


def _load(path: Path) -> onnx.ModelProto:
    """Parse the file, turning every failure into one line."""
    if not path.is_file():
        raise InvalidModelFileError(f"{path}: no such model file")
    try:
        model = onnx.load(str(path))
        onnx.checker.check_model(model)
    except (DecodeError, onnx.checker.ValidationError, OSError, ValueError) as exc:
        raise InvalidModelFileError(f"{path}: not a valid ONNX model ({type(exc).__name__})") from exc
    return model


def _check_io(model: onnx.ModelProto, path: Path) -> None:
    """Inputs and outputs must match the contract's names and element types."""
    for kind, values, expected in (
        ("inputs", model.graph.input, EXPECTED_INPUTS),
        ("outputs", model.graph.output, EXPECTED_OUTPUTS),
    ):
        found = {v.name: v.type.tensor_type.elem_type for v in values}
        if found != expected:
            raise InvalidModelFileError(f"{path}: {kind} {sorted(found)} do not match the contract")
    opsets = {o.domain or "": o.version for o in model.opset_import}
    if opsets.get("", 0) < 17 or opsets.get("ai.onnx.ml", 3) < 3:
        raise InvalidModelFileError(f"{path}: opsets {opsets} are older than the contract allows")


def _check_metadata(model: onnx.ModelProto, path: Path) -> dict[str, Any]:
    """All keys present, JSON decodes, threshold sane, model_version matches the graph."""
    props = {p.key: p.value for p in model.metadata_props}
    missing = [k for k in REQUIRED_KEYS if k not in props]
    if missing:
        raise InvalidModelFileError(f"{path}: metadata lacks {', '.join(missing)}")
    try:
        meta: dict[str, Any] = {k: json.loads(v) if k in JSON_KEYS else v for k, v in props.items()}
        threshold = float(props["threshold"])
    except ValueError as exc:
        raise InvalidModelFileError(f"{path}: malformed metadata ({exc})") from exc
    if not (math.isfinite(threshold) and 0.0 < threshold < 1.0):
        raise InvalidModelFileError(f"{path}: threshold {props['threshold']} is outside (0, 1)")
    if content_version(model, props["model_family"]) != props["model_version"]:
        raise InvalidModelFileError(f"{path}: model_version does not match the graph (file was altered)")
    if not isinstance(meta["golden_examples"], list) or not meta["golden_examples"]:
        raise InvalidModelFileError(f"{path}: golden_examples is empty")
    return meta


def session_for(model_bytes: bytes) -> ort.InferenceSession:
    """An onnxruntime CPU session with the service's options, so parity is proven for what is served.

    The options matter: with one intra-op thread onnxruntime adds a forest's trees in order, as
    scikit-learn does; with more it may add them in another order (a difference of an ulp or so).
    """
    return ort.InferenceSession(model_bytes, session_options(), providers=["CPUExecutionProvider"])


def run_session(
    session: ort.InferenceSession, age: np.ndarray, salary: np.ndarray, gender: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(label, probabilities) from the ONNX model for 1-D arrays of raw inputs."""
    feeds = {
        "age": np.asarray(age, dtype=np.float64).reshape(-1, 1),
        "salary": np.asarray(salary, dtype=np.float64).reshape(-1, 1),
        "gender": np.asarray(gender, dtype=object).reshape(-1, 1),
    }
    label, probabilities = session.run(["label", "probabilities"], feeds)
    return np.asarray(label), np.asarray(probabilities)


def run_onnx(
    session: ort.InferenceSession, age: np.ndarray, salary: np.ndarray, gender: np.ndarray
) -> np.ndarray:
    """P(buy) from the ONNX model for 1-D arrays of raw inputs."""
    probabilities = run_session(session, age, salary, gender)[1]
    if probabilities.dtype != np.float64:
        raise InvalidModelFileError("probabilities output is not float64")
    return probabilities[:, 1]


def _check_golden(session: ort.InferenceSession, meta: dict[str, Any], path: Path) -> None:
    """onnxruntime must reproduce every golden example within tolerance and on the same side."""
    golden = meta["golden_examples"]
    try:
        expected = np.array([float(g["probability"]) for g in golden])
        got = run_onnx(
            session,
            np.array([g["age"] for g in golden]),
            np.array([g["salary"] for g in golden]),
            np.array([g["gender"] for g in golden], dtype=object),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidModelFileError(f"{path}: golden examples malformed ({exc})") from exc
    threshold = float(meta["threshold"])
    if np.max(np.abs(got - expected)) > TOLERANCE or np.any((got >= threshold) != (expected >= threshold)):
        raise InvalidModelFileError(f"{path}: onnxruntime does not reproduce the golden examples")


def validate(path: Path) -> tuple[dict[str, Any], ort.InferenceSession]:
    """Validate an ONNX model file against the contract; return its decoded metadata and a session."""
    model = _load(path)
    _check_io(model, path)
    meta = _check_metadata(model, path)
    try:
        session = session_for(model.SerializeToString())
    except Exception as exc:  # onnxruntime raises its own exception types
        raise InvalidModelFileError(f"{path}: onnxruntime cannot load it ({exc})") from exc
    _check_golden(session, meta, path)
    return meta, session
