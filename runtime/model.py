"""Open a model file and check it against the contract: signature, metadata, declared domain."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import onnxruntime as ort

from runtime import contract as c
from runtime.errors import ModelError
from runtime.forest_table import Grid, grid_of
from runtime.session import open_session

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelMetadata:
    """The parsed `metadata_props` of a contract-conforming model."""

    schema_version: str
    model_version: str
    threshold: float
    input_schema: dict[str, Any]
    training_ranges: dict[str, tuple[float, float]]
    golden_examples: list[dict[str, Any]]
    model_family: str = "unknown"
    calibration: str = "unknown"
    metrics: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # every other metadata entry, raw


@dataclass(frozen=True)
class LoadedModel:
    """An open onnxruntime session and the metadata of the file it came from."""

    session: ort.InferenceSession
    metadata: ModelMetadata
    path: Path
    grid: Grid | None = None  # split points when the model is a tree ensemble on raw inputs (forest_table)


def read_model_bytes(path: Path) -> bytes:
    """The file's bytes, or ModelError saying why they cannot be read."""
    if not path.is_file():
        raise ModelError(f"model file not found: {path} (set PREDICT_MODEL_PATH or run `make export`)")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ModelError(f"model file {path} cannot be read: {exc.strerror or type(exc).__name__}") from None


def load_model(path: Path, model_bytes: bytes | None = None) -> LoadedModel:
    """Open the model (from its bytes when given) and check it, or raise ModelError with a one-line reason."""
    data = read_model_bytes(path) if model_bytes is None else model_bytes
    try:
        session = open_session(data)
    except Exception as exc:  # onnxruntime raises several unrelated types for unreadable files
        text = str(exc).strip()
        reason = text.splitlines()[0][:200] if text else type(exc).__name__
        raise ModelError(f"model file {path} is not a loadable ONNX model: {reason}") from None
    check_signature(session, path)
    metadata = parse_metadata(session.get_modelmeta().custom_metadata_map, path)
    logger.info("model loaded", extra={"model_version": metadata.model_version, "path": str(path)})
    return LoadedModel(session=session, metadata=metadata, path=path, grid=_grid(data, path))


def _grid(data: bytes, path: Path) -> Grid | None:
    """The model's lookup-table grid, or None (with a log line) when its graph cannot be read for one."""
    try:
        return grid_of(data)
    except Exception as exc:  # onnxruntime loaded it, so the model still serves without a table
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        logger.warning("no lookup table for %s: %s", path, reason)
        return None


def check_signature(session: ort.InferenceSession, path: Path) -> None:
    """Require the contract's input and output names, types and [N, 1] / [N] / [N, 2] shapes."""
    inputs = {i.name: i for i in session.get_inputs()}
    outputs = {o.name: o for o in session.get_outputs()}
    if set(inputs) != set(c.ONNX_INPUT_TYPES):
        raise ModelError(f"model {path} has inputs {sorted(inputs)}, expected {sorted(c.ONNX_INPUT_TYPES)}")
    for name, kind in c.ONNX_INPUT_TYPES.items():
        arg = inputs[name]
        if arg.type != kind or len(arg.shape) != 2 or arg.shape[1] not in (1, None):
            raise ModelError(f"model {path} input {name!r} is {arg.type} {arg.shape}, expected {kind} [N, 1]")
    for name, kind in c.ONNX_OUTPUT_TYPES.items():
        if name not in outputs:
            raise ModelError(f"model {path} has no output {name!r} (outputs: {sorted(outputs)})")
        arg = outputs[name]
        rank = 2 if name == c.PROBABILITIES_OUTPUT else 1
        if arg.type != kind or len(arg.shape) != rank:
            raise ModelError(f"model {path} output {name!r} is {arg.type} {arg.shape}, expected {kind}")


def _json(meta: dict[str, str], key: str, path: Path) -> Any:
    """Decode one JSON-valued metadata entry."""
    try:
        return json.loads(meta[key])
    except ValueError:
        raise ModelError(f"model {path} metadata {key!r} is not valid JSON") from None


