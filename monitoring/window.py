"""One window's aggregates: counts per series and bin plus a few running sums, and how rows add to them.

Nothing here holds a raw input: a row becomes bin indices of the reference profile (and its score's sums)
before it is kept anywhere.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from monitoring.profile import ReferenceProfile
from runtime import contract as c

# Series names (the store's `series` column).
ROWS = "rows"  # bin 0: scored rows
DECISION = "decision"  # bin 0 No, 1 Yes
SCORE = "score"
GENDER_SERIES = "gender"  # bin i: contract.GENDERS[i]
OUT_OF_RANGE = "out_of_range"  # bin i: contract.NUMERIC_INPUTS[i] outside the training range
REJECTED = "rejected"  # bin i: REJECT_FIELDS[i] failed validation
LABEL = "label"  # bin = score_key * 2 + label: label counts per 4-decimal probability
OUTCOME = "outcome"  # bin 0 TN, 1 FP, 2 FN, 3 TP
REJECT_FIELDS = (c.AGE, c.SALARY, c.GENDER, "other")
# Sums (the store's `sums` table).
SUM_P_YES, SUM_P_NO, SUM_VAR = "sum_p_yes", "sum_p_no", "sum_p_var"
SUM_BRIER, SUM_BRIER_SQ = "label_brier", "label_brier_sq"
SCORE_KEY_SCALE = 10_000  # labels are credited at the 4-decimal probability the API answered

Key = tuple[str, int]


@dataclass
class WindowData:
    """Counts and sums of one window and model version."""

    start: int
    end: int
    model_version: str
    counts: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    sums: dict[str, float] = field(default_factory=dict)

    def vector(self, series: str, size: int) -> npt.NDArray[np.int64]:
        """A series' counts as a dense vector of `size` bins."""
        out = np.zeros(size, dtype=np.int64)
        for index, n in self.counts.get(series, {}).items():
            if 0 <= index < size:
                out[index] += n
        return out

    def total(self, series: str) -> int:
        """All counts of a series."""
        return sum(self.counts.get(series, {}).values())

    @property
    def rows(self) -> int:
        """Scored rows in the window."""
        return self.total(ROWS)


def window_start(timestamp: float, length: int) -> int:
    """The start (Unix seconds) of the fixed-length window holding `timestamp`."""
    return int(timestamp // length) * length


def score_key(probability: float) -> int:
    """The 4-decimal probability as an integer key (what the API answered)."""
    return int(round(probability, 4) * SCORE_KEY_SCALE + 0.5)


def row_bins(
    profile: ReferenceProfile, age: float, salary: float, gender: str, probability: float
) -> tuple[int, int, int, int]:
    """A scored row as (age bin, salary bin, gender index, score bin)."""
    return (
        profile.numeric[c.AGE].index(age),
        profile.numeric[c.SALARY].index(salary),
        0 if gender == c.GENDERS[0] else 1,
        profile.score.index(probability),
    )


def add_rows(
    counts: dict[Key, int],
    sums: dict[str, float],
    profile: ReferenceProfile,
    columns: tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike],
    probabilities: npt.ArrayLike,
    threshold: float,
    training_ranges: dict[str, tuple[float, float]],
) -> None:
    """Add many scored rows (columns of age, salary, gender and their P(buy)) to counts and sums."""
    age, salary = (np.asarray(col, dtype=np.float64).reshape(-1) for col in columns[:2])
    gender = np.asarray(columns[2], dtype=object).reshape(-1)
    p = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    yes = p >= threshold

    def bump(series: str, bins: npt.NDArray[np.intp], size: int) -> None:
        for index, n in enumerate(np.bincount(bins, minlength=size).tolist()):
            if n:
                counts[(series, index)] = counts.get((series, index), 0) + n

    bump(c.AGE, profile.numeric[c.AGE].indices(age), len(profile.numeric[c.AGE].counts))
    bump(c.SALARY, profile.numeric[c.SALARY].indices(salary), len(profile.numeric[c.SALARY].counts))
    bump(GENDER_SERIES, (gender != c.GENDERS[0]).astype(np.intp), 2)
    bump(SCORE, profile.score.indices(p), len(profile.score.counts))
    bump(DECISION, yes.astype(np.intp), 2)
    bump(ROWS, np.zeros(len(p), dtype=np.intp), 1)
    for index, name in enumerate(c.NUMERIC_INPUTS):
        low, high = training_ranges[name]
        values = age if name == c.AGE else salary
        outside = int(((values < low) | (values > high)).sum())
        if outside:
            counts[(OUT_OF_RANGE, index)] = counts.get((OUT_OF_RANGE, index), 0) + outside
    for name, value in ((SUM_P_YES, p[yes].sum()), (SUM_P_NO, p[~yes].sum()), (SUM_VAR, (p * (1 - p)).sum())):
        sums[name] = sums.get(name, 0.0) + float(value)
