"""Acceptance: false-alarm rate, power on known shifts, and no input alarm when only buyers change.

1,000 seeded windows per cell against the committed model's reference profile (the one production uses).
"""

from __future__ import annotations

import numpy as np
import pytest

from monitoring.evaluate import evaluate
from monitoring.profile import ReferenceProfile
from monitoring.window import Key, WindowData, add_rows
from runtime.predictor import Predictor
from tests.monitoring.conftest import customers

TRIALS = 1000
MAX_FALSE_ALARMS = 0.019  # 0.01 + 3 standard errors over 1,000 windows


def alarm_rates(
    predictor: Predictor, profile: ReferenceProfile, rows: int, seed: int, **shift: float
) -> tuple[float, float]:
    """(warning rate, input-drift rate) over TRIALS generated windows."""
    rng = np.random.default_rng(seed)
    data = customers(rng, rows * TRIALS, **shift)
    probabilities = predictor.probabilities(data.age, data.salary, data.gender)
    warnings = inputs = 0
    for t in range(TRIALS):
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
        warnings += entry["warning"]
        inputs += entry["input_drift"]
    return warnings / TRIALS, inputs / TRIALS


@pytest.mark.parametrize("rows", [100, 1000])
def test_false_alarm_rate_without_drift_is_calibrated(
    committed: Predictor, profile: ReferenceProfile, rows: int
) -> None:
    warning, _ = alarm_rates(committed, profile, rows, seed=rows)
    assert warning <= MAX_FALSE_ALARMS


@pytest.mark.parametrize(("shift", "power"), [(5.0, 0.95), (3.0, 0.60)])
def test_age_shift_is_detected_at_1000_rows(
    committed: Predictor, profile: ReferenceProfile, shift: float, power: float
) -> None:
    _, inputs = alarm_rates(committed, profile, 1000, seed=7, age_shift=shift)
    assert inputs >= power


def test_changed_buyer_behaviour_raises_no_input_drift_alarm(
    committed: Predictor, profile: ReferenceProfile
) -> None:
    _, inputs = alarm_rates(committed, profile, 1000, seed=11, intercept_shift=0.8)
    assert inputs <= MAX_FALSE_ALARMS
