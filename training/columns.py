"""Normalisation of header and cell spellings to the contract's names and values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from runtime import contract
from runtime.columns import HEADER_ALIASES, header_key, map_header  # shared with scoring/

REQUIRED = ("age", "salary", "gender", "purchased")
SOURCE_NAMES = {"age": "Age", "salary": "EstimatedSalary", "gender": "Gender", "purchased": "Purchased"}

LABELS = {
    "0": 0,
    "1": 1,
    "0.0": 0,
    "1.0": 1,
    "no": 0,
    "yes": 1,
    "n": 0,
    "y": 1,
    "false": 0,
    "true": 1,
    "not purchased": 0,
    "purchased": 1,
}
__all__ = [
    "HEADER_ALIASES",
    "LABELS",
    "REQUIRED",
    "SOURCE_NAMES",
    "header_key",
    "map_header",
    "parse_genders",
    "parse_labels",
    "parse_numbers",
]


def _squash(values: pd.Series) -> pd.Series:
    return values.str.strip().str.lower().str.replace(r"[\s_\-]+", " ", regex=True)


def parse_labels(values: pd.Series) -> pd.Series:
    """Map label spellings (0/1, yes/no, true/false, Purchased/Not Purchased) to 0/1; NaN if unknown."""
    return _squash(values).map(LABELS)


def parse_genders(values: pd.Series) -> pd.Series:
    """Genders by the contract's one rule (`normalise_gender`: case and surrounding whitespace ignored)
    as "Female"/"Male"; missing (None) where a cell is not a gender. The rule runs once per distinct cell."""
    spelled = {value: contract.normalise_gender(value) for value in values.unique()}
    return values.map(spelled)


def parse_numbers(values: pd.Series) -> pd.Series:
    """Parse numeric text to float64; NaN for empty or non-numeric cells and for non-finite values."""
    numbers = pd.to_numeric(values.str.strip().str.replace(",", "", regex=False), errors="coerce")
    numbers = numbers.astype("float64")
    return numbers.where(np.isfinite(numbers))
