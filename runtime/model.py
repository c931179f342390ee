"""Open a model file and check it against the contract: size, no external data, signature, metadata, domain.

The file's bytes are checked before onnxruntime sees them: at most `max_bytes` long (the contract's
DEFAULT_MAX_MODEL_BYTES unless the caller says otherwise), a parsable ONNX protobuf, no tensor whose data
lives in another file (onnxruntime would read it relative to the model's folder or the working
directory), and no metadata key given twice. Metadata strings that reach headers, logs or pages follow
the contract's rules (runtime.contract.metadata_problem).
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import onnxruntime as ort

from runtime import contract as c
from runtime.background import Background, parse_background
from runtime.errors import ModelError
from runtime.forest_table import Grid, grid_of
from runtime.session import open_session

if TYPE_CHECKING:
    import onnx

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
    explanation_background: Background | None = None  # None: a file from before explanations
    extra: dict[str, str] = field(default_factory=dict)  # every other metadata entry, raw


@dataclass(frozen=True)
class LoadedModel:
    """An open onnxruntime session and the metadata of the file it came from."""

    session: ort.InferenceSession
    metadata: ModelMetadata
    path: Path
    grid: Grid | None = None  # split points when the model is a tree ensemble on raw inputs (forest_table)


def read_model_bytes(path: Path, max_bytes: int = c.DEFAULT_MAX_MODEL_BYTES) -> bytes:
    """The file's bytes, or ModelError saying why they cannot be read (missing, unreadable, too large)."""
    if not path.is_file():
        raise ModelError(f"model file not found: {path} (set PREDICT_MODEL_PATH or run `make export`)")
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            data = b"" if size > max_bytes else handle.read(max_bytes + 1)  # +1: a file that grew is seen
    except OSError as exc:
        raise ModelError(f"model file {path} cannot be read: {exc.strerror or type(exc).__name__}") from None
    check_size(max(size, len(data)), path, max_bytes)
    return data


def check_size(size: int, path: Path, max_bytes: int) -> None:
    """Refuse a model file larger than the limit, before anything parses it."""
    if size > max_bytes:
        raise ModelError(
            f"model file {path} is {size} bytes, over the limit of {max_bytes} bytes "
            "(PREDICT_MAX_MODEL_BYTES, --max-model-bytes)"
        )


def load_model(
    path: Path, model_bytes: bytes | None = None, max_bytes: int = c.DEFAULT_MAX_MODEL_BYTES
) -> LoadedModel:
    """Open the model (from its bytes when given) and check it, or raise ModelError with a one-line reason."""
    data = read_model_bytes(path, max_bytes) if model_bytes is None else model_bytes
    check_size(len(data), path, max_bytes)
    check_file(data, path)
    try:
        session = open_session(data)
    except Exception as exc:  # onnxruntime raises several unrelated types for unreadable files
        raise ModelError(f"model file {path} is not a loadable ONNX model: {one_line_reason(exc)}") from None
    check_signature(session, path)
    metadata = parse_metadata(session.get_modelmeta().custom_metadata_map, path)
    logger.info("model loaded", extra={"model_version": metadata.model_version, "path": str(path)})
    return LoadedModel(session=session, metadata=metadata, path=path, grid=_grid(data, path))


def one_line_reason(exc: BaseException) -> str:
    """An exception's first line, cut and escaped: library messages may quote names from the model file."""
    text = str(exc).strip()
    return c.printable(text.splitlines()[0], 200) if text else type(exc).__name__


def check_file(data: bytes, path: Path) -> None:
    """What onnxruntime must never be shown: a file that is not an ONNX protobuf, tensors with external
    data, metadata keys given twice (the checks would read one value and onnxruntime another)."""
    import onnx  # only here, as in runtime.forest_table: parsing the file is a load-time step
    from google.protobuf.message import DecodeError

    try:
        model = onnx.ModelProto.FromString(data)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise ModelError(f"model file {path} is not a loadable ONNX model: {one_line_reason(exc)}") from None
    external = next(external_tensors(model), None)
    if external is not None:
        raise ModelError(
            f"model file {path} keeps tensor {c.shown(external)} in an external file; only self-contained "
            "models are served (re-export it without external data)"
        )
    keys = Counter(prop.key for prop in model.metadata_props)
    twice = sorted(key for key, count in keys.items() if count > 1)
    if twice:
        raise ModelError(f"model {path} metadata gives {', '.join(c.shown(k) for k in twice)} more than once")


