"""The reference profile: k-anonymous bins of the training inputs and out-of-fold scores, built and parsed.

Made at training time (training/reference_profile.py calls `build_profile`), carried as JSON in the ONNX
metadata under `reference_profile`, read back by `parse_profile`. Bins are (-inf, e1], (e1, e2], ...,
(ek, +inf); every bin holds at least MIN_BIN_COUNT training rows, and every edge lies midway between two
distinct training values, so no single customer's value appears in the profile.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt

from runtime import contract as c

PROFILE_VERSION = 1
FEATURE_BINS = 20  # KS runs on these; χ² on adjacent pairs (10 bins)
SCORE_BINS = 10
MIN_BIN_COUNT = 10


class ProfileError(ValueError):
    """The model carries no usable reference profile."""


@dataclass(frozen=True)
class Binned:
    """Interior edges and the reference's count per bin (len(counts) == len(edges) + 1)."""

    edges: list[float]
    counts: list[int]

    def index(self, value: float) -> int:
        """The bin a value falls in."""
        return bisect.bisect_left(self.edges, value)

    def indices(self, values: npt.ArrayLike) -> npt.NDArray[np.intp]:
        """The bins of many values at once."""
        return np.searchsorted(np.asarray(self.edges, dtype=np.float64), np.asarray(values), side="left")


@dataclass(frozen=True)
class ReferenceProfile:
    """Everything monitoring compares a window with; parsed from the model metadata."""

    rows: int
    numeric: dict[str, Binned]
    gender: dict[str, int]
    score: Binned
    yes_rate: float
    threshold: float
    metrics: dict[str, float]  # cross-validated performance baseline
    estimated: dict[str, float]  # label-free estimates on the out-of-fold scores (CBPE)
    min_bin_count: int = MIN_BIN_COUNT
    extra: dict[str, Any] = field(default_factory=dict)


def quantile_edges(values: npt.ArrayLike, bins: int) -> list[float]:
    """Interior edges at quantiles, midway between distinct values (ties-safe, deduplicated)."""
    arr = np.sort(np.asarray(values, dtype=np.float64))
    qs = np.quantile(arr, np.linspace(0, 1, bins + 1)[1:-1], method="lower")
    distinct = np.unique(arr)
    nxt = np.searchsorted(distinct, qs, side="right")
    keep = nxt < len(distinct)
    return [float(e) for e in np.unique((qs[keep] + distinct[nxt[keep]]) / 2.0)]


def merge_small(edges: list[float], counts: list[int], minimum: int) -> tuple[list[float], list[int]]:
    """Drop edges until every bin holds at least `minimum` rows (small bins join their smaller neighbour)."""
    edges, counts = list(edges), list(counts)
    while len(counts) > 1 and min(counts) < minimum:
        i = counts.index(min(counts))
        if i == 0:
            j = 1
        elif i == len(counts) - 1:
            j = i - 1
        else:
            j = i - 1 if counts[i - 1] <= counts[i + 1] else i + 1
        low = min(i, j)
        counts[low : low + 2] = [counts[i] + counts[j]]
        del edges[low]
    return edges, counts


def binned(values: npt.ArrayLike, bins: int, minimum: int = MIN_BIN_COUNT) -> Binned:
    """Quantile bins of `values` with at least `minimum` values each."""
    arr = np.asarray(values, dtype=np.float64)
    edges = quantile_edges(arr, bins)
    counts = np.bincount(np.searchsorted(edges, arr, side="left"), minlength=len(edges) + 1)
    kept, merged = merge_small(edges, [int(n) for n in counts], minimum)
    return Binned(kept, merged)


def estimates(scores: npt.ArrayLike, threshold: float) -> dict[str, float]:
    """Label-free precision, recall, accuracy and Brier expected from calibrated probabilities (CBPE)."""
    p = np.asarray(scores, dtype=np.float64)
    return cbpe(*cbpe_sums(p, threshold))


def cbpe_sums(p: npt.NDArray[np.float64], threshold: float) -> tuple[float, float, float, float, float]:
    """(n_yes, Σp over Yes, n_no, Σp over No, Σp(1-p)): the running sums CBPE needs."""
    yes = p >= threshold
    return (
        float(yes.sum()),
        float(p[yes].sum()),
        float((~yes).sum()),
        float(p[~yes].sum()),
        float((p * (1 - p)).sum()),
    )


