"""A tree ensemble compiled into an exact lookup table of onnxruntime's own answers.

When age and salary reach the model's output only through tree splits `x <= t` (the committed forest:
export folds the scaler into the thresholds), the probability is constant on every cell of the grid
that the split points draw, for each gender. Scoring one row per cell with onnxruntime at load time
(about 38,000 rows for the committed model, a fraction of a second) gives a table whose entries are
onnxruntime's bits; a row then costs two bucket reads (`Buckets`: a uniform grid over the split points,
then a few exact comparisons, the same cell as a binary search) and one read instead of a walk through every
tree, and the read touches a few cache lines where onnxruntime touches the whole forest. Rows the
table does not cover (an unknown gender, a value outside the contract's domain, NaN) still go through
onnxruntime, so every answer is the one onnxruntime gives; the table is checked against onnxruntime at
build time (every split point and its neighbours) and dropped, with a log line, if any bit differs.
Models of any other shape (logistic regression, k-NN, a scaler in front of the trees) get no table.
Measured: docs/performance/devices.md (`lookup_table`).
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from runtime import contract as c

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
Scorer = Callable[[FloatArray, FloatArray, npt.NDArray[np.object_]], FloatArray]
CONCATS = frozenset({("", "Concat"), ("ai.onnx", "Concat")})
TREE_OPS = frozenset({"TreeEnsemble"})  # ai.onnx.ml v5: thresholds in `nodes_splits`, modes as a tensor
SPLIT_MODES = frozenset({0, 3})  # BRANCH_LEQ and BRANCH_GT draw the same cells (x <= t or not)
MAX_CELLS = 2_000_000  # a grid larger than this is not worth building at load time
CHECK_ROWS = 4_096  # random rows compared with onnxruntime on top of every split point's neighbours
BUCKETS = 1 << 14  # uniform buckets over each input's split points (Buckets)
STEPS = 3  # comparisons after the bucket read; rows of a bucket holding more points take a binary search
IntArray = npt.NDArray[np.intp]
Codes = npt.NDArray[np.integer[Any]]  # genders as indices in contract.GENDERS, -1 for none
BoolArray = npt.NDArray[np.bool_]


class Buckets:
    """`np.searchsorted(points, x, side="left")` for x other than NaN, without a binary search.

    x goes to bucket b = clip((x - lo) * scale, 0, B) truncated; every step of that is monotone in x
    (correctly rounded subtraction and product, clip, truncation), so a point in an earlier bucket is
    below x and a point in a later one above it. `first[b]` counts the points of earlier buckets; then
    one comparison per point of x's own bucket (at most STEPS, else a binary search for that row) adds
    those below x. Exact for every float, split points and their neighbours included; NaN is the
    caller's to keep out (ForestTable only looks up covered rows)."""

    def __init__(self, points: FloatArray, buckets: int = BUCKETS) -> None:
        self.points = points
        self.lo = float(points[0]) if len(points) else 0.0
        span = float(points[-1]) - self.lo if len(points) else 0.0
        scale = buckets / span if span > 0 else 0.0
        self.scale = scale if np.isfinite(scale) else 0.0  # a span too narrow for floats: one bucket
        self.buckets = buckets
        bucket_of = self._bucket(points)
        counts = np.bincount(bucket_of, minlength=buckets + 1)
        self.first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp)
        self.steps = int(min(int(counts.max(initial=0)), STEPS))
        self.crowded: BoolArray | None = counts > self.steps if (counts > self.steps).any() else None
        self._padded = np.append(points, np.inf)  # the comparison past the last point is always False

    def _bucket(self, x: FloatArray) -> IntArray:
        """Each value's bucket, 0 … B (±inf: the first and the last)."""
        if self.scale == 0.0:  # at most one point: one bucket
            return np.zeros(len(x), dtype=np.intp)
        t = np.subtract(x, self.lo)
        t *= self.scale
        np.clip(t, 0.0, float(self.buckets), out=t)
        return t.astype(np.intp)

    def index(self, x: FloatArray) -> IntArray:
        """How many points are strictly below each x, NaN excepted (searchsorted's `left` index)."""
        bucket = self._bucket(x)
        found = self.first.take(bucket)
        for _ in range(self.steps):
            found += self._padded.take(found) < x
        if self.crowded is not None:
            rows = np.flatnonzero(self.crowded.take(bucket))
            if len(rows):
                found[rows] = np.searchsorted(self.points, x[rows], side="left")
        return found


