"""Open Inference Protocol (KServe V2) tensors for the purchase model: decode, validate, answer; no HTTP.

Inputs `age` and `salary` are FP64 and `gender` BYTES (a JSON string per element), shape [N, 1] or [N],
data flat or nested as the shape says. Elements are checked for their JSON type here (a number, not a
boolean or string; a string for gender, normalised by `contract.normalise_gender`), then every row goes
through `runtime.validation.row_errors`, the contract's rules that every front end shares. Errors name
the input and the row, never the submitted values. Outputs are `probability` FP64 [N] (unrounded) and
`prediction` BYTES [N] at the threshold; the ONNX `label` (argmax at 0.5) is not exposed because it
contradicts the business threshold. `contributions` FP64 [N, 3] (each row's exact Shapley contributions of
age, salary and gender, runtime/explain.py) is answered only when requested by name, and only for a model
that carries an explanation background (its metadata lists it then).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import numpy as np

from runtime import contract as c
from runtime.validation import (
    MESSAGES,
    ObjectArray,
    first_row_error,
    gender_problems,
    normalise_genders,
    number_problems,
)
from runtime.validation import (
    FloatArray as FloatArray,  # re-exported: service.http.v2_routes annotates with v2.FloatArray
)

PLATFORM: Final = "onnx_onnxv1"
FP64: Final = "FP64"
BYTES: Final = "BYTES"
INPUT_DATATYPES: Final = {c.AGE: FP64, c.SALARY: FP64, c.GENDER: BYTES}
PROBABILITY: Final = "probability"
PREDICTION: Final = "prediction"
CONTRIBUTIONS: Final = "contributions"
OUTPUT_DATATYPES: Final = {PROBABILITY: FP64, PREDICTION: BYTES}  # the default outputs
REQUESTABLE_DATATYPES: Final = {**OUTPUT_DATATYPES, CONTRIBUTIONS: FP64}  # contributions: only when named
KNOWN_DATATYPES: Final = frozenset(
    {
        "BOOL",
        "UINT8",
        "UINT16",
        "UINT32",
        "UINT64",
        "INT8",
        "INT16",
        "INT32",
        "INT64",
        "FP16",
        "FP32",
        FP64,
        BYTES,
        "BF16",
    }
)
# Parameters that would change what a tensor means; refused rather than silently ignored.
UNSUPPORTED_PARAMETERS: Final = {
    "binary_data_size": "binary tensor data",
    "shared_memory_region": "shared memory",
    "shared_memory_byte_size": "shared memory",
    "shared_memory_offset": "shared memory",
    "classification": "the classification extension",
}
EXPECTED_INPUTS: Final = ", ".join(c.INPUT_NAMES)
T = TypeVar("T")


class TensorError(ValueError):
    """A request the protocol or the contract refuses; the message names input and row, never values.

    `fields` are the contract inputs the refusal is about (all of them, not only the one the message
    names), empty when it is about the body as a whole; monitoring counts rejections by these names.
    """

    def __init__(self, message: str, fields: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.fields = fields


@dataclass(frozen=True, slots=True)
class InferRequest:
    """A decoded, valid inference request: three columns of N rows and what to answer."""

    age: FloatArray
    salary: FloatArray
    gender: ObjectArray
    request_id: str | None
    outputs: tuple[str, ...]


def server_metadata(name: str, version: str) -> dict[str, Any]:
    """The `GET /v2` document: no protocol extensions are implemented."""
    return {"name": name, "version": version, "extensions": []}


def model_metadata(name: str, version: str, explainable: bool = False) -> dict[str, Any]:
    """The `GET /v2/models/{name}` document: the graph's inputs and the service's outputs (`contributions`
    too when the model carries an explanation background)."""
    outputs = [{"name": n, "datatype": d, "shape": [-1]} for n, d in OUTPUT_DATATYPES.items()]
    if explainable:
        outputs.append({"name": CONTRIBUTIONS, "datatype": FP64, "shape": [-1, len(c.INPUT_NAMES)]})
    return {
        "name": name,
        "versions": [version],
        "platform": PLATFORM,
        "inputs": [{"name": n, "datatype": d, "shape": [-1, 1]} for n, d in INPUT_DATATYPES.items()],
        "outputs": outputs,
    }


def decode_request(body: Any, max_rows: int) -> InferRequest:
    """Turn a parsed infer body into validated columns, or raise TensorError (answered 400)."""
    if type(body) is not dict:
        raise TensorError("The request body must be a JSON object with 'inputs'.")
    request_id = body.get("id")
    if request_id is not None and type(request_id) is not str:
        raise TensorError("'id' must be a string.")
    if body.get("parameters") is not None and type(body["parameters"]) is not dict:
        raise TensorError("'parameters' must be a JSON object.")
    tensors = _named_inputs(body.get("inputs"))
    counts = _collect(lambda name: _rows(name, tensors[name], max_rows))
    rows = counts[c.AGE]
    differ = [name for name in c.INPUT_NAMES if counts[name] != rows]
    if differ:
        raise TensorError(
            f"input '{differ[0]}' has {counts[differ[0]]} rows but input '{c.AGE}' has {rows}; "
            "all inputs need the same N.",
            _odd_ones_out(counts),
        )
    age, salary, gender = _columns(tensors, rows)
    problem = first_row_error(age, salary, gender)
    if problem is not None:  # one message built, however many rows are bad
        row, message, count, masks = problem
        more = f" ({count - 1} more invalid rows)" if count > 1 else ""
        fields = tuple(name for name, mask in zip(c.INPUT_NAMES, masks, strict=True) if mask.any())
        raise TensorError(f"row {row}: {message}{more}", fields)
    return InferRequest(age, salary, gender, request_id, _requested_outputs(body.get("outputs")))


def _collect(check: Callable[[str], T]) -> dict[str, T]:
    """`check` each input; when any fails, raise the first failure carrying every failing input's name."""
    results: dict[str, T] = {}
    failures: list[TensorError] = []
    for name in c.INPUT_NAMES:
        try:
            results[name] = check(name)
        except TensorError as exc:
            failures.append(exc)
    if failures:
        fields = {name for exc in failures for name in exc.fields}
        raise TensorError(str(failures[0]), tuple(n for n in c.INPUT_NAMES if n in fields))
    return results


