"""Gender codes read off the column's bytes equal contract.normalise_gender's, cell by cell."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime import contract as c
from scoring.values import gender_codes

SPELLINGS = [*c.GENDERS, " Male", "male", "FEMALE ", "Mal", "Males", "Femal", "", "Fémale", "Malé", "x"]


def expected(cells: list[str | None]) -> list[int]:
    """One cell at a time through the contract's rule."""
    found = [None if cell is None else c.normalise_gender(cell) for cell in cells]
    return [-1 if g is None else c.GENDERS.index(g) for g in found]


@settings(max_examples=300, deadline=None)
@given(
    cells=st.lists(st.one_of(st.sampled_from(SPELLINGS), st.none(), st.text(max_size=8)), max_size=40),
    start=st.integers(0, 5),
    large=st.booleans(),
)
def test_codes_equal_the_contracts_rule(cells: list[str | None], start: int, large: bool) -> None:
    array = pa.array(["Male"] * start + cells, type=pa.large_string() if large else pa.string())
    sliced = array.slice(start)  # a non-zero offset into the same buffers
    assert gender_codes(sliced).tolist() == expected(cells)
    assert gender_codes(pa.chunked_array([sliced, sliced])).tolist() == expected(cells) * 2
