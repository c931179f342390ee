"""A table of bad V2 infer bodies, each refused with 400 and a message naming the input (or row)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

Body = dict[str, Any]
SECRET_NUMBER = 987.654321  # submitted values that must never come back in an error message
SECRET_TEXT = "Xyzzy-Secret"


def good() -> Body:
    """A valid two-row body."""
    return {
        "inputs": [
            {"name": "age", "datatype": "FP64", "shape": [2, 1], "data": [45, 30]},
            {"name": "salary", "datatype": "FP64", "shape": [2, 1], "data": [90000, 20000]},
            {"name": "gender", "datatype": "BYTES", "shape": [2, 1], "data": ["Male", "Female"]},
        ]
    }


def change(index: int, **fields: Any) -> Callable[[], Body]:
    """A body whose input `index` has some fields replaced."""

    def build() -> Body:
        body = good()
        body["inputs"][index].update(copy.deepcopy(fields))
        return body

    return build


def top(**fields: Any) -> Callable[[], Body]:
    """A body with some top-level fields replaced."""

    def build() -> Body:
        body = good()
        body.update(copy.deepcopy(fields))
        return body

    return build


def drop(index: int) -> Body:
    """A body without input `index`."""
    body = good()
    del body["inputs"][index]
    return body


# id -> (body builder, substring the error must contain)
CASES: dict[str, tuple[Callable[[], Any], str]] = {
    "not an object": (lambda: [1, 2], "JSON object"),
    "no inputs": (lambda: {"id": "x"}, "inputs"),
    "inputs empty": (top(inputs=[]), "inputs"),
    "inputs not a list": (top(inputs={"age": 1}), "inputs"),
    "input not an object": (top(inputs=[1, 2, 3]), "inputs[0]"),
    "missing gender": (lambda: drop(2), "gender"),
    "missing age": (lambda: drop(0), "age"),
    "extra input": (
        lambda: {
            **good(),
            "inputs": [
                *good()["inputs"],
                {"name": SECRET_TEXT, "datatype": "FP64", "shape": [2, 1], "data": [1, 2]},
            ],
        },
        "inputs[3]",
    ),
    "duplicate input": (lambda: {**good(), "inputs": [*good()["inputs"], good()["inputs"][0]]}, "age"),
    "input name not a string": (change(0, name=5), "inputs[0]"),
    "age FP32": (change(0, datatype="FP32"), "age"),
    "age BYTES": (change(0, datatype="BYTES"), "age"),
    "age INT64": (change(0, datatype="INT64"), "age"),
    "gender FP64": (change(2, datatype="FP64"), "gender"),
    "datatype unknown": (change(1, datatype=SECRET_TEXT), "salary"),
    "datatype missing": (change(1, datatype=None), "salary"),
    "shape says 2 rows, 1 datum": (change(0, data=[45]), "age"),
    "shape says 1 row, 2 data": (change(0, shape=[1, 1]), "age"),
    "shape [1,2]": (change(0, shape=[1, 2]), "age"),
    "shape [1,1,1]": (change(0, shape=[2, 1, 1]), "age"),
    "shape negative": (change(0, shape=[-1, 1]), "age"),
    "shape zero": (change(0, shape=[0, 1], data=[]), "age"),
    "shape float": (change(0, shape=[1.5, 1]), "age"),
    "shape bool": (change(0, shape=[True, 1]), "age"),
    "shape string": (change(0, shape="2,1"), "age"),
    "shape empty": (change(0, shape=[]), "age"),
    "shape over the batch limit": (change(0, shape=[10_001, 1]), "age"),
    "huge declared shape": (change(0, shape=[2**40, 2**40]), "age"),
    "huge declared rows": (change(2, shape=[2**62, 1]), "gender"),
    "rows differ across inputs": (change(1, shape=[1, 1], data=[5]), "salary"),
    "nesting does not match": (change(0, data=[[45, 30]]), "age"),
    "nested wrong inner length": (change(0, data=[[45], [30, 1]]), "age"),
    "nested for a 1-D shape": (change(0, shape=[2], data=[[45], [30]]), "age"),
    "data not a list": (change(0, data=SECRET_NUMBER), "age"),
    "data missing": (change(0, data=None), "age"),
    "age NaN": (change(0, data=[45, float("nan")]), "row 1: age"),
    "age Infinity": (change(0, data=[float("inf"), 30]), "row 0: age"),
    "salary -Infinity": (change(1, data=[90000, float("-inf")]), "row 1: salary"),
    "age overflows a float64": (change(0, data=[45, 10**400]), "row 1: age"),
    "age zero": (change(0, data=[45, 0]), "row 1: age"),
    "age over 120": (change(0, data=[120.0000001, 30]), "row 0: age"),
    "salary negative": (change(1, data=[-SECRET_NUMBER, 1]), "row 0: salary"),
    "salary over a million": (change(1, data=[90000, 1_000_000.5]), "row 1: salary"),
    "age as string": (change(0, data=["45", 30]), "row 0: age"),
    "age as bool": (change(0, data=[45, True]), "row 1: age"),
    "age null": (change(0, data=[None, 30]), "row 0: age"),
    "unknown gender": (change(2, data=["Male", SECRET_TEXT]), "row 1: gender"),
    "gender initial": (change(2, data=["M", "Female"]), "row 0: gender"),
    "gender inner space": (change(2, data=["Male", "Fe male"]), "row 1: gender"),
    "gender empty": (change(2, data=["", "Female"]), "row 0: gender"),
    "gender with a NUL": (change(2, data=["Male\u0000", "Female"]), "row 0: gender"),
    "gender lone surrogate": (change(2, data=["\ud800", "Female"]), "row 0: gender"),
    "gender number": (change(2, data=[1, "Female"]), "row 0: gender"),
    "id not a string": (top(id=5), "id"),
    "parameters not an object": (top(parameters=[]), "parameters"),
    "input parameters not an object": (change(0, parameters=[1]), "age"),
    "binary input size": (change(0, parameters={"binary_data_size": 16}), "binary"),
    "shared memory input": (change(1, parameters={"shared_memory_region": "r"}), "salary"),
    "unknown output": (top(outputs=[{"name": "label"}]), "outputs[0]"),
    "duplicate output": (top(outputs=[{"name": "prediction"}, {"name": "prediction"}]), "prediction"),
    "outputs not a list": (top(outputs="probability"), "outputs"),
    "classification output": (
        top(outputs=[{"name": "probability", "parameters": {"classification": 2}}]),
        "classification",
    ),
}
