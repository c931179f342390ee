"""The contract's ONNX metadata_props and the human-readable model card, built from training info."""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata as importlib_metadata
from typing import Any

import onnx
import pandas as pd

from export.errors import BundleError
from runtime import contract

SCHEMA_VERSION = contract.SCHEMA_VERSION
INPUT_SCHEMA = contract.INPUT_SCHEMA
REQUIRED_KEYS = list(contract.METADATA_KEYS)
JSON_KEYS = contract.JSON_METADATA
GOLDEN_TOLERANCE = 1e-9  # training's recorded examples vs the pipeline: far tighter than the runtime's
_PACKAGES = ("numpy", "scikit-learn", "xgboost", "skl2onnx", "onnx", "onnxruntime")


def dumps(value: Any) -> str:
    """Canonical JSON (sorted keys, no spaces) so metadata is byte-stable."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def library_versions(training_versions: dict[str, Any]) -> dict[str, str]:
    """Training's versions, completed with the export libraries' versions where missing."""
    versions = {str(k): str(v) for k, v in training_versions.items()}
    versions.setdefault("python", platform.python_version())
    for package in _PACKAGES:
        if versions.get(package, "not installed") == "not installed":
            for dist in (package, f"{package}-cpu"):
                try:
                    versions[package] = importlib_metadata.version(dist)
                    break
                except importlib_metadata.PackageNotFoundError:
                    continue
    return versions


def golden_examples(pipeline: Any, info: dict[str, Any]) -> list[dict[str, Any]]:
    """Training's golden inputs with P(buy) recomputed by scikit-learn from the pipeline itself."""
    inputs = [
        (float(g["age"]), float(g["salary"]), str(g["gender"])) for g in info.get("golden_examples", [])
    ]
    if not inputs:
        raise BundleError("training info has no golden_examples")
    frame = pd.DataFrame(inputs, columns=["age", "salary", "gender"]).astype({"gender": "object"})
    probabilities = pipeline.predict_proba(frame)[:, 1]
    recorded = [g.get("probability") for g in info["golden_examples"]]
    for expected, actual in zip(recorded, probabilities, strict=True):
        if expected is not None and abs(float(expected) - float(actual)) > GOLDEN_TOLERANCE:
            raise BundleError("the pipeline does not reproduce the golden examples recorded at training")
    return [
        {"age": a, "salary": s, "gender": g, "probability": float(p)}
        for (a, s, g), p in zip(inputs, probabilities, strict=True)
    ]


def _required(info: dict[str, Any], key: str) -> Any:
    """Fetch a key the contract needs from training info, or fail with its name."""
    if key not in info:
        raise BundleError(f"training info lacks {key!r}")
    return info[key]


def build_metadata(pipeline: Any, info: dict[str, Any], family: str, calibration: str) -> dict[str, str]:
    """All contract metadata except model_version (which depends on the graph)."""
    threshold = float(_required(info, "threshold"))
    if not 0.0 < threshold < 1.0:
        raise BundleError(f"threshold {threshold} is outside (0, 1)")
    data = info.get("data", {})
    fingerprint = info.get("data_fingerprint") or data.get("fingerprint")
    if not fingerprint:
        raise BundleError("training info lacks the data fingerprint")
    metrics = _required(info, "metrics")
    headline = {k: metrics[k] for k in ("cv", "test") if k in metrics} or metrics
    return {
        "schema_version": SCHEMA_VERSION,
        "model_family": family,
        "calibration": calibration,
        "threshold": repr(threshold),
        "input_schema": dumps(INPUT_SCHEMA),
        "training_ranges": dumps(_required(info, "training_ranges")),
        "data_fingerprint": str(fingerprint),
        "metrics": dumps(headline),
        "library_versions": dumps(library_versions(info.get("library_versions", {}))),
        "created_at": str(_required(info, "trained_at")),
        "golden_examples": dumps(golden_examples(pipeline, info)),
        "reference_profile": dumps(_required(info, "reference_profile")),  # drift monitoring's reference
        **({contract.META_FAIRNESS: dumps(info["fairness"])} if info.get("fairness") else {}),  # optional
        **_optional(info, contract.META_EXPLANATION_BACKGROUND),  # exact explanations' background
    }


def _optional(info: dict[str, Any], key: str) -> dict[str, str]:
    """An optional entry of training info as metadata, or nothing when the run predates it."""
    return {key: dumps(info[key])} if info.get(key) else {}


def content_version(model: onnx.ModelProto, family: str) -> str:
    """Content-derived id: family + sha256 of the serialized graph without metadata."""
    bare = onnx.ModelProto()
    bare.CopyFrom(model)
    del bare.metadata_props[:]
    return f"{family}-{hashlib.sha256(bare.SerializeToString()).hexdigest()[:12]}"


def attach_metadata(model: onnx.ModelProto, props: dict[str, str]) -> dict[str, str]:
    """Set metadata_props (sorted, with model_version) on model; return the full mapping.

    Refuses (BundleError) metadata no runtime would load: a model_version, model_family or calibration
    that is not a short safe token, or shown text outside printable ASCII (runtime.contract's rules).
    """
    full = dict(props)
    full["model_version"] = content_version(model, props["model_family"])
    problem = contract.metadata_problem(full)
    if problem is not None:
        raise BundleError(f"metadata {problem}; no model file written")
    del model.metadata_props[:]
    onnx.helper.set_model_props(model, dict(sorted(full.items())))
    return full


def parse_metadata(props: dict[str, str]) -> dict[str, Any]:
    """Metadata with JSON values decoded, for the model card and validation."""
    return {k: json.loads(v) if k in JSON_KEYS else v for k, v in props.items()}
