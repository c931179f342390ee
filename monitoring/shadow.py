"""Shadow scoring: a candidate model scores every monitored row beside the live model and never answers.

On the request path the monitor hands each scored row to `Shadow.observe_one` (a lookup-table read for a
forest, else onnxruntime, and one deque append) or a batch to `observe_many` (one vectorised call). The
monitor's flusher drains the queue into the live model's window as `shadow/<candidate version>/<name>`
series, so every worker's counts add up in the store exactly as the window's own do. From them, per window
(`section`): decision agreement, mean and largest |Δp| (the largest to the 4 decimals the API answers),
each model's Yes rate on the compared rows, and the candidate's score drift against its own reference
profile. Nothing here holds a raw input: only the two probabilities of a row are queued.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

import numpy as np
import numpy.typing as npt

from monitoring.documents import DriftWindow, ShadowSection
from monitoring.evaluate import MIN_ROWS, score_drift
from monitoring.profile import ReferenceProfile
from monitoring.store import CountBatch, SumBatch
from monitoring.window import DECISION, SCORE, WindowData
from runtime.predictor import Predictor

logger = logging.getLogger(__name__)

PREFIX = "shadow/"
ROWS, AGREE, YES, LIVE_YES, ABS_DIFF, SCORE_BINS = "rows", "agree", "yes", "live_yes", "abs_diff", "score"
DIFF_SCALE = 10_000  # |Δp| bins of 0.0001: the precision of the API's answers


def series(version: str, name: str) -> str:
    """The store's series name of one shadow count or sum."""
    return f"{PREFIX}{version}/{name}"


class Shadow:
    """The candidate and this process's queue of (window start, live p, live Yes, candidate p) rows."""

    def __init__(self, predictor: Predictor, profile: ReferenceProfile | None) -> None:
        self.predictor, self.profile = predictor, profile
        self.version, self.threshold = predictor.model_version, predictor.threshold
        self._one = predictor.table.one if predictor.table is not None else None
        self._queue: deque[tuple[Any, ...]] = deque()

    # --- request path -------------------------------------------------------------------------------
    def observe_one(
        self, start: int, age: float, salary: float, gender: str, probability: float, buy: bool
    ) -> None:
        """Score one row with the candidate and queue both probabilities."""
        q = None if self._one is None else self._one(age, salary, gender)
        if q is None:
            q = self.predictor.predict_one(age, salary, gender).probability
        self._queue.append((start, probability, buy, q))

    def observe_many(
        self, start: int, columns: tuple[Any, Any, Any], probabilities: Any, threshold: float
    ) -> None:
        """Score a batch with the candidate (one call) and queue both probability columns."""
        age, salary = (np.asarray(col, dtype=np.float64).reshape(-1) for col in columns[:2])
        gender = np.asarray(columns[2], dtype=object).reshape(-1)
        p = np.asarray(probabilities, dtype=np.float64).reshape(-1)
        self._queue.append((start, p, p >= threshold, self.predictor.probabilities(age, salary, gender)))

    # --- background ---------------------------------------------------------------------------------
    def drain(self, window_s: int, live_version: str) -> tuple[CountBatch, SumBatch]:
        """The queued rows as counts and sums of the live model's windows."""
        singles: dict[int, tuple[list[float], list[bool], list[float]]] = {}
        batches: dict[int, list[tuple[Any, Any, Any]]] = {}
        queue = self._queue
        while queue:
            start, p, yes, q = queue.popleft()
            if isinstance(p, float):  # one row of /predict
                ps, yeses, qs = singles.setdefault(start, ([], [], []))
                ps.append(p)
                yeses.append(yes)
                qs.append(q)
            else:
                batches.setdefault(start, []).append((p, yes, q))
        counts: CountBatch = {}
        sums: SumBatch = {}
        for start in singles.keys() | batches.keys():
            parts = [tuple(np.asarray(column) for column in singles[start])] if start in singles else []
            parts += batches.get(start, [])
            p, q = (np.concatenate([part[i] for part in parts]).astype(np.float64) for i in (0, 2))
            yes = np.concatenate([part[1] for part in parts]).astype(bool)
            key = (start, start + window_s, live_version)
            counts[key], sums[key] = self._aggregate(p, yes, q)
        return counts, sums

    def _aggregate(
        self, p: npt.NDArray[np.float64], live_yes: npt.NDArray[np.bool_], q: npt.NDArray[np.float64]
    ) -> tuple[dict[tuple[str, int], int], dict[str, float]]:
        """Counts and sums of rows scored by both models."""
        yes = q >= self.threshold
        diff = np.abs(q - p)
        v = self.version
        counts: dict[tuple[str, int], int] = {
            (series(v, ROWS), 0): len(p),
            (series(v, AGREE), 0): int((yes == live_yes).sum()),
            (series(v, YES), 0): int(yes.sum()),
            (series(v, LIVE_YES), 0): int(live_yes.sum()),
        }
        bins, n = np.unique(np.floor(diff * DIFF_SCALE + 0.5).astype(np.int64), return_counts=True)
        counts |= {(series(v, ABS_DIFF), b): c for b, c in zip(bins.tolist(), n.tolist(), strict=True)}
        if self.profile is not None:
            scores = np.bincount(self.profile.score.indices(q), minlength=len(self.profile.score.counts))
            counts |= {(series(v, SCORE_BINS), i): c for i, c in enumerate(scores.tolist()) if c}
        return {k: c for k, c in counts.items() if c}, {series(v, ABS_DIFF): float(diff.sum())}

    def discard(self) -> None:
        """Drop queued rows (a forked child's copy of its parent's)."""
        self._queue.clear()


