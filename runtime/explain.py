"""Exact interventional Shapley contributions of age, salary and gender to each probability (no Flask).

For a row x, the model f and the background (points b with weights w, carried by the model file:
runtime/background.py), the value of a coalition S of inputs is v(S) = Σ_b w_b · f(x_S, b_rest): the
inputs in S taken from x, the others from b. With three inputs there are 8 coalitions, all computed
(no sampling), and the contribution of input j is its Shapley value

    φ_j = [(v(j) − v(∅)) + (v(all) − v(k,l))] / 3 + [(v(j,k) − v(k)) + (v(j,l) − v(l))] / 6

where k, l are the two other inputs. `base` = v(∅) (the background's mean probability, one number per
model); `probabilities` = f(x), bit for bit what the predictor answers. Every v(S), v(all) included,
is the same weighted sum, so v(S ∪ {j}) and v(S) are the same bits when f ignores j, and all three
contributions come from the formula, none as a remainder: an input the model ignores gets exactly 0.0
(dummy). Efficiency: Σ φ_j = v(all) − v(∅) up to rounding, and v(all) = Σ_b w_b f(x) is f(x) up to
rounding (Σ w_b = 1), so Σ φ_j = probability − base within a few ulps of 1 (values in [0, 1]): far
inside 1e-12, which tests/runtime/test_explain.py checks over 20,000 rows.

Every f is the predictor's own answer for the composite row (`Predictor.probabilities`: the lookup table
where it covers the row, else onnxruntime), and each v(S) adds w_b · f in the background's order, one
point after another, so the bits of a row do not depend on its batch or on the path:
- the generic path scores every row × coalition × background point in one predictor call per chunk;
- with a lookup table (the committed forest), each v(S) depends only on the row's table cells, so it
  is computed once per cell at build time (the same sums over the same table entries) and a row then
  costs eight reads. tests prove both paths give the same bits.

API (every path: HTTP, V2, batch CLI, Spark):
    explainer = Explainer.of(predictor)        # cached per predictor; ExplanationUnavailable without
                                               # a background (a model file from before explanations)
    result = explainer.explain(ages, salaries, genders)   # 1-D arrays or lists, contract genders
    result.base                                # float, v(∅)
    result.contributions                       # float64 [N, 3], columns in contract.INPUT_NAMES order
    result.probabilities                       # float64 [N], = Predictor.probabilities bits
    result.document(i)                         # {"base": …, "contributions": {"age", "salary", "gender"}}
    background_document(predictor.metadata)    # /model's `explanation_background`, or None
Rows must be valid (the callers' validation runs first), as for the predictor.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, ClassVar, Final, TypedDict

import numpy as np
import numpy.typing as npt

from runtime.background import Background, BackgroundDocument
from runtime.errors import ExplanationUnavailable
from runtime.forest_table import ForestTable
from runtime.model import ModelMetadata
from runtime.predictor import Predictor

FloatArray = npt.NDArray[np.float64]
ObjectArray = npt.NDArray[np.object_]
IndexArray = npt.NDArray[np.intp]

AGE_BIT: Final = 1  # coalition masks: bit 0 age, bit 1 salary, bit 2 gender (contract.INPUT_NAMES order)
SALARY_BIT: Final = 2
GENDER_BIT: Final = 4
FULL: Final = 7
INPUT_BITS: Final = (AGE_BIT, SALARY_BIT, GENDER_BIT)
PARTIAL: Final = (1, 2, 3, 4, 5, 6)  # the coalitions that mix the row with the background
CHUNK_ROWS: Final = 1 << 20  # composite rows per predictor call on the generic path
MAX_PRECOMPUTED: Final = 1 << 24  # background points × table cells above which no per-cell values


class ContributionsDocument(TypedDict):
    """One row's contributions by input name."""

    age: float
    salary: float
    gender: float


class ExplanationDocument(TypedDict):
    """One row's explanation as the API publishes it."""

    base: float
    contributions: ContributionsDocument


@dataclass(frozen=True)
class Explanation:
    """Exact Shapley contributions for N rows: Σ contributions[i] = probabilities[i] − base."""

    base: float
    contributions: FloatArray  # [N, 3], columns age, salary, gender
    probabilities: FloatArray  # [N]

    def document(self, row: int) -> ExplanationDocument:
        """One row's explanation as a JSON-ready document."""
        age, salary, gender = self.contributions[row].tolist()
        return {"base": self.base, "contributions": {"age": age, "salary": salary, "gender": gender}}


