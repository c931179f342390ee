"""Fixtures: a window generator with known shifts, a real PostgreSQL server per module (the committed
model's predictor and reference profile are in tests/conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest

from tests.conftest import COMMITTED_MODEL
from tests.monitoring.postgres import PACKAGE, pg_bin, postgres_server
from training.generate import buy_probability

__all__ = ["COMMITTED_MODEL"]  # the monitoring suites import it from here


@dataclass
class Customers:
    """Generated customers with their true outcome."""

    age: np.ndarray
    salary: np.ndarray
    gender: np.ndarray
    purchased: np.ndarray


def customers(
    rng: np.random.Generator, n: int, age_shift: float = 0.0, intercept_shift: float = 0.0
) -> Customers:
    """Rows from training/generate.py's recipe, optionally with older customers or changed buyers."""
    age = np.clip(np.round(rng.normal(37.5 + age_shift, 10.5, n)), 18, 60 + max(age_shift, 0)).astype(float)
    raw_salary = rng.normal(70_000 + 700 * (age - 38), 32_000, n)
    salary = np.clip(np.round(raw_salary / 1000) * 1000, 15_000, 150_000).astype(float)
    female = rng.random(n) < 0.51
    p = buy_probability(age, salary, female)
    if intercept_shift:
        logit = np.log(p / (1 - p)) + intercept_shift
        p = 1 / (1 + np.exp(-logit))
    purchased = (rng.random(n) < p).astype(int)
    gender = np.where(female, "Female", "Male").astype(object)
    return Customers(age, salary, gender, purchased)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server for this module (skipped only outside CI when it is not installed)."""
    if pg_bin() is None and not os.environ.get("CI"):
        pytest.skip(f"PostgreSQL is not installed (Debian package {PACKAGE})")
    with postgres_server() as url:
        yield url