def _versions(window: WindowData) -> dict[str, int]:
    """The candidates a window holds shadow counts of, with their row counts."""
    found: dict[str, int] = {}
    for name in window.counts:
        if name.startswith(PREFIX) and name.endswith("/" + ROWS):
            found[name[len(PREFIX) : -len(ROWS) - 1]] = window.total(name)
    return found


def section(window: WindowData, shadow: Shadow | None) -> ShadowSection | None:
    """The window's shadow section: the scoring candidate's, else the one with most rows; None without."""
    versions = _versions(window)
    if not versions:
        return None
    v = max(versions, key=lambda name: versions[name])
    if shadow is not None and shadow.version in versions:
        v = shadow.version
    rows = versions[v]
    yes, live_yes = window.total(series(v, YES)), window.total(series(v, LIVE_YES))
    diffs = [b for b, n in window.counts.get(series(v, ABS_DIFF), {}).items() if n]

    def share(n: int) -> float | None:
        return n / rows if rows else None

    score = None
    if shadow is not None and shadow.version == v and shadow.profile is not None and rows >= MIN_ROWS:
        own = WindowData(window.start, window.end, v)
        own.counts[SCORE] = dict(window.counts.get(series(v, SCORE_BINS), {}))
        own.counts[DECISION] = {0: rows - yes, 1: yes}
        score = score_drift(shadow.profile, own) | {"edges": list(shadow.profile.score.edges)}
    return ShadowSection(
        model_version=v,
        rows=rows,
        agreement=share(window.total(series(v, AGREE))),
        mean_abs_diff=window.sums.get(series(v, ABS_DIFF), 0.0) / rows if rows else None,
        max_abs_diff=max(diffs) / DIFF_SCALE if diffs else None,
        yes_rate=share(yes),
        live_yes_rate=share(live_yes),
        score=score,
    )


def add_sections(entries: list[DriftWindow], windows: list[WindowData], shadow: Shadow | None) -> None:
    """Give every evaluated window entry its `shadow` section (None when no candidate scored in it)."""
    by_key = {(w.start, w.model_version): w for w in windows}
    for entry in entries:
        window = by_key.get((entry["start"], entry["model_version"]))
        entry["shadow"] = None if window is None else section(window, shadow)