def cbpe(n_yes: float, sum_yes: float, n_no: float, sum_no: float, sum_var: float) -> dict[str, float]:
    """Expected precision, recall, accuracy and Brier from the CBPE sums (NaN where undefined)."""
    tp, fp, fn, tn = sum_yes, n_yes - sum_yes, sum_no, n_no - sum_no
    n = n_yes + n_no
    nan = float("nan")
    return {
        "precision": tp / (tp + fp) if tp + fp > 0 else nan,
        "recall": tp / (tp + fn) if tp + fn > 0 else nan,
        "accuracy": (tp + tn) / n if n > 0 else nan,
        "brier": sum_var / n if n > 0 else nan,
    }


class BinnedCounts(TypedDict):
    """A binned series in the profile's JSON: interior edges and the count per bin."""

    edges: list[float]
    counts: list[int]


class ScoreCounts(BinnedCounts):
    """The out-of-fold score histogram, with where its scores come from."""

    source: str


class ProfileDocument(TypedDict):
    """The reference profile as the model metadata carries it (`reference_profile`), read by parse_profile."""

    version: int
    rows: int
    min_bin_count: int
    numeric: dict[str, BinnedCounts]
    gender: dict[str, int]
    score: ScoreCounts
    yes_rate: float
    threshold: float
    metrics: dict[str, float]
    estimated: dict[str, float]


def build_profile(
    features: Mapping[str, npt.ArrayLike],
    oof_scores: npt.ArrayLike,
    threshold: float,
    cv_metrics: Mapping[str, float],
) -> ProfileDocument:
    """The profile as a JSON-ready dict from the training rows, their out-of-fold scores and CV metrics."""
    genders = [str(g) for g in np.asarray(features[c.GENDER], dtype=object)]
    scores = np.asarray(oof_scores, dtype=np.float64)
    numeric: dict[str, BinnedCounts] = {}
    for name in c.NUMERIC_INPUTS:
        b = binned(features[name], FEATURE_BINS)
        numeric[name] = {"edges": b.edges, "counts": b.counts}
    score = binned(scores, SCORE_BINS)
    baseline = {
        k: float(cv_metrics[k])
        for k in ("precision", "recall", "accuracy", "brier", "roc_auc")
        if k in cv_metrics
    }
    return {
        "version": PROFILE_VERSION,
        "rows": len(genders),
        "min_bin_count": MIN_BIN_COUNT,
        "numeric": numeric,
        "gender": {g: genders.count(g) for g in c.GENDERS},
        "score": {"edges": score.edges, "counts": score.counts, "source": "out-of-fold"},
        "yes_rate": float(np.mean(scores >= threshold)),
        "threshold": float(threshold),
        "metrics": baseline,
        "estimated": estimates(scores, threshold),
    }


def _binned(raw: dict[str, Any]) -> Binned:
    """One binned series from its JSON form."""
    return Binned([float(e) for e in raw["edges"]], [int(k) for k in raw["counts"]])


def parse_profile(text: str | None) -> ReferenceProfile:
    """Read the metadata entry back, or raise ProfileError naming what is wrong."""
    if not text:
        raise ProfileError("the model has no reference_profile metadata (re-export it with this version)")
    try:
        raw = json.loads(text)
        if raw["version"] != PROFILE_VERSION:
            raise ProfileError(f"reference_profile version {raw['version']!r} is not supported")
        numeric = {n: _binned(raw["numeric"][n]) for n in c.NUMERIC_INPUTS}
        score = _binned(raw["score"])
        for b in (*numeric.values(), score):
            if len(b.counts) != len(b.edges) + 1 or b.edges != sorted(b.edges):
                raise ProfileError("reference_profile bins are inconsistent")
        return ReferenceProfile(
            rows=int(raw["rows"]),
            numeric=numeric,
            gender={g: int(raw["gender"][g]) for g in c.GENDERS},
            score=score,
            yes_rate=float(raw["yes_rate"]),
            threshold=float(raw["threshold"]),
            metrics={k: float(v) for k, v in raw.get("metrics", {}).items()},
            estimated={k: float(v) for k, v in raw.get("estimated", {}).items()},
            min_bin_count=int(raw.get("min_bin_count", MIN_BIN_COUNT)),
        )
    except ProfileError:
        raise
    except (ValueError, KeyError, TypeError):
        raise ProfileError("the model's reference_profile metadata is not a valid profile") from None
