"""The engine-neutral scorer: an Arrow batch of customers in, an Arrow batch of answers out.

The CLI, the Spark job and any other engine call `Scorer.score`; the probabilities come from
`runtime.predictor.Predictor`, which pads every onnxruntime call to an even length, so a row gets the
same bits whatever batch or engine it is scored in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from runtime import contract as c
from runtime.errors import ModelError
from runtime.explain import Explainer
from runtime.model import read_model_bytes
from runtime.predictor import Predictor
from scoring.values import Rows, prepare

PROBABILITY, PREDICTION, WARNINGS, ERROR, MODEL_VERSION = (
    "probability",
    "prediction",
    "warnings",
    "error",
    "model_version",
)
ROW_NUMBER = "row_number"  # the id added when the input has none (0-based input order)
WARNING_SEPARATOR = "; "
RESULT_FIELDS = [
    pa.field(PROBABILITY, pa.float64()),
    pa.field(PREDICTION, pa.string()),
    pa.field(WARNINGS, pa.string()),
    pa.field(ERROR, pa.string()),
    pa.field(MODEL_VERSION, pa.string()),
]

# --explain: each input's exact Shapley contribution (runtime/explain.py), in the contract's input order
CONTRIBUTION_FIELDS = [pa.field(f"contribution_{name}", pa.float64()) for name in c.INPUT_NAMES]


def output_schema(id_field: pa.Field | None, explain: bool = False) -> pa.Schema:
    """The output columns: the id (when there is one), the answers, then the contributions when asked."""
    extra = CONTRIBUTION_FIELDS if explain else []
    return pa.schema(([id_field] if id_field is not None else []) + RESULT_FIELDS + extra)


@dataclass(frozen=True)
class Tally:
    """What one scored batch contained."""

    rows: int
    scored: int
    invalid: int
    yes: int
    warned: int
    invalid_by_field: dict[str, int] = field(default_factory=dict)  # input -> rows it made invalid


class Scorer:
    """A self-tested predictor plus the output shape; one per process or Spark task."""

    def __init__(self, predictor: Predictor, model_sha256: str) -> None:
        self.predictor = predictor
        self.model_sha256 = model_sha256
        self.model_version = predictor.model_version
        self.threshold = predictor.threshold

    @classmethod
    def from_bytes(
        cls,
        data: bytes,
        path: Path,
        threshold: float | None = None,
        expected_version: str | None = None,
        max_bytes: int = c.DEFAULT_MAX_MODEL_BYTES,
    ) -> Scorer:
        """Open the model from its bytes, run the golden self-test, check the version; raises ModelError."""
        if threshold is not None and not c.valid_threshold(threshold):
            raise ValueError(f"threshold must be a number strictly between 0 and 1, got {threshold}")
        predictor = Predictor.from_path(path, threshold, model_bytes=data, max_bytes=max_bytes)
        if expected_version is not None and predictor.model_version != expected_version:
            raise ModelError(
                f"model {path} is version {predictor.model_version}, expected {expected_version}"
            )
        return cls(predictor, hashlib.sha256(data).hexdigest())

    @classmethod
    def from_path(
        cls, path: Path, threshold: float | None = None, max_bytes: int = c.DEFAULT_MAX_MODEL_BYTES
    ) -> Scorer:
        """Open a model file (at most `max_bytes` long) and self-test it; raises ModelError with a one-line
        reason."""
        return cls.from_bytes(read_model_bytes(path, max_bytes), path, threshold, max_bytes=max_bytes)

    def score(
        self,
        age: pa.Array,
        salary: pa.Array,
        gender: pa.Array,
        ids: pa.Array | None,
        id_field: pa.Field | None,
        observe: Callable[[Rows, npt.NDArray[np.float64]], None] | None = None,
        explain: bool = False,
    ) -> tuple[pa.RecordBatch, Tally]:
        """Score one batch; invalid rows stay, with a null probability and their error.

        `observe`, when given, sees the parsed rows and their probabilities (NaN where invalid). With
        `explain`, the batch also gets the contribution columns (null where invalid); the model must
        carry a background (runtime.errors.ExplanationUnavailable otherwise).
        """
        rows = prepare(age, salary, gender)
        valid = rows.valid
        n = len(valid)
        everything = bool(valid.all())  # the common case: no copies, no masks
        probability, contributions = self._probabilities(rows, explain, everything)
        outside = np.zeros(n, dtype=bool)
        warnings: list[str | None] = []
        if everything:
            outside = self.predictor.outside(rows.age, rows.salary)
        elif valid.any():
            where = np.flatnonzero(valid)
            outside[where] = self.predictor.outside(rows.age[where], rows.salary[where])
        if outside.any():
            warnings = [None] * n
            for i in np.flatnonzero(outside).tolist():
                warnings[i] = WARNING_SEPARATOR.join(
                    self.predictor.warnings_for(float(rows.age[i]), float(rows.salary[i]))
                )
        if observe is not None:
            observe(rows, probability)
        invalid = ~valid
        mask = None if everything else invalid
        with np.errstate(invalid="ignore"):
            yes = valid & (probability >= self.threshold)
        columns = [
            pa.array(probability, type=pa.float64(), mask=mask),
            pa.array([c.NO, c.YES], type=pa.string()).take(pa.array(yes.astype(np.int8), mask=mask)),
            pa.array(warnings, type=pa.string()) if warnings else pa.nulls(n, pa.string()),
            pa.nulls(n, pa.string()) if everything else pa.array(rows.errors, type=pa.string()),
            pa.repeat(pa.scalar(self.model_version, pa.string()), n),
        ]
        if contributions is not None:
            columns += [pa.array(contributions[:, j], type=pa.float64(), mask=mask) for j in range(3)]
        if id_field is not None and ids is not None:
            columns.insert(0, ids)
        batch = pa.RecordBatch.from_arrays(columns, schema=output_schema(id_field, explain))
        scored = int(valid.sum())
        tally = Tally(n, scored, n - scored, int(yes.sum()), int(outside.sum()), rows.invalid_by_field)
        return batch, tally

    def _probabilities(
        self, rows: Rows, explain: bool, everything: bool
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64] | None]:
        """P(buy) per row (NaN where invalid) and, with `explain`, the [N, 3] contributions (NaN where
        invalid); the explainer's probabilities are the predictor's bits, so each row is scored once.
        With `everything` valid, the rows go in as they are (no index, no copy)."""
        if everything:
            if not explain:
                return self.predictor.probabilities(rows.age, rows.salary, rows.gender, rows.codes), None
            explained = Explainer.of(self.predictor).explain(rows.age, rows.salary, rows.gender)
            return explained.probabilities, explained.contributions
        valid = rows.valid
        probability = np.full(len(valid), np.nan)
        contributions = np.full((len(valid), 3), np.nan) if explain else None
        if valid.any():
            where = np.flatnonzero(valid)
            a, s, g = rows.age[where], rows.salary[where], rows.gender[where]
            if contributions is None:
                codes = None if rows.codes is None else rows.codes[where]
                probability[where] = self.predictor.probabilities(a, s, g, codes)
            else:
                explanation = Explainer.of(self.predictor).explain(a, s, g)
                probability[where] = explanation.probabilities
                contributions[where] = explanation.contributions
        return probability, contributions