def parse_metadata(meta: dict[str, str], path: Path) -> ModelMetadata:
    """Parse and check `metadata_props` against the contract."""
    missing = [key for key in c.REQUIRED_METADATA if not meta.get(key)]
    if missing:
        raise ModelError(f"model {path} metadata is missing {', '.join(missing)}")
    if meta[c.META_SCHEMA_VERSION] not in c.SUPPORTED_SCHEMA_VERSIONS:
        raise ModelError(
            f"model {path} metadata schema_version {meta[c.META_SCHEMA_VERSION]!r} is not supported"
        )
    try:
        threshold = float(meta[c.META_THRESHOLD])
    except ValueError:
        threshold = float("nan")
    if not c.valid_threshold(threshold):
        raise ModelError(f"model {path} metadata threshold must be a number strictly between 0 and 1")
    input_schema = _json(meta, c.META_INPUT_SCHEMA, path)
    check_input_schema(input_schema, path)
    training_ranges = _training_ranges(_json(meta, c.META_TRAINING_RANGES, path), path)
    golden = _json(meta, c.META_GOLDEN_EXAMPLES, path)
    if not isinstance(golden, list) or not golden or not all(_is_golden(g) for g in golden):
        raise ModelError(f"model {path} metadata golden_examples must be a non-empty list of examples")
    metrics = _json(meta, c.META_METRICS, path) if meta.get(c.META_METRICS) else {}
    known = {*c.REQUIRED_METADATA, c.META_MODEL_FAMILY, c.META_CALIBRATION, c.META_METRICS, c.META_CREATED_AT}
    return ModelMetadata(
        schema_version=meta[c.META_SCHEMA_VERSION],
        model_version=meta[c.META_MODEL_VERSION],
        threshold=threshold,
        input_schema=input_schema,
        training_ranges=training_ranges,
        golden_examples=golden,
        model_family=meta.get(c.META_MODEL_FAMILY, "unknown"),
        calibration=meta.get(c.META_CALIBRATION, "unknown"),
        metrics=metrics if isinstance(metrics, dict) else {},
        created_at=meta.get(c.META_CREATED_AT, ""),
        extra={k: v for k, v in meta.items() if k not in known},
    )


def _training_ranges(ranges: Any, path: Path) -> dict[str, tuple[float, float]]:
    """[min, max] per numeric input, min <= max."""
    result: dict[str, tuple[float, float]] = {}
    try:
        for name in c.NUMERIC_INPUTS:
            low, high = (float(v) for v in ranges[name])
            if not low <= high:
                raise ValueError
            result[name] = (low, high)
    except (KeyError, TypeError, ValueError):
        raise ModelError(
            f"model {path} metadata training_ranges needs [min, max] for age and salary"
        ) from None
    return result


def _is_golden(example: Any) -> bool:
    """Whether a golden example has the four contract fields with usable types."""
    if not isinstance(example, dict):
        return False
    numbers = [example.get(k) for k in (c.AGE, c.SALARY, "probability")]
    return (
        all(isinstance(v, int | float) and not isinstance(v, bool) for v in numbers)
        and example.get(c.GENDER) in c.GENDERS
    )


def check_input_schema(schema: Any, path: Path) -> None:
    """Require the model's declared domain to cover the contract's whole input domain."""
    try:
        for name, (low, high) in c.DOMAIN.items():
            if float(schema[name]["min"]) > low or float(schema[name]["max"]) < high:
                raise ValueError
        if not set(c.GENDERS) <= set(schema[c.GENDER]["enum"]):
            raise ValueError
    except (KeyError, TypeError, ValueError):
        raise ModelError(
            f"model {path} metadata input_schema does not cover the contract's domain "
            "(0 < age <= 120, 0 <= salary <= 1000000, gender Female|Male)"
        ) from None
