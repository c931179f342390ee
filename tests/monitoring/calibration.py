"""The drift alarm's calibration and power on seeded windows: the harness the acceptance tests assert on, and
the command that prints the figures of docs/monitoring.md (`make drift-calibration`, or
`PYTHONPATH=. .venv/bin/python -m tests.monitoring.calibration`).

Each trial draws a 320-row reference (the training split's size) and a window from training/generate.py's
recipe, builds the reference profile with the training code's `build_profile` (scores: the committed
model's), and evaluates the window. A fresh reference per trial is what "no drift" means: the committed
split itself is 42 % Female against the generator's 51 %, a real difference that the gender test rightly
reports on generator traffic (the last cell, against the committed profile).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

import numpy as np

from monitoring.evaluate import evaluate
from monitoring.profile import ReferenceProfile, build_profile, parse_profile
from monitoring.window import Key, WindowData, add_rows
from runtime import contract as c
from runtime.predictor import Predictor
from tests.monitoring.conftest import COMMITTED_MODEL, customers

logger = logging.getLogger(__name__)

TRIALS = 1000
REFERENCE_ROWS = 320


@dataclass(frozen=True)
class Cell:
    """One measured setting: window size, seed, the shift applied, and whether the reference is fixed."""

    label: str
    rows: int
    seed: int
    shift: dict[str, float] = field(default_factory=dict)
    committed_reference: bool = False


# The cells the tests in test_calibration.py assert on, with the same seeds.
NO_DRIFT_100 = Cell("no drift, 100 rows", 100, 100)
NO_DRIFT_1000 = Cell("no drift, 1,000 rows", 1000, 1000)
AGE_PLUS_5 = Cell("age +5 years, 1,000 rows", 1000, 7, {"age_shift": 5.0})
AGE_PLUS_3 = Cell("age +3 years, 1,000 rows", 1000, 7, {"age_shift": 3.0})
BUYERS_CHANGE = Cell("buy logit +0.8, inputs unchanged, 1,000 rows", 1000, 11, {"intercept_shift": 0.8})
COMMITTED_REFERENCE = Cell("no drift vs the committed profile, 1,000 rows", 1000, 13, {}, True)
COMMITTED_REFERENCE_100 = Cell("no drift vs the committed profile, 100 rows", 100, 13, {}, True)
CELLS = (
    NO_DRIFT_100,
    NO_DRIFT_1000,
    AGE_PLUS_5,
    AGE_PLUS_3,
    BUYERS_CHANGE,
    COMMITTED_REFERENCE,
    COMMITTED_REFERENCE_100,
)


def committed_profile(predictor: Predictor) -> ReferenceProfile:
    """The reference profile carried in the model file."""
    return parse_profile(predictor.metadata.extra.get(c.META_REFERENCE_PROFILE))


def alarm_rates(predictor: Predictor, cell: Cell) -> tuple[float, float]:
    """(warning rate, input-drift rate) over TRIALS generated windows of a cell."""
    rng = np.random.default_rng(cell.seed)
    refs = customers(rng, REFERENCE_ROWS * TRIALS)
    ref_p = predictor.probabilities(refs.age, refs.salary, refs.gender)
    rows = cell.rows
    data = customers(rng, rows * TRIALS, **cell.shift)
    probabilities = predictor.probabilities(data.age, data.salary, data.gender)
    fixed = committed_profile(predictor) if cell.committed_reference else None
    threshold = predictor.threshold
    warnings = inputs = 0
    for t in range(TRIALS):
        r = slice(t * REFERENCE_ROWS, (t + 1) * REFERENCE_ROWS)
        features = {"age": refs.age[r], "salary": refs.salary[r], "gender": refs.gender[r]}
        profile = fixed or parse_profile(json.dumps(build_profile(features, ref_p[r], threshold, {})))
        part = slice(t * rows, (t + 1) * rows)
        counts: dict[Key, int] = {}
        sums: dict[str, float] = {}
        columns = (data.age[part], data.salary[part], data.gender[part])
        add_rows(
            counts,
            sums,
            profile,
            columns,
            probabilities[part],
            predictor.threshold,
            predictor.metadata.training_ranges,
        )
        window = WindowData(0, 1, "m")
        for (series, index), n in counts.items():
            window.counts.setdefault(series, {})[index] = n
        window.sums.update(sums)
        entry = evaluate(profile, window)
        assert entry["status"] == "evaluated", "each trial window has enough rows to be tested"
        warnings += entry["warning"]
        inputs += entry["input_drift"]
    return warnings / TRIALS, inputs / TRIALS


def main() -> None:
    """Log the warning and input-drift rates of every cell on the committed model."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    predictor = Predictor.from_path(COMMITTED_MODEL)
    logger.info(
        "model %s, %d windows per cell, %d-row references", predictor.model_version, TRIALS, REFERENCE_ROWS
    )
    logger.info("%-48s %8s %12s", "cell", "warning", "input drift")
    for cell in CELLS:
        warning, inputs = alarm_rates(predictor, cell)
        logger.info("%-48s %7.1f %% %10.1f %%", cell.label, 100 * warning, 100 * inputs)


if __name__ == "__main__":
    main()