@dataclass(frozen=True)
class Grid:
    """The split points of the numeric inputs inside the contract's domain, sorted and unique."""

    age: FloatArray
    salary: FloatArray

    @property
    def cells(self) -> int:
        """How many rows the table needs: one per gender and per cell."""
        return len(c.GENDERS) * (len(self.age) + 1) * (len(self.salary) + 1)


def _bounds(name: str) -> tuple[float, float]:
    """The closed interval the table covers for one numeric input: the contract's domain."""
    low, high = c.DOMAIN[name]
    return float(low), float(high)


def grid_of(model_bytes: bytes) -> Grid | None:
    """The grid of a model whose numeric inputs only feed tree splits, or None for any other model."""
    import onnx  # only here: parsing the graph is a load-time step

    graph = onnx.load_from_string(model_bytes).graph
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        if any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in node.attribute):
            return None  # a subgraph may read the inputs by name
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    outputs = {o.name for o in graph.output}
    trees: list[onnx.NodeProto] = []
    for name in c.NUMERIC_INPUTS:
        users = consumers.get(name, [])
        if name in outputs or len(users) != 1 or (users[0].domain, users[0].op_type) not in CONCATS:
            return None
        for concatenated in users[0].output:
            readers = consumers.get(concatenated, [])
            if concatenated in outputs or not readers or any(not _is_tree(r) for r in readers):
                return None
            trees.extend(readers)
    splits = _split_points(trees)
    if splits is None:
        return None
    age_low, age_high = _bounds(c.AGE)
    salary_low, salary_high = _bounds(c.SALARY)
    return Grid(
        age=splits[(splits >= age_low) & (splits <= age_high)],
        salary=splits[(splits >= salary_low) & (splits <= salary_high)],
    )


def _is_tree(node: Any) -> bool:
    """Whether the node is a tree ensemble the table understands."""
    return bool(node.domain == "ai.onnx.ml" and node.op_type in TREE_OPS)


def _split_points(trees: list[Any]) -> FloatArray | None:
    """Every split point of every feature of the trees, or None when a split is not `x <= t` / `x > t`.

    Taking all features' points for each input is a superset of its own, which only adds cells."""
    from onnx import numpy_helper

    points: list[FloatArray] = []
    for tree in trees:
        attributes = {a.name: a for a in tree.attribute}
        if "nodes_modes" not in attributes or "nodes_splits" not in attributes:
            return None
        modes = numpy_helper.to_array(attributes["nodes_modes"].t)
        if not set(np.unique(modes).tolist()) <= SPLIT_MODES:
            return None
        points.append(numpy_helper.to_array(attributes["nodes_splits"].t).astype(np.float64).ravel())
    return np.unique(np.concatenate(points))


def _representatives(points: FloatArray, high: float) -> FloatArray:
    """One value per cell: cell k < K holds (points[k-1], points[k]], so points[k] is in it; cell K is
    (points[K-1], high]."""
    return np.append(points, high)


