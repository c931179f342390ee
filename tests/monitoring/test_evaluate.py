"""Alarm levels across windows, small windows, and the report's small-cell suppression."""

from __future__ import annotations

import numpy as np

from monitoring.evaluate import evaluate_series
from monitoring.profile import ReferenceProfile
from monitoring.report import render
from monitoring.window import Key, WindowData, add_rows
from runtime.predictor import Predictor
from tests.monitoring.conftest import customers

HOUR = 3600


def window(
    predictor: Predictor, profile: ReferenceProfile, start: int, rows: int, seed: int, **shift: float
) -> WindowData:
    """A window of generated rows starting at `start`."""
    data = customers(np.random.default_rng(seed), rows, **shift)
    p = predictor.probabilities(data.age, data.salary, data.gender)
    counts: dict[Key, int] = {}
    sums: dict[str, float] = {}
    add_rows(
        counts,
        sums,
        profile,
        (data.age, data.salary, data.gender),
        p,
        predictor.threshold,
        predictor.metadata.training_ranges,
    )
    result = WindowData(start, start + HOUR, predictor.model_version)
    for (series, index), n in counts.items():
        result.counts.setdefault(series, {})[index] = n
    result.sums.update(sums)
    return result


def test_paging_needs_two_consecutive_warnings(committed: Predictor, profile: ReferenceProfile) -> None:
    older = [window(committed, profile, i * HOUR, 1000, seed=i, age_shift=10) for i in (0, 1, 3)]
    levels = [e["level"] for e in evaluate_series(profile, older)]
    assert levels == ["warning", "page", "warning"]  # the gap before the third window resets paging


def test_small_windows_are_insufficient_and_small_cells_hidden(
    committed: Predictor, profile: ReferenceProfile
) -> None:
    tiny, small = window(committed, profile, 0, 10, seed=1), window(committed, profile, HOUR, 40, seed=2)
    entries = evaluate_series(profile, [tiny, small])
    assert (
        entries[0]["status"] == "insufficient"
        and entries[0]["level"] == "none"
        and not entries[0]["features"]
    )
    assert entries[1]["status"] == "evaluated"
    page = render({"windows": entries, "store": "sqlite"})
    assert "Insufficient rows" in page
    age_table = page.split("<caption>age bins</caption>")[1].split("</table>")[0]
    shown = [row.split("<td>")[3].split("</td>")[0] for row in age_table.split("<tr>")[2:]]
    counts = entries[1]["features"]["age"]["counts"]
    assert len(shown) == len(counts) and any(0 < n < 5 for n in counts)
    for count, cell in zip(counts, shown, strict=True):
        assert cell == ("&lt;5" if 0 < count < 5 else str(count))  # small cells never shown as numbers
