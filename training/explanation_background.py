"""The background of exact explanations: k-anonymous cells of the training split, one weighted point each.

Every explanation compares a customer with this background (runtime/explain.py). It must keep the joint
shape of the training inputs (age and salary are correlated, and both differ by gender) without holding
any customer's values, so it is built as a multidimensional k-anonymous partition (Mondrian, LeFevre et
al. 2006): the rows of each gender are split at the median of age or salary (the input whose spread,
relative to its training range, is the wider) as long as both halves keep at least
`contract.BACKGROUND_MIN_ROWS` rows. Each final cell holds between k and about 2k rows of one gender and
becomes one point: the mean age and mean salary of its rows, weighted by its row count. No cell is ever
dropped, so the weights are the cells' exact shares of the training split. A mean that happened to equal
a training row is refused (no raw row is ever carried).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from runtime import contract as c
from training.documents import BackgroundPoint, ExplanationBackground

BACKGROUND_VERSION = 1
METHOD = "mondrian-median"
FloatArray = npt.NDArray[np.float64]


class BackgroundError(ValueError):
    """The training split cannot give a k-anonymous background."""


def _halves(values: FloatArray, k: int) -> npt.NDArray[np.bool_] | None:
    """The rows at or below the median, when both sides keep at least k rows; else None."""
    median = float(np.median(values))
    low = values <= median
    if low.sum() < k or (~low).sum() < k:
        low = values < median  # ties at the median go up instead
    if low.sum() < k or (~low).sum() < k:
        return None
    return low


def partition(
    values: FloatArray, spans: tuple[float, float], k: int = c.BACKGROUND_MIN_ROWS
) -> list[npt.NDArray[np.intp]]:
    """Row indices of each cell of a Mondrian partition of [n, 2] values; every cell has at least k rows."""
    cells: list[npt.NDArray[np.intp]] = []
    pending = [np.arange(len(values))]
    while pending:
        rows = pending.pop()
        part = values[rows]
        widths = np.ptp(part, axis=0) / np.asarray(spans, dtype=np.float64)
        for column in np.argsort(-widths, kind="stable").tolist():
            low = _halves(part[:, column], k)
            if low is not None:
                pending.extend([rows[~low], rows[low]])
                break
        else:
            cells.append(rows)
    return sorted(cells, key=lambda rows: tuple(values[rows].mean(axis=0)))


def explanation_background(x_train: pd.DataFrame, k: int = c.BACKGROUND_MIN_ROWS) -> ExplanationBackground:
    """The background document training stores and export copies into the model (`explanation_background`)."""
    if k < c.BACKGROUND_MIN_ROWS:
        raise BackgroundError(f"k must be at least {c.BACKGROUND_MIN_ROWS}, got {k}")
    numeric = x_train[list(c.NUMERIC_INPUTS)].to_numpy(dtype=np.float64)
    genders = x_train[c.GENDER].to_numpy(dtype=object)
    spans = tuple(max(float(np.ptp(numeric[:, i])), 1.0) for i in range(len(c.NUMERIC_INPUTS)))
    points: list[BackgroundPoint] = []
    counts: list[int] = []
    for gender in c.GENDERS:
        rows = numeric[genders == gender]
        if len(rows) == 0:
            continue
        if len(rows) < k:
            raise BackgroundError(f"only {len(rows)} {gender} training rows; every point needs {k}")
        for cell in partition(rows, (spans[0], spans[1]), k):
            age, salary = rows[cell].mean(axis=0).tolist()
            points.append({"age": age, "salary": salary, "gender": gender})
            counts.append(len(cell))
    _refuse_raw_rows(points, numeric, genders)
    return {
        "version": BACKGROUND_VERSION,
        "method": METHOD,
        "min_rows": k,
        "rows": int(sum(counts)),
        "points": points,
        "counts": counts,
    }


def _refuse_raw_rows(points: list[BackgroundPoint], numeric: FloatArray, genders: npt.NDArray[Any]) -> None:
    """Fail when a point equals a training row (a cell's mean can only do so by coincidence)."""
    raw = {(float(a), float(s), str(g)) for (a, s), g in zip(numeric.tolist(), genders, strict=True)}
    for point in points:
        if (point[c.AGE], point[c.SALARY], point[c.GENDER]) in raw:
            raise BackgroundError("a background point equals a training row; no background written")