class ForestTable:
    """onnxruntime's probability for every (gender, age cell, salary cell), and the lookups that read it."""

    def __init__(self, grid: Grid, values: FloatArray) -> None:
        self.grid = grid
        self.values = values  # [genders, age cells, salary cells]
        self._age_low, self._age_high = _bounds(c.AGE)
        self._salary_low, self._salary_high = _bounds(c.SALARY)
        self._gender_index = {g: i for i, g in enumerate(c.GENDERS)}
        self._age_points = grid.age.tolist()  # plain lists: bisect on them beats NumPy for one row
        self._salary_points = grid.salary.tolist()
        self._age_buckets, self._salary_buckets = Buckets(grid.age), Buckets(grid.salary)
        self._flat = values.reshape(-1)
        self._strides = (values.shape[1] * values.shape[2], values.shape[2])

    @classmethod
    def build(cls, grid: Grid, score: Scorer) -> ForestTable | None:
        """Score one row per cell with `score` (onnxruntime), then check the table against it."""
        if grid.cells > MAX_CELLS:
            logger.info("no lookup table: %d cells exceed %d", grid.cells, MAX_CELLS)
            return None
        ages = _representatives(grid.age, _bounds(c.AGE)[1])
        salaries = _representatives(grid.salary, _bounds(c.SALARY)[1])
        g, a, s = np.meshgrid(np.arange(len(c.GENDERS)), ages, salaries, indexing="ij")
        genders = np.array(c.GENDERS, dtype=object)[g.ravel()]
        values = score(a.ravel(), s.ravel(), genders).reshape(g.shape)
        table = cls(grid, values)
        mismatches = table.disagreements(score)
        if mismatches:
            logger.warning("no lookup table: %d check rows differ from onnxruntime", mismatches)
            return None
        logger.info("lookup table built", extra={"cells": grid.cells})
        return table

    def check_rows(self) -> tuple[FloatArray, FloatArray, npt.NDArray[np.object_]]:
        """Rows on and next to every split point and at the domain's edges, plus seeded random rows."""
        rng = np.random.default_rng(0)
        age_low, age_high = _bounds(c.AGE)
        salary_low, salary_high = _bounds(c.SALARY)

        def around(points: FloatArray, low: float, high: float) -> FloatArray:
            below, above = np.nextafter(points, -np.inf), np.nextafter(points, np.inf)
            near = np.concatenate([points, below, above, [low, high]])
            return near[(near >= low) & (near <= high)]

        ages = around(self.grid.age, age_low, age_high)
        salaries = around(self.grid.salary, salary_low, salary_high)
        age = np.concatenate([ages, rng.uniform(age_low, age_high, len(salaries) + CHECK_ROWS)])
        salary = np.concatenate(
            [
                rng.uniform(salary_low, salary_high, len(ages)),
                salaries,
                rng.uniform(salary_low, salary_high, CHECK_ROWS),
            ]
        )
        gender = np.array(c.GENDERS, dtype=object)[rng.integers(0, len(c.GENDERS), len(age))]
        return age, salary, gender

    def disagreements(self, score: Scorer) -> int:
        """How many check rows get different bits from the table and from `score`."""
        age, salary, gender = self.check_rows()
        got, covered = self.lookup(age, salary, gender)
        expected = score(age, salary, gender)
        differ = got[covered].view(np.int64) != expected[covered].view(np.int64)
        return int(np.count_nonzero(~covered) + np.count_nonzero(differ))

    def lookup(
        self,
        age: FloatArray,
        salary: FloatArray,
        gender: npt.NDArray[np.object_],
        codes: Codes | None = None,
    ) -> tuple[FloatArray, BoolArray]:
        """Probabilities of the rows the table covers, and which rows those are (the rest are 0.0).

        `codes`, when given, are the rows' indices in contract.GENDERS (-1: none), read instead of
        `gender`."""
        genders, ages, salaries, covered = self.cells(age, salary, gender, codes)
        flat = genders * self._strides[0]
        flat += ages * self._strides[1]
        flat += salaries
        found = self._flat.take(flat)
        if len(found) == len(age):  # every row covered: no mask, no copy
            return found, covered
        out = np.zeros(len(age), dtype=np.float64)
        out[covered] = found
        return out, covered

    def cells(
        self,
        age: FloatArray,
        salary: FloatArray,
        gender: npt.NDArray[np.object_],
        codes: Codes | None = None,
    ) -> tuple[IntArray, IntArray, IntArray, BoolArray]:
        """The table indices (gender, age cell, salary cell) of the covered rows, and which rows those are."""
        if codes is None:
            codes = np.full(len(age), -1, dtype=np.intp)
            for index, name in enumerate(c.GENDERS):
                codes[gender == name] = index
        elif len(codes) != len(age):
            raise ValueError(f"{len(codes)} gender codes for {len(age)} rows")
        covered = (
            (codes >= 0)
            & (age >= self._age_low)
            & (age <= self._age_high)
            & (salary >= self._salary_low)
            & (salary <= self._salary_high)
        )  # NaN fails every comparison, so it is never covered
        if not covered.all():
            codes, age, salary = codes[covered], age[covered], salary[covered]
        return (
            codes.astype(np.intp, copy=False),
            self._age_buckets.index(age),
            self._salary_buckets.index(salary),
            covered,
        )

    def one(self, age: float, salary: float, gender: str) -> float | None:
        """One row's probability in plain Python, or None when the table does not cover it."""
        index = self._gender_index.get(gender)
        if (
            index is None
            or not self._age_low <= age <= self._age_high
            or not self._salary_low <= salary <= self._salary_high
        ):
            return None
        return self.values.item(
            index, bisect_left(self._age_points, age), bisect_left(self._salary_points, salary)
        )
