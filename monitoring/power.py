"""The smallest shifts the reference profile can detect, per window size (for the model card).

For a numeric feature: the smallest mean shift whose largest CDF difference reaches the KS critical value
at the per-test level ALPHA / TESTS, with the reference CDF interpolated linearly inside its bins (outer
bins end at the training range). At that shift about half of the windows alarm; the χ² test adds power on
top (the Monte Carlo tests in tests/monitoring measure it). For gender: the smallest change of the Female
share the two-proportion test flags at the same level, again at about 50 % power.
"""

from __future__ import annotations

import math
from typing import Any, TypedDict

import numpy as np

from monitoring.evaluate import ALPHA, TESTS
from monitoring.profile import Binned, ReferenceProfile
from monitoring.stats import kolmogorov_sf
from runtime import contract as c

WINDOW_SIZES = (100, 200, 500, 1000, 5000, 20000)


def _inverse(sf: Any, p: float, low: float, high: float) -> float:
    """x with sf(x) == p for a decreasing sf, by bisection."""
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if sf(mid) > p else (low, mid)
    return (low + high) / 2


def ks_critical(n: int, m: int) -> float:
    """The KS distance that alarms at the per-test level for samples of n and m."""
    lam = _inverse(kolmogorov_sf, ALPHA / TESTS, 0.2, 5.0)
    return lam * math.sqrt((n + m) / (n * m))


def detectable_shift(binned: Binned, low: float, high: float, n: int, m: int) -> float | None:
    """The smallest mean shift reaching the KS critical value (None if even the whole range is not enough)."""
    knots = np.array([low, *binned.edges, high], dtype=np.float64)
    cdf = np.concatenate([[0.0], np.cumsum(binned.counts) / sum(binned.counts)])
    grid = np.linspace(low - (high - low), high + (high - low), 4001)
    base = np.interp(grid, knots, cdf)
    target = ks_critical(n, m)
    for shift in np.linspace(0, high - low, 2001)[1:]:
        if np.max(np.abs(base - np.interp(grid - shift, knots, cdf))) >= target:
            return float(shift)
    return None


def detectable_share_change(share: float, n: int, m: int) -> float:
    """The smallest change of a proportion the two-sided z-test flags at the per-test level."""
    z = _inverse(lambda x: math.erfc(x / math.sqrt(2)), ALPHA / TESTS, 0.0, 10.0)
    return z * math.sqrt(share * (1 - share) * (1 / n + 1 / m))


class DetectableShifts(TypedDict):
    """The model card's `drift_detection`: per window size, the smallest shifts an alarm catches."""

    reference_rows: int
    alarm: str
    power: str
    by_window_rows: dict[str, dict[str, float | None]]


def detectable_shifts(profile: ReferenceProfile, ranges: dict[str, tuple[float, float]]) -> DetectableShifts:
    """The model card's table: per window size, the smallest age, salary and Female-share shifts."""
    n = profile.rows
    female = profile.gender[c.GENDERS[0]] / n
    table = {}
    for m in WINDOW_SIZES:
        row: dict[str, float | None] = {}
        for name in c.NUMERIC_INPUTS:
            low, high = ranges[name]
            shift = detectable_shift(profile.numeric[name], low, high, n, m)
            row[f"{name}_mean_shift"] = None if shift is None else round(shift, 3 if name == c.AGE else 0)
        row["female_share_change"] = round(detectable_share_change(female, n, m), 4)
        table[str(m)] = row
    return {
        "reference_rows": n,
        "alarm": f"family false-alarm rate {ALPHA} per window over {TESTS} tests (Bonferroni)",
        "power": "about 50 % of windows alarm at these shifts (KS alone; the χ² test adds power)",
        "by_window_rows": table,
    }
