"""The shipped model (models/purchase_model.onnx) through runtime.Predictor, and its evaluation grid."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from runtime import contract
from runtime.predictor import Predictor

SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "models" / "purchase_model.onnx"


@dataclass(frozen=True)
class Grid:
    """Ages and salaries over the model's training ranges, in the steps its recorded gender flip used."""

    ages: np.ndarray
    salaries: np.ndarray

    def columns(self) -> tuple[np.ndarray, np.ndarray]:
        """Every (age, salary) pair as two flat columns, ages varying slowest."""
        age, salary = np.meshgrid(self.ages, self.salaries, indexing="ij")
        return age.ravel(), salary.ravel()


@pytest.fixture(scope="session")
def shipped() -> Predictor:
    """The committed model, loaded and self-tested exactly as the service does."""
    return Predictor.from_path(SHIPPED_MODEL)


@pytest.fixture(scope="session")
def fairness(shipped: Predictor) -> dict[str, Any]:
    """The gender-flip and slice numbers recorded for the model at training (metadata key `fairness`)."""
    raw = shipped.metadata.extra.get(contract.META_FAIRNESS)
    assert raw, f"model {shipped.model_version} carries no 'fairness' metadata; retrain and re-export it"
    recorded: dict[str, Any] = json.loads(raw)
    return recorded


@pytest.fixture(scope="session")
def grid(shipped: Predictor, fairness: dict[str, Any]) -> Grid:
    """The training-range grid of the recorded counterfactual."""
    flip = fairness["gender_flip"]["grid"]
    (a_lo, a_hi), (s_lo, s_hi) = (shipped.metadata.training_ranges[c] for c in contract.NUMERIC_INPUTS)
    ages = np.arange(a_lo, a_hi + flip["age_step"] / 2, flip["age_step"])
    salaries = np.arange(s_lo, s_hi + flip["salary_step"] / 2, flip["salary_step"])
    return Grid(ages, salaries)


@pytest.fixture
def record(request: pytest.FixtureRequest) -> Callable[[str, object], None]:
    """Attach a named figure to the test's report (like record_property, also with junit_family xunit2)."""
    return lambda name, value: request.node.user_properties.append((name, value))


@pytest.fixture(autouse=True)
def _name_the_model(request: pytest.FixtureRequest, shipped: Predictor) -> None:
    """Every test records the model version it ran on (junit XML property and -rA output)."""
    request.node.user_properties.append(("model_version", shipped.model_version))