def _column(name: str, tensor: dict[str, Any], rows: int) -> FloatArray | ObjectArray:
    """One input's elements as a typed column."""
    values = _elements(name, tensor, rows)
    return _strings(name, values) if name == c.GENDER else _numbers(name, values)


def _breaks_rules(name: str, column: Any) -> bool:
    """Whether any row of a parsed column breaks the contract's rules for its input."""
    bad = gender_problems(column) if name == c.GENDER else number_problems(name, column)
    return bool(bad.any())


def _odd_ones_out(counts: dict[str, int]) -> tuple[str, ...]:
    """The inputs whose N differs from the other inputs' common N; all of them when there is none."""
    values = list(counts.values())
    common = max(values, key=values.count)
    if values.count(common) == 1:
        return tuple(counts)
    return tuple(name for name, n in counts.items() if n != common)


def _columns(tensors: dict[str, dict[str, Any]], rows: int) -> tuple[FloatArray, FloatArray, ObjectArray]:
    """The three columns; a refusal names the first bad input and carries every input that is bad."""
    parsed: dict[str, Any] = {}

    def parse(name: str) -> None:
        parsed[name] = _column(name, tensors[name], rows)

    try:
        _collect(parse)
    except TensorError as exc:  # the inputs that did parse may break the row rules as well
        broken = set(exc.fields) | {name for name, column in parsed.items() if _breaks_rules(name, column)}
        raise TensorError(str(exc), tuple(n for n in c.INPUT_NAMES if n in broken)) from None
    return parsed[c.AGE], parsed[c.SALARY], parsed[c.GENDER]


def _named_inputs(inputs: Any) -> dict[str, dict[str, Any]]:
    """The three input tensors by name: none missing, unknown or repeated."""
    if type(inputs) is not list or not inputs:
        raise TensorError(f"'inputs' must be a non-empty list of tensors ({EXPECTED_INPUTS}).")
    tensors: dict[str, dict[str, Any]] = {}
    for position, tensor in enumerate(inputs):
        if type(tensor) is not dict:
            raise TensorError(f"inputs[{position}] must be an object with name, datatype, shape and data.")
        name = tensor.get("name")
        if type(name) is not str or name not in INPUT_DATATYPES:
            raise TensorError(
                f"inputs[{position}] has an unknown or missing name; expected {EXPECTED_INPUTS}."
            )
        if name in tensors:
            raise TensorError(f"input '{name}' is given more than once.", (name,))
        tensors[name] = tensor
    missing = tuple(name for name in c.INPUT_NAMES if name not in tensors)
    if missing:
        raise TensorError(f"input '{missing[0]}' is missing; expected {EXPECTED_INPUTS}.", missing)
    return tensors


def _check_parameters(where: str, parameters: Any, fields: tuple[str, ...] = ()) -> None:
    """Refuse a non-object `parameters` and the extensions this server does not implement."""
    if parameters is None:
        return
    if type(parameters) is not dict:
        raise TensorError(f"{where}: 'parameters' must be a JSON object.", fields)
    for key in parameters:
        if key in UNSUPPORTED_PARAMETERS:
            message = f"{where}: {UNSUPPORTED_PARAMETERS[key]} is not supported; send JSON 'data'."
            raise TensorError(message, fields)