def background_document(metadata: ModelMetadata) -> BackgroundDocument | None:
    """The model's published background (/model's `explanation_background`), or None when it has none."""
    background = metadata.explanation_background
    return None if background is None else background.document()


def weighted_sum(weights: FloatArray, values: FloatArray) -> FloatArray:
    """Σ_b weights[b] · values[b] over the first axis, added in the background's order (same bits for
    an element whatever the shape of the rest)."""
    total = weights[0] * values[0]
    for b in range(1, len(weights)):
        total = total + weights[b] * values[b]
    return np.asarray(total, dtype=np.float64)


def shapley(values: FloatArray) -> FloatArray:
    """[N, 3] Shapley values from [N, 8] coalition values (column = coalition mask)."""
    out = np.empty((len(values), len(INPUT_BITS)), dtype=np.float64)
    v0, full = values[:, 0], values[:, FULL]
    for column, bit in enumerate(INPUT_BITS):
        one, two = (other for other in INPUT_BITS if other != bit)
        first = (values[:, bit] - v0) + (full - values[:, one | two])
        middle = (values[:, bit | one] - values[:, one]) + (values[:, bit | two] - values[:, two])
        out[:, column] = first / 3.0 + middle / 6.0
    return out


class Explainer:
    """The exact explainer of one predictor and its model's background."""

    _cache: ClassVar[weakref.WeakKeyDictionary[Predictor, Explainer]] = weakref.WeakKeyDictionary()

    def __init__(self, predictor: Predictor, background: Background) -> None:
        self.predictor = predictor
        self.background = background
        self.weights = background.weights
        self.base = float(
            weighted_sum(self.weights, self._score(background.age, background.salary, background.gender))
        )
        table = predictor.table
        fits = table is not None and len(background) * table.grid.cells <= MAX_PRECOMPUTED
        self.cells = CellValues.build(table, background) if table is not None and fits else None

    @classmethod
    def of(cls, predictor: Predictor) -> Explainer:
        """The predictor's explainer, built once; ExplanationUnavailable when its model has no background."""
        found = cls._cache.get(predictor)
        if found is None:
            background = predictor.metadata.explanation_background
            if background is None:
                raise ExplanationUnavailable(
                    f"model {predictor.model_version} carries no explanation background (it was exported "
                    "before explanations existed); re-export it with `make export` to explain its answers"
                )
            found = cls._cache.setdefault(predictor, cls(predictor, background))
        return found

    def explain(self, ages: Any, salaries: Any, genders: Any) -> Explanation:
        """Exact contributions of age, salary and gender for each row, with the base and the probabilities."""
        age = np.asarray(ages, dtype=np.float64).reshape(-1)
        salary = np.asarray(salaries, dtype=np.float64).reshape(-1)
        gender = np.asarray(genders, dtype=object).reshape(-1)
        probabilities = np.empty(len(age), dtype=np.float64)
        values = self.coalition_values(age, salary, gender, probabilities)
        return Explanation(self.base, shapley(values), probabilities)

    def coalition_values(
        self, age: FloatArray, salary: FloatArray, gender: ObjectArray, probabilities: FloatArray
    ) -> FloatArray:
        """v(S) of every row and coalition, [N, 8] (column = mask); fills `probabilities` with f(x)."""
        values = np.empty((len(age), 8), dtype=np.float64)
        values[:, 0] = self.base
        table = self.predictor.table
        if self.cells is None or table is None:
            values[:, 1:], probabilities[:] = self._scored(age, salary, gender)
            return values
        codes, ages, salaries, covered = table.cells(age, salary, gender)
        values[covered, 1:] = self.cells.read(codes, ages, salaries)
        probabilities[covered] = table.values[codes, ages, salaries]
        if not covered.all():
            rest = ~covered
            values[rest, 1:], probabilities[rest] = self._scored(age[rest], salary[rest], gender[rest])
        return values

    def _scored(
        self, age: FloatArray, salary: FloatArray, gender: ObjectArray
    ) -> tuple[FloatArray, FloatArray]:
        """[N, 7] coalition values 1..7 and the [N] probabilities, scoring every composite row with the
        predictor, in chunks."""
        out = np.empty((len(age), 7), dtype=np.float64)
        probabilities = np.empty(len(age), dtype=np.float64)
        step = max(1, CHUNK_ROWS // (len(PARTIAL) * len(self.background)))
        for start in range(0, len(age), step):
            part = slice(start, start + step)
            out[part], probabilities[part] = self._scored_chunk(age[part], salary[part], gender[part])
        return out, probabilities

    def _scored_chunk(
        self, age: FloatArray, salary: FloatArray, gender: ObjectArray
    ) -> tuple[FloatArray, FloatArray]:
        """One predictor call over rows × partial coalitions × background points, plus the rows."""
        bg = self.background
        rows, points = len(age), len(bg)
        columns: list[list[Any]] = [[], [], []]
        for mask in PARTIAL:  # composite rows, [B, N] per coalition: the row's inputs in S, b's elsewhere
            for column, (mine, theirs, bit) in enumerate(
                ((age, bg.age, AGE_BIT), (salary, bg.salary, SALARY_BIT), (gender, bg.gender, GENDER_BIT))
            ):
                block = np.broadcast_to(mine if mask & bit else theirs[:, None], (points, rows))
                columns[column].append(block.ravel())
        scored = self._score(
            np.concatenate([*columns[0], age]),
            np.concatenate([*columns[1], salary]),
            np.concatenate([*columns[2], gender]),
        )
        out = np.empty((rows, 7), dtype=np.float64)
        blocks = scored[: len(scored) - rows].reshape(len(PARTIAL), points, rows)
        for index, mask in enumerate(PARTIAL):
            out[:, mask - 1] = weighted_sum(self.weights, blocks[index])
        probabilities = scored[len(scored) - rows :]
        out[:, FULL - 1] = weighted_sum(self.weights, np.broadcast_to(probabilities, (points, rows)))
        return out, probabilities

    def _score(self, age: FloatArray, salary: FloatArray, gender: ObjectArray) -> FloatArray:
        """The predictor's probabilities: the table where it covers a row, else onnxruntime."""
        return self.predictor.probabilities(age, salary, gender)


@dataclass(frozen=True)
class CellValues:
    """v(S) of every partial coalition for every table cell: the same weighted sums over the same table
    entries the generic path would score, computed once per model."""

    age: FloatArray  # [A]: v({age})
    salary: FloatArray  # [S]: v({salary})
    gender: FloatArray  # [G]: v({gender})
    age_salary: FloatArray  # [A, S]
    age_gender: FloatArray  # [G, A]
    salary_gender: FloatArray  # [G, S]
    full: FloatArray  # [G, A, S]: Σ_b w_b f(x), f(x) up to rounding

    @classmethod
    def build(cls, table: ForestTable, background: Background) -> CellValues:
        """Sum the table entries of every cell against the background points' cells."""
        g, a, s, covered = table.cells(background.age, background.salary, background.gender)
        if not covered.all():
            raise ValueError("background points outside the lookup table")  # parse_background prevents it
        t, w = table.values, background.weights
        genders, ages, salaries = (np.arange(n) for n in t.shape)
        return cls(
            age=weighted_sum(w, t[g[:, None], ages[None, :], s[:, None]]),
            salary=weighted_sum(w, t[g[:, None], a[:, None], salaries[None, :]]),
            gender=weighted_sum(w, t[genders[None, :], a[:, None], s[:, None]]),
            age_salary=weighted_sum(w, t[g]),
            age_gender=weighted_sum(w, np.moveaxis(t[:, :, s], 2, 0)),
            salary_gender=weighted_sum(w, np.moveaxis(t[:, a, :], 1, 0)),
            full=weighted_sum(w, np.broadcast_to(t, (len(w), *t.shape))),
        )

    def read(self, g: IndexArray, a: IndexArray, s: IndexArray) -> FloatArray:
        """[N, 7] coalition values 1..7 of rows given their table cells."""
        out = np.empty((len(g), 7), dtype=np.float64)
        for mask, column in (
            (AGE_BIT, self.age[a]),
            (SALARY_BIT, self.salary[s]),
            (AGE_BIT | SALARY_BIT, self.age_salary[a, s]),
            (GENDER_BIT, self.gender[g]),
            (AGE_BIT | GENDER_BIT, self.age_gender[g, a]),
            (SALARY_BIT | GENDER_BIT, self.salary_gender[g, s]),
            (FULL, self.full[g, a, s]),
        ):
            out[:, mask - 1] = column
        return out
