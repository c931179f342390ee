"""The model file layer: open `purchase_model.onnx`, check it against the contract, parse its metadata."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import onnxruntime as ort

from service.errors import StartupError

logger = logging.getLogger(__name__)

EXPECTED_INPUTS = {"age": "tensor(double)", "salary": "tensor(double)", "gender": "tensor(string)"}
EXPECTED_OUTPUTS = {"label": "tensor(int64)", "probabilities": "tensor(double)"}
REQUIRED_METADATA = ("schema_version", "model_version", "threshold", "input_schema", "training_ranges",
                     "golden_examples")  # fmt: skip
SUPPORTED_SCHEMA_VERSIONS = {"1"}
# The service's input domain (docs/model-contract.md); the model must declare at least this much.
SERVICE_DOMAIN = {"age": (0.0, 120.0), "salary": (0.0, 1_000_000.0)}
GENDERS = ("Female", "Male")


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


@dataclass(frozen=True)
class LoadedModel:
    """An open onnxruntime session and the metadata of the file it came from."""

    session: ort.InferenceSession
    metadata: ModelMetadata
    path: Path


def session_options() -> ort.SessionOptions:
    """One intra-op and one inter-op thread per worker, so gunicorn workers don't oversubscribe cores."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return options


def runner(session: ort.InferenceSession) -> Callable[..., list[Any]]:
    """The session's `run(output_names, feeds, run_options)`, minus the public wrapper's per-call checks.

    Unlike the public method it needs `output_names` as a list (None is not accepted).

    onnxruntime's public `InferenceSession.run` re-checks, on every call, that the feed names cover the
    inputs, that no OrtValue belongs to another session and that WebGPU graph capture is off, then calls
    the binding's `run`. For this service those facts are settled at load (CPU provider only, the input
    names checked by `_check_signature`, NumPy feeds), and the checks cost about 5 µs of a ~25 µs call.
    The binding is the private `_sess` attribute of onnxruntime 1.32 (pinned); if a future version drops
    it, the public method is used. tests/service/test_model_loading.py checks both give the same output.
    """
    binding = getattr(session, "_sess", None)
    run = getattr(binding, "run", None)
    if run is None or session.get_providers() != ["CPUExecutionProvider"]:
        return session.run
    return run


def load_model(path: Path) -> LoadedModel:
    """Open the model file or raise StartupError with a one-line reason."""
    if not path.is_file():
        raise StartupError(f"model file not found: {path} (set PREDICT_MODEL_PATH or run `make export`)")
    try:
        session = ort.InferenceSession(str(path), session_options(), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises several unrelated types for unreadable files
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise StartupError(f"model file {path} is not a loadable ONNX model: {reason}") from None
    _check_signature(session, path)
    metadata = parse_metadata(session.get_modelmeta().custom_metadata_map, path)
    logger.info("model loaded", extra={"model_version": metadata.model_version, "path": str(path)})
    return LoadedModel(session=session, metadata=metadata, path=path)


def _check_signature(session: ort.InferenceSession, path: Path) -> None:
    """Require the contract's input and output names, types and [N, 1] / [N] / [N, 2] shapes."""
    inputs = {i.name: i for i in session.get_inputs()}
    outputs = {o.name: o for o in session.get_outputs()}
    if set(inputs) != set(EXPECTED_INPUTS):
        raise StartupError(f"model {path} has inputs {sorted(inputs)}, expected {sorted(EXPECTED_INPUTS)}")
    for name, kind in EXPECTED_INPUTS.items():
        arg = inputs[name]
        if arg.type != kind or len(arg.shape) != 2 or arg.shape[1] not in (1, None):
            raise StartupError(
                f"model {path} input {name!r} is {arg.type} {arg.shape}, expected {kind} [N, 1]"
            )
    for name, kind in EXPECTED_OUTPUTS.items():
        if name not in outputs:
            raise StartupError(f"model {path} has no output {name!r} (outputs: {sorted(outputs)})")
        arg = outputs[name]
        rank = 2 if name == "probabilities" else 1
        if arg.type != kind or len(arg.shape) != rank:
            raise StartupError(f"model {path} output {name!r} is {arg.type} {arg.shape}, expected {kind}")


def _json(meta: dict[str, str], key: str, path: Path) -> Any:
    """Decode one JSON-valued metadata entry."""
    try:
        return json.loads(meta[key])
    except ValueError:
        raise StartupError(f"model {path} metadata {key!r} is not valid JSON") from None


def parse_metadata(meta: dict[str, str], path: Path) -> ModelMetadata:
    """Parse and check `metadata_props` against the contract."""
    missing = [key for key in REQUIRED_METADATA if not meta.get(key)]
    if missing:
        raise StartupError(f"model {path} metadata is missing {', '.join(missing)}")
    if meta["schema_version"] not in SUPPORTED_SCHEMA_VERSIONS:
        raise StartupError(
            f"model {path} metadata schema_version {meta['schema_version']!r} is not supported"
        )
    try:
        threshold = float(meta["threshold"])
    except ValueError:
        threshold = float("nan")
    if not 0.0 < threshold < 1.0:
        raise StartupError(f"model {path} metadata threshold must be a number strictly between 0 and 1")
    input_schema = _json(meta, "input_schema", path)
    _check_input_schema(input_schema, path)
    ranges = _json(meta, "training_ranges", path)
    training_ranges: dict[str, tuple[float, float]] = {}
    try:
        for name in SERVICE_DOMAIN:
            low, high = (float(v) for v in ranges[name])
            if not low <= high:
                raise ValueError
            training_ranges[name] = (low, high)
    except (KeyError, TypeError, ValueError):
        raise StartupError(
            f"model {path} metadata training_ranges needs [min, max] for age and salary"
        ) from None
    golden = _json(meta, "golden_examples", path)
    if not isinstance(golden, list) or not golden or not all(_is_golden(g) for g in golden):
        raise StartupError(f"model {path} metadata golden_examples must be a non-empty list of examples")
    metrics = _json(meta, "metrics", path) if meta.get("metrics") else {}
    return ModelMetadata(
        schema_version=meta["schema_version"],
        model_version=meta["model_version"],
        threshold=threshold,
        input_schema=input_schema,
        training_ranges=training_ranges,
        golden_examples=golden,
        model_family=meta.get("model_family", "unknown"),
        calibration=meta.get("calibration", "unknown"),
        metrics=metrics if isinstance(metrics, dict) else {},
        created_at=meta.get("created_at", ""),
    )


def _is_golden(example: Any) -> bool:
    """Whether a golden example has the four contract fields with usable types."""
    if not isinstance(example, dict):
        return False
    numbers = [example.get(k) for k in ("age", "salary", "probability")]
    return (
        all(isinstance(v, int | float) and not isinstance(v, bool) for v in numbers)
        and example.get("gender") in GENDERS
    )


def _check_input_schema(schema: Any, path: Path) -> None:
    """Require the model's declared domain to cover everything the service accepts."""
    try:
        for name, (low, high) in SERVICE_DOMAIN.items():
            if float(schema[name]["min"]) > low or float(schema[name]["max"]) < high:
                raise ValueError
        if not set(GENDERS) <= set(schema["gender"]["enum"]):
            raise ValueError
    except (KeyError, TypeError, ValueError):
        raise StartupError(
            f"model {path} metadata input_schema does not cover the service's domain "
            "(0 < age <= 120, 0 <= salary <= 1000000, gender Female|Male)"
        ) from None
