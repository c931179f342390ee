"""Parity point sets: held-out rows, a dense grid over the valid domain, adversarial split points."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from export.preprocess import GENDERS, feature_layout, split_pipeline
from export.thresholds import split_thresholds
from runtime import contract

AGE_MAX = contract.AGE_MAX
SALARY_MAX = contract.SALARY_MAX


@dataclass(frozen=True)
class Points:
    """Raw model inputs as parallel 1-D arrays."""

    age: np.ndarray
    salary: np.ndarray
    gender: np.ndarray

    def __len__(self) -> int:
        return len(self.age)


def _both_genders(age: np.ndarray, salary: np.ndarray) -> Points:
    """Repeat (age, salary) pairs for every gender."""
    n = len(age)
    return Points(
        np.tile(age, len(GENDERS)),
        np.tile(salary, len(GENDERS)),
        np.repeat(np.array(GENDERS, dtype=object), n),
    )


def _in_domain(age: np.ndarray, salary: np.ndarray) -> np.ndarray:
    """Mask of points inside the contract's valid domain."""
    return (age > 0) & (age <= AGE_MAX) & (salary >= 0) & (salary <= SALARY_MAX)


def grid(age_step: float = 0.25, salary_step: float = 480.0) -> Points:
    """Dense grid: ages (0, 120] by age_step, salaries [0, 1M] by salary_step plus 1M, both genders."""
    ages = np.arange(1, round(AGE_MAX / age_step) + 1) * age_step
    salaries = np.unique(np.append(np.arange(0.0, SALARY_MAX, salary_step), SALARY_MAX))
    age, salary = (a.ravel() for a in np.meshgrid(ages, salaries, indexing="ij"))
    return _both_genders(age, salary)


def integer_grid(salary_step: float = 1000.0) -> Points:
    """Integer ages x salaries in thousands: where training rows (and exact ties) live."""
    ages = np.arange(1.0, AGE_MAX + 1)
    salaries = np.arange(0.0, SALARY_MAX + 1, salary_step)
    age, salary = (a.ravel() for a in np.meshgrid(ages, salaries, indexing="ij"))
    return _both_genders(age, salary)


def _raw_candidates(thresholds: np.ndarray, mean: float, scale: float, steps: int = 2) -> np.ndarray:
    """Raw values whose scaled float32 image sits on or next to each threshold, with float64 neighbours."""
    below = thresholds.astype(np.float32)
    below = np.where(below.astype(np.float64) > thresholds, np.nextafter(below, np.float32(-np.inf)), below)
    above = np.nextafter(below, np.float32(np.inf))
    centres = [thresholds, below.astype(np.float64), above.astype(np.float64)]
    raw = np.concatenate([c * scale + mean for c in centres])
    values = [raw]
    for direction in (-np.inf, np.inf):
        current = raw
        for _ in range(steps):
            current = np.nextafter(current, direction)
            values.append(current)
    return np.unique(np.concatenate(values))


def adversarial(pipeline: Any, partners: int = 12, seed: int = 0) -> Points:
    """Every split threshold mapped to raw units (+ float neighbours), and odd multiples of 500 salaries."""
    preprocess, model = split_pipeline(pipeline)
    layout = feature_layout(preprocess)
    rng = np.random.default_rng(seed)
    raw: dict[str, list[np.ndarray]] = {"age": [], "salary": []}
    for feature, values in split_thresholds(model).items():
        column, mean, scale = layout[feature]
        if column in raw:
            raw[column].append(_raw_candidates(values, mean, scale))
    base = {"age": np.arange(1.0, AGE_MAX + 1), "salary": np.arange(0.0, SALARY_MAX + 1, 5000.0)}
    ages, salaries = [], []
    for column, other in (("age", "salary"), ("salary", "age")):
        if not raw[column]:
            continue
        values = np.unique(np.concatenate(raw[column]))
        pool = np.concatenate([base[other], *raw[other]]) if raw[other] else base[other]
        mates = rng.choice(pool, size=(len(values), partners))
        own = np.repeat(values, partners)
        ages.append(own if column == "age" else mates.ravel())
        salaries.append(mates.ravel() if column == "age" else own)
    midpoints = np.arange(500.0, SALARY_MAX, 1000.0)
    age, salary = (a.ravel() for a in np.meshgrid(np.arange(1.0, AGE_MAX + 1), midpoints, indexing="ij"))
    ages.append(age)
    salaries.append(salary)
    age_all, salary_all = np.concatenate(ages), np.concatenate(salaries)
    keep = _in_domain(age_all, salary_all)
    return _both_genders(age_all[keep], salary_all[keep])


def from_records(records: list[dict[str, Any]]) -> Points:
    """Points from a list of {age, salary, gender} dicts (held-out rows or golden examples)."""
    return Points(
        np.array([float(r["age"]) for r in records]),
        np.array([float(r["salary"]) for r in records]),
        np.array([str(r["gender"]) for r in records], dtype=object),
    )
