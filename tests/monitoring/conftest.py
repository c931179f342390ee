"""Fixtures: the committed model's predictor and reference profile, a window generator with known shifts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from monitoring.profile import ReferenceProfile, parse_profile
from runtime import contract as c
from runtime.predictor import Predictor
from training.generate import buy_probability

REPO = Path(__file__).resolve().parents[2]
COMMITTED_MODEL = REPO / "models" / "purchase_model.onnx"


@pytest.fixture(scope="session")
def committed() -> Predictor:
    """The committed model, loaded and self-tested."""
    return Predictor.from_path(COMMITTED_MODEL)


@pytest.fixture(scope="session")
def profile(committed: Predictor) -> ReferenceProfile:
    """The committed model's reference profile."""
    return parse_profile(committed.metadata.extra.get(c.META_REFERENCE_PROFILE))


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
