"""Facts about a normalised training frame: fingerprint, counts, class balance and value ranges."""

from __future__ import annotations

import hashlib

import pandas as pd

from training.documents import DataFacts
from training.load import FEATURES, LABEL

FINGERPRINT_HEADER = "age,salary,gender,purchased\n"


def data_fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 of the normalised rows, independent of the source CSV's column order and spellings.

    The hashed text is ``age,salary,gender,purchased\\n`` followed by one line per row, in file
    order: ``repr(float(age)),repr(float(salary)),gender,purchased\\n`` with gender "Female"/"Male"
    and purchased 0/1, e.g. ``45.0,90000.0,Male,1``. Skipped (invalid) rows are not included.
    """
    digest = hashlib.sha256(FINGERPRINT_HEADER.encode())
    for age, salary, gender, label in frame[[*FEATURES, LABEL]].itertuples(index=False, name=None):
        digest.update(f"{float(age)!r},{float(salary)!r},{gender},{int(label)}\n".encode())
    return digest.hexdigest()


def value_ranges(frame: pd.DataFrame) -> dict[str, list[float]]:
    """The [min, max] seen for age and salary."""
    return {column: [float(frame[column].min()), float(frame[column].max())] for column in ("age", "salary")}


def describe_frame(frame: pd.DataFrame) -> DataFacts:
    """Row count, class balance and the ranges seen for age and salary."""
    buyers = int(frame[LABEL].sum())
    return {
        "rows": len(frame),
        "buyers": buyers,
        "non_buyers": len(frame) - buyers,
        "buy_rate": round(buyers / len(frame), 6),
        "ranges": value_ranges(frame),
    }
