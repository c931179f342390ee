"""Normalisation of header and cell spellings to the contract's names and values."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from runtime import contract

#: Contract column -> accepted header spellings, compared after lower-casing and removing
#: spaces, underscores, hyphens and dots.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "user_id": ("userid", "id", "customerid"),
    "gender": ("gender", "sex"),
    "age": ("age",),
    "salary": ("estimatedsalary", "salary"),
    "purchased": ("purchased", "purchase", "bought", "label"),
}
REQUIRED = ("age", "salary", "gender", "purchased")
SOURCE_NAMES = {"age": "Age", "salary": "EstimatedSalary", "gender": "Gender", "purchased": "Purchased"}

LABELS = {
    "0": 0, "1": 1, "0.0": 0, "1.0": 1,
    "no": 0, "yes": 1, "n": 0, "y": 1,
    "false": 0, "true": 1,
    "not purchased": 0, "purchased": 1,
}  # fmt: skip
GENDERS = {g.lower(): g for g in contract.GENDERS}


def header_key(name: str) -> str:
    """Return the comparison key of a header cell: lower case without separators."""
    return re.sub(r"[\s_\-.]+", "", name.strip().lstrip("\ufeff").lower())


def map_header(header: list[str]) -> dict[str, int]:
    """Map each recognised contract column to its position in ``header`` (unknown columns ignored)."""
    lookup = {alias: column for column, aliases in HEADER_ALIASES.items() for alias in aliases}
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        column = lookup.get(header_key(cell))
        if column is not None and column not in positions:
            positions[column] = index
    return positions


def _squash(values: pd.Series) -> pd.Series:
    return values.str.strip().str.lower().str.replace(r"[\s_\-]+", " ", regex=True)


def parse_labels(values: pd.Series) -> pd.Series:
    """Map label spellings (0/1, yes/no, true/false, Purchased/Not Purchased) to 0/1; NaN if unknown."""
    return _squash(values).map(LABELS)


def parse_genders(values: pd.Series) -> pd.Series:
    """Map gender spellings in any case to "Female"/"Male"; NaN if unknown."""
    return _squash(values).map(GENDERS)


def parse_numbers(values: pd.Series) -> pd.Series:
    """Parse numeric text to float64; NaN for empty or non-numeric cells and for non-finite values."""
    numbers = pd.to_numeric(values.str.strip().str.replace(",", "", regex=False), errors="coerce")
    numbers = numbers.astype("float64")
    return numbers.where(np.isfinite(numbers))
