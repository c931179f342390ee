"""Folding StandardScaler and the float32 cast into a raw split decides exactly as the model does."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from export.errors import UnsupportedModelError
from export.split_folding import raw_splits


def model_test(x: np.ndarray, mean: float, scale: float, split: float, strict: bool) -> np.ndarray:
    """The tree's own test: scale in float64, round to float32, compare in float64 (sklearn <=, XGBoost <).

    (A float32 array compared with a Python float would compare in float32 under NumPy 2's rules.)
    """
    seen = ((x - mean) / scale).astype(np.float32).astype(np.float64)
    return seen < split if strict else seen <= split


def neighbours(value: float, steps: int = 4) -> np.ndarray:
    """`value` and the float64 values up to `steps` ulps either side."""
    out = [value]
    for direction in (np.inf, -np.inf):
        current = value
        for _ in range(steps):
            current = float(np.nextafter(current, direction))
            out.append(current)
    return np.array(out)


finite = st.floats(-1e6, 1e6, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(split=st.floats(-10, 10), mean=finite, scale=st.floats(1e-3, 1e5), strict=st.booleans())
def test_folded_split_agrees_at_and_around_the_boundary(
    split: float, mean: float, scale: float, strict: bool
) -> None:
    threshold = float(np.float32(split)) if strict else split  # XGBoost splits are float32
    (folded,) = raw_splits(np.array([threshold]), np.array([mean]), np.array([scale]), strict)
    x = neighbours(float(folded))
    assert np.array_equal(x <= folded, model_test(x, mean, scale, threshold, strict))


def test_folded_splits_agree_on_the_service_domain() -> None:
    rng = np.random.default_rng(0)
    splits = rng.normal(0, 1.5, 64)
    means, scales = np.full(64, 37.6), np.full(64, 10.4)
    folded = raw_splits(splits, means, scales)
    ages = np.concatenate([rng.uniform(0, 120, 20_000), np.arange(0.0, 120.5, 0.5)])
    for k in range(64):
        assert np.array_equal(ages <= folded[k], model_test(ages, means[k], scales[k], splits[k], False))


def test_a_binary_feature_keeps_its_side() -> None:
    folded = raw_splits(np.array([0.5, 0.0]), np.zeros(2), np.ones(2))
    assert list(np.array([0.0, 1.0]) <= folded[0]) == [True, False]
    assert list(np.array([0.0, 1.0]) <= folded[1]) == [True, False]


@pytest.mark.parametrize(
    ("split", "mean", "scale"), [(np.nan, 0.0, 1.0), (0.5, np.inf, 1.0), (0.5, 0.0, 0.0), (0.5, 0.0, -1.0)]
)
def test_unusable_splits_are_refused(split: float, mean: float, scale: float) -> None:
    with pytest.raises(UnsupportedModelError, match="split folding"):
        raw_splits(np.array([split]), np.array([mean]), np.array([scale]))