def _rows(name: str, tensor: dict[str, Any], max_rows: int) -> int:
    """Check an input's datatype, parameters and shape ([N, 1] or [N]) and return N, before any data."""
    expected, datatype = INPUT_DATATYPES[name], tensor.get("datatype")
    if datatype != expected:
        shown = (
            f"'{datatype}'"
            if type(datatype) is str and datatype in KNOWN_DATATYPES
            else "an unknown datatype"
        )
        raise TensorError(f"input '{name}' has {shown}; expected '{expected}'.", (name,))
    _check_parameters(f"input '{name}'", tensor.get("parameters"), (name,))
    shape = tensor.get("shape")
    if (
        type(shape) is not list
        or not 1 <= len(shape) <= 2
        or any(type(d) is not int for d in shape)
        or (len(shape) == 2 and shape[1] != 1)
    ):
        raise TensorError(f"input '{name}' must have shape [N, 1] or [N] with whole numbers.", (name,))
    if not 1 <= shape[0] <= max_rows:  # the batch's size, not this input: counted as "other"
        raise TensorError(f"input '{name}': N must be from 1 to {max_rows} rows.")
    rows: int = shape[0]
    return rows


def _elements(name: str, tensor: dict[str, Any], rows: int) -> list[Any]:
    """The N elements of an input in row order; `data` flat, or nested [[x], ...] for shape [N, 1]."""
    data, nested = tensor.get("data"), len(tensor["shape"]) == 2
    if type(data) is not list or len(data) != rows:
        raise TensorError(
            f"input '{name}': 'data' must be a list of {rows} elements, as its shape says.", (name,)
        )
    if nested and data and type(data[0]) is list:
        if any(type(item) is not list or len(item) != 1 for item in data):
            raise TensorError(f"input '{name}': nested 'data' must be {rows} lists of one element.", (name,))
        return [item[0] for item in data]
    return data


def _numbers(name: str, values: list[Any]) -> FloatArray:
    """FP64 elements as a float64 column: JSON numbers only, finite, fitting a float64."""
    column = np.empty(len(values), dtype=np.float64)
    for row, value in enumerate(values):
        kind = type(value)
        if kind is float:
            number = value
        elif kind is int:
            try:
                number = float(value)
            except OverflowError:
                raise TensorError(
                    f"row {row}: {name}: Must be a finite number that fits in a float64.", (name,)
                ) from None
        else:  # bool, str, None, lists and objects
            raise TensorError(
                f"row {row}: {name}: Must be a JSON number, not a string, boolean or other type.", (name,)
            )
        if not math.isfinite(number):
            raise TensorError(f"row {row}: " + MESSAGES["not_finite"].format(name=name), (name,))
        column[row] = number
    return column


def _strings(name: str, values: list[Any]) -> ObjectArray:
    """BYTES elements as an object column of str, each gender in the contract's spelling ("  mALe " is
    "Male"); a value that is not a gender stays as sent, for the row rules to refuse."""
    for row, value in enumerate(values):
        if type(value) is not str:
            raise TensorError(f"row {row}: {name}: Must be a string, {c.GENDER_RULE}.", (name,))
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return normalise_genders(column)[0]


def _requested_outputs(outputs: Any) -> tuple[str, ...]:
    """The outputs to answer, in request order; all of them when none are named."""
    if outputs is None or outputs == []:
        return tuple(OUTPUT_DATATYPES)
    if type(outputs) is not list:
        raise TensorError("'outputs' must be a list of {'name': ...} objects.")
    names: list[str] = []
    for position, output in enumerate(outputs):
        name = output.get("name") if type(output) is dict else None
        if type(name) is not str or name not in REQUESTABLE_DATATYPES:
            raise TensorError(f"outputs[{position}] must name one of {', '.join(REQUESTABLE_DATATYPES)}.")
        if name in names:
            raise TensorError(f"output '{name}' is requested more than once.")
        _check_parameters(f"output '{name}'", output.get("parameters"))
        names.append(name)
    return tuple(names)


def encode_response(
    request: InferRequest,
    request_id: str,
    model_name: str,
    model_version: str,
    probabilities: FloatArray,
    buys: list[bool],
    threshold: float,
    contributions: FloatArray | None = None,
) -> dict[str, Any]:
    """The infer answer: unrounded probabilities and decisions at the threshold, as requested, and the
    [N, 3] contributions (row-major, flat) when requested (the caller computes them then)."""
    rows = len(probabilities)
    data: dict[str, list[Any]] = {
        PROBABILITY: probabilities.tolist(),
        PREDICTION: [c.label(buy) for buy in buys],
    }
    shapes: dict[str, list[int]] = {PROBABILITY: [rows], PREDICTION: [rows]}
    if CONTRIBUTIONS in request.outputs:
        if contributions is None:
            raise ValueError("contributions were requested but not computed")
        data[CONTRIBUTIONS] = contributions.reshape(-1).tolist()
        shapes[CONTRIBUTIONS] = [rows, len(c.INPUT_NAMES)]
    return {
        "model_name": model_name,
        "model_version": model_version,
        "id": request.request_id if request.request_id is not None else request_id,
        "parameters": {"threshold": threshold},
        "outputs": [
            {"name": n, "datatype": REQUESTABLE_DATATYPES[n], "shape": shapes[n], "data": data[n]}
            for n in request.outputs
        ],
    }
