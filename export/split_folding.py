"""Fold StandardScaler and the float32 cast into tree split values, exactly.

A tree trained on scaled features decides ``float32((x - mean) / scale) <= t`` (scikit-learn) or ``< t``
(XGBoost), evaluated in float64 and then rounded to float32. For a positive scale that test is monotone
in the raw value x: true up to some largest float64 ``x*`` and false above it. So ``x <= x*`` on the raw
float64 input gives the same answer for every x, with no Sub, Div or Cast nodes in the graph. ``x*`` is
found by bisection over the ordered float64 bit patterns and checked at its successor.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from export.errors import UnsupportedModelError

FloatArray = npt.NDArray[np.float64]
_INT64_MIN = np.int64(-(2**63))


def _keys(values: FloatArray) -> npt.NDArray[np.int64]:
    """Integers ordered like the float64 values (-0.0 and 0.0 share key 0)."""
    bits = values.view(np.int64)
    return np.where(bits < 0, _INT64_MIN - bits, bits)


def _values(keys: npt.NDArray[np.int64]) -> FloatArray:
    """The float64 values of ordered keys (inverse of _keys)."""
    bits = np.where(keys < 0, _INT64_MIN - keys, keys)
    return bits.view(np.float64)


def _holds(x: FloatArray, mean: FloatArray, scale: FloatArray, split: FloatArray, strict: bool) -> np.ndarray:
    """The tree's test on raw values, computed as the model computes it."""
    with np.errstate(over="ignore", invalid="ignore"):
        seen = ((x - mean) / scale).astype(np.float32).astype(np.float64)
    return seen < split if strict else seen <= split


def raw_splits(split: FloatArray, mean: FloatArray, scale: FloatArray, strict: bool = False) -> FloatArray:
    """Per split, the largest float64 raw x that takes the true branch; compare with ``x <= result``."""
    split, mean, scale = (np.asarray(a, dtype=np.float64) for a in (split, mean, scale))
    if not (np.all(np.isfinite(split)) and np.all(np.isfinite(mean)) and np.all(scale > 0)):
        raise UnsupportedModelError("split folding needs finite splits and means and positive scales")
    low = np.full(split.shape, _keys(np.array([-np.inf]))[0])  # the test holds at -inf ...
    high = np.full(split.shape, _keys(np.array([np.inf]))[0])  # ... and fails at +inf
    while np.any(high - 1 > low):  # (high - low could overflow int64)
        middle = (low >> 1) + (high >> 1) + (low & high & 1)  # floor of the mean, without overflow
        holds = _holds(_values(middle), mean, scale, split, strict)
        low = np.where(holds, middle, low)
        high = np.where(holds, high, middle)
    folded = _values(low)
    successor = np.nextafter(folded, np.inf)
    if not (
        np.all(_holds(folded, mean, scale, split, strict))
        and not np.any(_holds(successor, mean, scale, split, strict))
    ):
        raise UnsupportedModelError("split folding failed its own check")  # not expected: a safety net
    return folded