def external_tensors(model: onnx.ModelProto) -> Iterator[str]:
    """Names of the tensors whose data lives outside the file."""
    from onnx.external_data_helper import uses_external_data

    for tensor in _all_tensors(model):
        if uses_external_data(tensor) or len(tensor.external_data):
            yield tensor.name or "(unnamed)"


def _all_tensors(model: onnx.ModelProto) -> Iterator[onnx.TensorProto]:
    """Every tensor of the file: initializers, sparse initializers and node attributes, in the main graph,
    every subgraph (If, Loop, Scan bodies) and every local function."""
    graphs = [model.graph]
    nodes = [node for function in model.functions for node in function.node]
    while graphs or nodes:
        if graphs:
            graph = graphs.pop()
            nodes.extend(graph.node)
            yield from graph.initializer
            yield from _sparse(graph.sparse_initializer)
            continue
        for attribute in nodes.pop().attribute:
            if attribute.HasField("t"):
                yield attribute.t
            yield from attribute.tensors
            if attribute.HasField("sparse_tensor"):
                yield from _sparse([attribute.sparse_tensor])
            yield from _sparse(attribute.sparse_tensors)
            if attribute.HasField("g"):
                graphs.append(attribute.g)
            graphs.extend(attribute.graphs)


def _sparse(tensors: Iterable[onnx.SparseTensorProto]) -> list[onnx.TensorProto]:
    """The value and index tensors of sparse tensors."""
    return [t for sparse in tensors for t in (sparse.values, sparse.indices)]


def _grid(data: bytes, path: Path) -> Grid | None:
    """The model's lookup-table grid, or None (with a log line) when its graph cannot be read for one."""
    try:
        return grid_of(data)
    except Exception as exc:  # onnxruntime loaded it, so the model still serves without a table
        logger.warning("no lookup table for %s: %s", path, one_line_reason(exc))
        return None


def check_signature(session: ort.InferenceSession, path: Path) -> None:
    """Require the contract's input and output names, types and [N, 1] / [N] / [N, 2] shapes."""
    inputs = {i.name: i for i in session.get_inputs()}
    outputs = {o.name: o for o in session.get_outputs()}
    if set(inputs) != set(c.ONNX_INPUT_TYPES):
        raise ModelError(f"model {path} has inputs {sorted(inputs)!a}, expected {sorted(c.ONNX_INPUT_TYPES)}")
    for name, kind in c.ONNX_INPUT_TYPES.items():
        arg = inputs[name]
        if arg.type != kind or len(arg.shape) != 2 or arg.shape[1] not in (1, None):
            shape = ascii(arg.shape)  # symbolic dimension names come from the file
            raise ModelError(f"model {path} input {name!r} is {arg.type} {shape}, expected {kind} [N, 1]")
    for name, kind in c.ONNX_OUTPUT_TYPES.items():
        if name not in outputs:
            raise ModelError(f"model {path} has no output {name!r} (outputs: {sorted(outputs)!a})")
        arg = outputs[name]
        rank = 2 if name == c.PROBABILITIES_OUTPUT else 1
        if arg.type != kind or len(arg.shape) != rank:
            raise ModelError(f"model {path} output {name!r} is {arg.type} {arg.shape!a}, expected {kind}")


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
            f"model {path} metadata schema_version {meta[c.META_SCHEMA_VERSION][:40]!a} is not supported"
        )
    problem = c.metadata_problem(meta)
    if problem is not None:
        raise ModelError(f"model {path} metadata {problem}")
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
    background = meta.get(c.META_EXPLANATION_BACKGROUND)
    known = {*c.REQUIRED_METADATA, c.META_MODEL_FAMILY, c.META_CALIBRATION, c.META_METRICS, c.META_CREATED_AT}
    known.add(c.META_EXPLANATION_BACKGROUND)
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
        explanation_background=None if background is None else parse_background(background, path),
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
