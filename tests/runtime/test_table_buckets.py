"""The lookup table's bucket index finds the very cell a binary search finds, for every float."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from runtime import contract as c
from runtime.forest_table import Buckets, ForestTable
from runtime.predictor import Predictor

MODEL = Path(__file__).resolve().parents[2] / "models" / "purchase_model.onnx"


@pytest.fixture(scope="module")
def table() -> ForestTable:
    """The committed model's table (a forest on raw inputs)."""
    found = Predictor.from_path(MODEL).table
    assert found is not None
    return found


def reference_cells(table: ForestTable, age: np.ndarray, salary: np.ndarray, gender: np.ndarray) -> tuple:
    """The cells by object comparisons and np.searchsorted: what the table computed before Buckets."""
    codes = np.full(len(age), -1, dtype=np.intp)
    for index, name in enumerate(c.GENDERS):
        codes[gender == name] = index
    (age_low, age_high), (salary_low, salary_high) = c.DOMAIN[c.AGE], c.DOMAIN[c.SALARY]
    covered = (
        (codes >= 0) & (age >= age_low) & (age <= age_high) & (salary >= salary_low) & (salary <= salary_high)
    )
    return (
        codes[covered],
        np.searchsorted(table.grid.age, age[covered], side="left"),
        np.searchsorted(table.grid.salary, salary[covered], side="left"),
        covered,
    )


def near_points(points: np.ndarray) -> st.SearchStrategy[float]:
    """A split point, or its neighbour one float below or above."""
    return st.tuples(st.sampled_from(points.tolist()), st.sampled_from([-np.inf, 0.0, np.inf])).map(
        lambda pair: float(pair[0] if pair[1] == 0.0 else np.nextafter(pair[0], pair[1]))
    )


def values(points: np.ndarray, high: float) -> st.SearchStrategy[float]:
    """Any float (±inf, NaN, far outside the grid and the domain), the domain's edges, split points and
    their neighbours."""
    return st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(min_value=-1.0, max_value=high * 1.1),
        st.sampled_from([0.0, -0.0, high, float(np.nextafter(high, np.inf)), -np.inf, np.inf, np.nan]),
        near_points(points),
    )


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_cells_equal_the_binary_search_on_any_floats(table: ForestTable, data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=0, max_value=200))
    age = np.array(data.draw(st.lists(values(table.grid.age, 120.0), min_size=n, max_size=n)), dtype=float)
    salary = np.array(
        data.draw(st.lists(values(table.grid.salary, 1e6), min_size=n, max_size=n)), dtype=float
    )
    names = [*c.GENDERS, "Other", "male", ""]
    gender = np.array(data.draw(st.lists(st.sampled_from(names), min_size=n, max_size=n)), dtype=object)
    expected = reference_cells(table, age, salary, gender)
    codes = np.array([c.GENDERS.index(g) if g in c.GENDERS else -1 for g in gender], dtype=np.int32)
    for got in (table.cells(age, salary, gender), table.cells(age, salary, gender, codes)):
        for a, b in zip(got, expected, strict=True):
            np.testing.assert_array_equal(a, b)


@settings(max_examples=300, deadline=None)
@given(
    points=hnp.arrays(np.float64, st.integers(0, 40), elements=st.floats(-1e6, 1e6), unique=True),
    x=hnp.arrays(np.float64, st.integers(0, 60), elements=st.floats(allow_nan=False, allow_infinity=True)),
    buckets=st.sampled_from([1, 2, 7, 64, 1 << 14]),
)
def test_buckets_equal_searchsorted_on_any_points(points: np.ndarray, x: np.ndarray, buckets: int) -> None:
    points = np.sort(points)
    probes = np.concatenate([x, points, np.nextafter(points, -np.inf), np.nextafter(points, np.inf)])
    np.testing.assert_array_equal(
        Buckets(points, buckets).index(probes), np.searchsorted(points, probes, side="left")
    )
