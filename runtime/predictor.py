"""The predictor: onnxruntime with NumPy in and out, the threshold, the training-range warnings.

Same bits for a row whatever batch it is in: onnxruntime computes the calibrator's `Exp` on double pairs
(one SIMD packet) and the odd tail element with the scalar routine, which can differ in the last bit
(measured: 80 of 2,001 rows, |ΔP| = 1.1e-16). Every call is therefore padded to an even number of rows,
so each row always goes through the packet path. tests/runtime/test_same_bits.py proves it over many
batch sizes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from runtime import contract as c
from runtime.errors import ModelError
from runtime.forest_table import ForestTable
from runtime.model import LoadedModel, ModelMetadata, load_model, one_line_reason

logger = logging.getLogger(__name__)

OUTPUTS = [c.PROBABILITIES_OUTPUT]
FloatArray = npt.NDArray[np.float64]
ObjectArray = npt.NDArray[np.object_]
# Read-only [2, 1] gender inputs for one padded row, built once (onnxruntime never writes to its inputs).
_GENDER_PAIRS: dict[str, ObjectArray] = {g: np.array([[g], [g]], dtype=object) for g in c.GENDERS}


@dataclass(frozen=True, slots=True)
class Prediction:
    """One answer: the unrounded probability, the decision and any out-of-training-range warnings."""

    probability: float
    buy: bool
    warnings: list[str]


def _fmt(value: float) -> str:
    """Render a number compactly for a warning (75 rather than 75.0)."""
    return str(int(value)) if float(value).is_integer() else format(value, ".10g")


def _even(column: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """The column with its last row repeated when it has an odd number of rows."""
    return column if len(column) % 2 == 0 else np.concatenate([column, column[-1:]])


class Predictor:
    """Runs the ONNX session on NumPy arrays and applies the decision threshold."""

    def __init__(self, model: LoadedModel, threshold: float | None = None, table: bool = True) -> None:
        self.model = model
        self.metadata: ModelMetadata = model.metadata
        self.threshold = self.metadata.threshold if threshold is None else threshold
        self.model_version = self.metadata.model_version
        self.ready = False
        self._run = model.session.run
        self._age_range = self.metadata.training_ranges[c.AGE]
        self._salary_range = self.metadata.training_ranges[c.SALARY]
        self.table = ForestTable.build(model.grid, self.onnx_probabilities) if table and model.grid else None

    @classmethod
    def from_path(
        cls,
        path: Path,
        threshold: float | None = None,
        model_bytes: bytes | None = None,
        max_bytes: int = c.DEFAULT_MAX_MODEL_BYTES,
    ) -> Predictor:
        """Load a model (from its bytes when given, at most `max_bytes` long) and run its golden self-test;
        raises ModelError."""
        predictor = cls(load_model(path, model_bytes, max_bytes), threshold)
        predictor.self_test()
        return predictor

    def probabilities(
        self,
        age: FloatArray,
        salary: FloatArray,
        gender: ObjectArray,
        codes: npt.NDArray[np.integer[Any]] | None = None,
    ) -> FloatArray:
        """P(buy) for N rows given [N, 1] (or [N]) arrays, same bits in any batch: from the lookup table
        where it covers a row (runtime.forest_table), else from one onnxruntime call. `codes`, when given,
        are the genders' indices in contract.GENDERS (the table reads them instead of comparing strings)."""
        age = np.asarray(age, dtype=np.float64).reshape(-1)
        salary = np.asarray(salary, dtype=np.float64).reshape(-1)
        gender = np.asarray(gender, dtype=object).reshape(-1)
        if self.table is None:
            return self.onnx_probabilities(age, salary, gender)
        probabilities, covered = self.table.lookup(age, salary, gender, codes)
        if not covered.all():
            rest = ~covered
            probabilities[rest] = self.onnx_probabilities(age[rest], salary[rest], gender[rest])
        return probabilities

    def onnx_probabilities(self, age: FloatArray, salary: FloatArray, gender: ObjectArray) -> FloatArray:
        """P(buy) from onnxruntime alone, padded to an even number of rows (same bits in any batch)."""
        rows = len(age)
        feeds = {
            c.AGE: _even(np.asarray(age, dtype=np.float64).reshape(-1, 1)),
            c.SALARY: _even(np.asarray(salary, dtype=np.float64).reshape(-1, 1)),
            c.GENDER: _even(np.asarray(gender, dtype=object).reshape(-1, 1)),
        }
        (probs,) = self._run(OUTPUTS, feeds, None)
        return np.array(probs[:rows, 1], dtype=np.float64)

    def predict_one(self, age: float, salary: float, gender: str) -> Prediction:
        """One customer: a table read when the table covers it, else onnxruntime on a padded pair of rows."""
        probability = None if self.table is None else self.table.one(age, salary, gender)
        if probability is None:
            probability = self._onnx_one(age, salary, gender)
        warnings = [] if self._inside(age, salary) else self.warnings_for(age, salary)
        return Prediction(probability, c.decide(probability, self.threshold), warnings)

    def _onnx_one(self, age: float, salary: float, gender: str) -> float:
        """One row's probability from onnxruntime: a padded pair of rows, a prebuilt gender pair."""
        pair = _GENDER_PAIRS.get(gender)
        if pair is None:
            pair = np.array([[gender], [gender]], dtype=object)
        (probs,) = self._run(
            OUTPUTS,
            {
                c.AGE: np.array([[age], [age]], dtype=np.float64),
                c.SALARY: np.array([[salary], [salary]], dtype=np.float64),
                c.GENDER: pair,
            },
            None,
        )
        return float(probs.item(1))  # row 0, column 1 as a Python float

    def predict_many(self, ages: list[float], salaries: list[float], genders: list[str]) -> list[Prediction]:
        """Predict a batch, in order, with one onnxruntime call."""
        probabilities, buys, warnings = self.predict_columns(ages, salaries, genders)
        return [Prediction(*row) for row in zip(probabilities.tolist(), buys, warnings, strict=True)]

    def predict_columns(
        self, ages: Any, salaries: Any, genders: Any
    ) -> tuple[FloatArray, list[bool], list[list[str]]]:
        """A batch as columns (probabilities, decisions, warnings) from lists or 1-D arrays."""
        age = np.asarray(ages, dtype=np.float64).reshape(-1)
        salary = np.asarray(salaries, dtype=np.float64).reshape(-1)
        probabilities = self.probabilities(age, salary, np.asarray(genders, dtype=object))
        buys: list[bool] = (probabilities >= self.threshold).tolist()
        return probabilities, buys, self.warnings_column(age, salary)

    def warnings_column(self, age: FloatArray, salary: FloatArray) -> list[list[str]]:
        """Per row, the out-of-training-range warnings (mostly empty lists)."""
        warnings: list[list[str]] = [[] for _ in range(len(age))]
        for i in np.flatnonzero(self.outside(age, salary)).tolist():
            warnings[i] = self.warnings_for(float(age[i]), float(salary[i]))
        return warnings

    def _inside(self, age: float, salary: float) -> bool:
        """Whether both values lie within the training ranges (the common case: no warnings)."""
        (a_lo, a_hi), (s_lo, s_hi) = self._age_range, self._salary_range
        return a_lo <= age <= a_hi and s_lo <= salary <= s_hi

    def outside(self, age: FloatArray, salary: FloatArray) -> npt.NDArray[np.bool_]:
        """Which rows have any value outside the training ranges."""
        (a_lo, a_hi), (s_lo, s_hi) = self._age_range, self._salary_range
        return (age < a_lo) | (age > a_hi) | (salary < s_lo) | (salary > s_hi)

    def warnings_for(self, age: float, salary: float) -> list[str]:
        """Human-readable notes for values outside what the model saw in training."""
        warnings: list[str] = []
        for name, value, (low, high) in (
            (c.AGE, age, self._age_range),
            (c.SALARY, salary, self._salary_range),
        ):
            if value < low or value > high:
                warnings.append(
                    f"{name} {_fmt(value)} is outside the training range {_fmt(low)}–{_fmt(high)}"
                )
        return warnings

    def self_test(self) -> None:
        """Reproduce the golden examples within the contract's tolerance, or raise ModelError."""
        golden = self.metadata.golden_examples
        age = np.array([float(g[c.AGE]) for g in golden], dtype=np.float64)
        salary = np.array([float(g[c.SALARY]) for g in golden], dtype=np.float64)
        gender = np.array([g[c.GENDER] for g in golden], dtype=object)
        try:
            got = self.probabilities(age, salary, gender)
        except Exception as exc:  # a model that cannot run its own examples is unusable
            reason = one_line_reason(exc)
            raise ModelError(f"model {self.model.path} failed to run its golden examples: {reason}") from None
        expected = np.array([float(g["probability"]) for g in golden], dtype=np.float64)
        errors = np.abs(got - expected)
        if not np.all(errors <= c.GOLDEN_TOLERANCE):
            worst = int(np.argmax(errors))
            raise ModelError(
                f"model {self.model.path} does not reproduce its golden examples: example {worst} differs "
                f"by {errors[worst]:.3g} (tolerance {c.GOLDEN_TOLERANCE:g})"
            )
        self.ready = True
        logger.info("self-test passed", extra={"golden_examples": len(golden)})
