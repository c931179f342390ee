"""The predictor layer: onnxruntime with NumPy in and out, no Flask. Knows the threshold and the ranges."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from service.errors import StartupError
from service.model import LoadedModel, ModelMetadata, load_model, runner

logger = logging.getLogger(__name__)

GOLDEN_TOLERANCE = 1e-6
OUTPUTS = ["probabilities"]
# Read-only [1, 1] gender inputs, built once (onnxruntime copies its inputs and never writes to them).
GENDER_ROWS: dict[str, npt.NDArray[np.object_]] = {
    g: np.array([[g]], dtype=object) for g in ("Female", "Male")
}
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Prediction:
    """One answer: the unrounded probability, the decision and any out-of-training-range warnings."""

    probability: float
    buy: bool
    warnings: list[str]


def _fmt(value: float) -> str:
    """Render a number compactly for a warning (75 rather than 75.0)."""
    return str(int(value)) if float(value).is_integer() else format(value, ".10g")


class Predictor:
    """Runs the ONNX session on NumPy arrays and applies the decision threshold."""

    def __init__(self, model: LoadedModel, threshold: float | None = None) -> None:
        self.model = model
        self.metadata: ModelMetadata = model.metadata
        self.threshold = self.metadata.threshold if threshold is None else threshold
        self.model_version = self.metadata.model_version
        self.ready = False
        self._run: Callable[..., list[Any]] = runner(model.session)  # tests wrap it to count calls
        self._age_range = self.metadata.training_ranges["age"]
        self._salary_range = self.metadata.training_ranges["salary"]

    @classmethod
    def from_path(cls, path: Path, threshold: float | None = None) -> Predictor:
        """Load a model file and run its golden self-test; raises StartupError on any failure."""
        predictor = cls(load_model(path), threshold)
        predictor.self_test()
        return predictor

    def probabilities(
        self, age: FloatArray, salary: FloatArray, gender: npt.NDArray[np.object_]
    ) -> FloatArray:
        """P(buy) for N rows given [N, 1] arrays, in one onnxruntime call."""
        (probs,) = self._run(OUTPUTS, {"age": age, "salary": salary, "gender": gender}, None)
        return np.asarray(probs[:, 1], dtype=np.float64)

    def predict_one(self, age: float, salary: float, gender: str) -> Prediction:
        """Predict a single customer: two [1, 1] arrays, a prebuilt gender row, one plain float out."""
        gender_row = GENDER_ROWS.get(gender)
        if gender_row is None:
            gender_row = np.array([[gender]], dtype=object)
        (probs,) = self._run(
            OUTPUTS,
            {"age": np.array([[age]], dtype=np.float64), "salary": np.array([[salary]], dtype=np.float64),
             "gender": gender_row},
            None,
        )  # fmt: skip
        probability = probs.item(1)  # row 0, column 1 as a Python float
        warnings = [] if self._inside(age, salary) else self.warnings_for(age, salary)
        return Prediction(probability, probability >= self.threshold, warnings)

    def predict_many(self, ages: list[float], salaries: list[float], genders: list[str]) -> list[Prediction]:
        """Predict a batch, in order, with one onnxruntime call."""
        probabilities, buys, warnings = self.predict_columns(ages, salaries, genders)
        return [Prediction(*row) for row in zip(probabilities.tolist(), buys, warnings, strict=True)]

    def predict_columns(
        self, ages: list[float], salaries: list[float], genders: list[str]
    ) -> tuple[FloatArray, list[bool], list[list[str]]]:
        """A batch as columns (probabilities, decisions, warnings), with one onnxruntime call and no
        per-row objects beyond the warning lists."""
        age = np.array(ages, dtype=np.float64).reshape(-1, 1)
        salary = np.array(salaries, dtype=np.float64).reshape(-1, 1)
        gender = np.array(genders, dtype=object).reshape(-1, 1)
        probabilities = self.probabilities(age, salary, gender)
        buys: list[bool] = (probabilities >= self.threshold).tolist()
        warnings: list[list[str]] = [[] for _ in ages]
        for i in np.flatnonzero(self._outside(age[:, 0], salary[:, 0])).tolist():
            warnings[i] = self.warnings_for(ages[i], salaries[i])
        return probabilities, buys, warnings

    def _inside(self, age: float, salary: float) -> bool:
        """Whether both values lie within the training ranges (the common case: no warnings)."""
        (a_lo, a_hi), (s_lo, s_hi) = self._age_range, self._salary_range
        return a_lo <= age <= a_hi and s_lo <= salary <= s_hi

    def _outside(self, age: FloatArray, salary: FloatArray) -> npt.NDArray[np.bool_]:
        """Which rows have any value outside the training ranges."""
        (a_lo, a_hi), (s_lo, s_hi) = self._age_range, self._salary_range
        return (age < a_lo) | (age > a_hi) | (salary < s_lo) | (salary > s_hi)

    def warnings_for(self, age: float, salary: float) -> list[str]:
        """Human-readable notes for values outside what the model saw in training."""
        warnings: list[str] = []
        for name, value, (low, high) in (
            ("age", age, self._age_range),
            ("salary", salary, self._salary_range),
        ):
            if value < low or value > high:
                warnings.append(
                    f"{name} {_fmt(value)} is outside the training range {_fmt(low)}–{_fmt(high)}"
                )
        return warnings

    def self_test(self) -> None:
        """Reproduce the golden examples from the metadata within 1e-6, or raise StartupError."""
        golden = self.metadata.golden_examples
        age = np.array([[float(g["age"])] for g in golden], dtype=np.float64)
        salary = np.array([[float(g["salary"])] for g in golden], dtype=np.float64)
        gender = np.array([[g["gender"]] for g in golden], dtype=object)
        try:
            got = self.probabilities(age, salary, gender)
        except Exception as exc:  # a model that cannot run its own examples is unusable
            raise StartupError(f"model {self.model.path} failed to run its golden examples: {exc}") from None
        expected = np.array([float(g["probability"]) for g in golden], dtype=np.float64)
        errors = np.abs(got - expected)
        if not np.all(errors <= GOLDEN_TOLERANCE):
            worst = int(np.argmax(errors))
            raise StartupError(
                f"model {self.model.path} does not reproduce its golden examples: example {worst} differs "
                f"by {errors[worst]:.3g} (tolerance {GOLDEN_TOLERANCE:g})"
            )
        self.ready = True
        logger.info("self-test passed", extra={"golden_examples": len(golden)})
