"""Numbers written as text read the same whether the cast takes the column as is or after trimming."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.values import parse_number

CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["nan", "NaN", "inf", "-inf", "1e3", "+1", "1,000", "", "abc", "0x10", " ", "1.5e-320"]),
)


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(st.one_of(CELLS, st.none()), max_size=30))
def test_a_column_as_written_reads_as_its_padded_twin(cells: list[str | None]) -> None:
    plain = parse_number(pa.array(cells, type=pa.string()))
    padded = parse_number(pa.array([None if v is None else f" {v}\t" for v in cells], type=pa.string()))
    np.testing.assert_array_equal(plain.values.view(np.int64), padded.values.view(np.int64))
    np.testing.assert_array_equal(plain.text, padded.text)
    np.testing.assert_array_equal(plain.nan_literal, padded.nan_literal)
