"""The explanation background a model file carries (`explanation_background`): parsed, checked, published.

Training builds it from the training split (training/explanation_background.py): points that each stand
for at least `contract.BACKGROUND_MIN_ROWS` training rows of one gender (the mean age and salary of a
k-anonymous cell), with the cell's row count. The runtime refuses a file whose background breaks the
rules below, naming the problem; a file without one still loads and serves, and only explanations are
refused (runtime/explain.py). docs/model/explanations.md describes the document.

Stored form (JSON): {"version": 1, "method": "...", "min_rows": k, "rows": n,
"points": [{"age": a, "salary": s, "gender": g}, ...], "counts": [n_1, ...]}. Published form
(`Background.document`, /model's `explanation_background`): {"points": [...], "weights": [...]}, the
weights being count / Σ counts as the runtime computes them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt

from runtime import contract as c
from runtime.errors import ModelError

FloatArray = npt.NDArray[np.float64]
ObjectArray = npt.NDArray[np.object_]
WEIGHT_SUM_TOLERANCE = 1e-12
MAX_COUNT = 2**53  # counts stay exact as float64


class BackgroundPoint(TypedDict):
    """One background point as published: a cell's mean age and salary, and its gender."""

    age: float
    salary: float
    gender: str


class BackgroundDocument(TypedDict):
    """The background as /model publishes it: enough to recompute any contribution."""

    points: list[BackgroundPoint]
    weights: list[float]


@dataclass(frozen=True)
class Background:
    """The weighted background points as columns, in the file's order."""

    age: FloatArray
    salary: FloatArray
    gender: ObjectArray
    counts: npt.NDArray[np.int64]
    weights: FloatArray  # counts / Σ counts, summing to 1

    def __len__(self) -> int:
        return len(self.weights)

    def document(self) -> BackgroundDocument:
        """The published form: points and their weights."""
        points: list[BackgroundPoint] = [
            {"age": a, "salary": s, "gender": str(g)}
            for a, s, g in zip(self.age.tolist(), self.salary.tolist(), self.gender.tolist(), strict=True)
        ]
        return {"points": points, "weights": self.weights.tolist()}


def _problem(document: Any) -> str | None:
    """What breaks the stored form's rules, as a phrase; None when it is usable."""
    if not isinstance(document, dict):
        return "must be a JSON object"
    points, counts = document.get("points"), document.get("counts")
    if not isinstance(points, list) or not isinstance(counts, list):
        return "needs lists 'points' and 'counts'"
    if not 1 <= len(points) <= c.BACKGROUND_MAX_POINTS:
        return f"must have 1 to {c.BACKGROUND_MAX_POINTS} points, has {len(points)}"
    if len(counts) != len(points):
        return f"has {len(points)} points but {len(counts)} counts"
    for index, point in enumerate(points):
        problem = _point_problem(point)
        if problem is not None:
            return f"point {index} {problem}"
    for index, count in enumerate(counts):
        whole = isinstance(count, int) and not isinstance(count, bool)
        if not whole or not c.BACKGROUND_MIN_ROWS <= count <= MAX_COUNT:
            return (
                f"count {index} must be a whole number of at least {c.BACKGROUND_MIN_ROWS} training rows "
                f"(k-anonymity), got {c.shown(count)}"
            )
    return None


def _point_problem(point: Any) -> str | None:
    """What is wrong with one stored point, or None."""
    if not isinstance(point, dict):
        return "must be an object with age, salary and gender"
    for name in c.NUMERIC_INPUTS:
        value = point.get(name)
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            return f"needs a finite number {name}"
        if not c.in_domain(name, float(value)):
            return f"{name} must be {c.RANGE_RULES[name]}"
    if point.get(c.GENDER) not in c.GENDERS:
        return f"gender must be one of {', '.join(c.GENDERS)}"
    return None


def parse_background(text: str, path: Path) -> Background:
    """The background stored in a model's metadata, or ModelError naming what is wrong with it."""
    where = f"model {path} metadata {c.META_EXPLANATION_BACKGROUND}"
    try:
        document = json.loads(text)
    except ValueError:
        raise ModelError(f"{where} is not valid JSON") from None
    problem = _problem(document)
    if problem is not None:
        raise ModelError(f"{where} {problem}")
    points, counts = document["points"], np.array(document["counts"], dtype=np.int64)
    weights = counts / counts.sum(dtype=np.float64)
    if not (np.isfinite(weights).all() and abs(math.fsum(weights.tolist()) - 1.0) <= WEIGHT_SUM_TOLERANCE):
        raise ModelError(f"{where} counts do not give weights summing to 1")
    return Background(
        age=np.array([float(p[c.AGE]) for p in points], dtype=np.float64),
        salary=np.array([float(p[c.SALARY]) for p in points], dtype=np.float64),
        gender=np.array([p[c.GENDER] for p in points], dtype=object),
        counts=counts,
        weights=weights,
    )
