"""Statistics of one window against the reference profile: calibrated tests, effect sizes, alarm levels.

The alarm family is every test of the window (age KS + χ², salary KS + χ², gender χ², score KS + χ², Yes
rate z), Bonferroni-corrected to a family false-alarm rate of ALPHA per window. PSI and Jensen–Shannon are
reported next to their no-drift noise floor as effect sizes, never as the alarm rule.
"""

from __future__ import annotations

import numpy as np

from monitoring import stats
from monitoring.documents import (
    DataQuality,
    DriftDocument,
    DriftWindow,
    EvaluatedWindow,
    GenderDrift,
    HistogramTests,
    InsufficientWindow,
    NumericDrift,
    ScoreDrift,
    ShadowStatus,
)
from monitoring.profile import ReferenceProfile
from monitoring.quality import quality
from monitoring.window import (
    DECISION,
    GENDER_SERIES,
    OUT_OF_RANGE,
    REJECT_FIELDS,
    REJECTED,
    SCORE,
    WindowData,
)
from runtime import contract as c

ALPHA = 0.01  # family-wise false-alarm rate per window
TESTS = 8  # the number of p-values in the family
MIN_ROWS = 20  # smaller windows are reported as insufficient, never alarmed
SMALL_CELL = 5  # the HTML report hides bins with fewer rows


def _adjusted(p: float) -> float:
    """Bonferroni-adjusted p-value."""
    return min(1.0, p * TESTS)


def _histogram_tests(ref: list[int], cur: np.ndarray) -> HistogramTests:
    """KS on the fine bins, χ² on merged pairs, PSI and JS with noise floors."""
    ks_d, ks_p = stats.ks_from_counts(ref, cur)
    chi, chi_p = stats.chi2_homogeneity(stats.merge_pairs(ref), stats.merge_pairs(cur))
    psi, psi_floor = stats.psi(ref, cur)
    js, js_floor = stats.jensen_shannon(ref, cur)
    p_value = _adjusted(min(ks_p, chi_p))
    return {
        "p_value": p_value,
        "alarm": p_value < ALPHA,
        "ks": {"statistic": ks_d, "p_value": ks_p},
        "chi2": {"statistic": chi, "p_value": chi_p},
        "psi": psi,
        "psi_noise_floor": psi_floor,
        "js": js,
        "js_noise_floor": js_floor,
        "reference_counts": list(ref),
        "counts": cur.tolist(),
    }


def numeric_feature(ref: list[int], cur: np.ndarray, edges: list[float]) -> NumericDrift:
    """A numeric input's tests and the reference bins' edges."""
    return {**_histogram_tests(ref, cur), "edges": list(edges)}


def gender_feature(ref: list[int], cur: np.ndarray) -> GenderDrift:
    """χ² on the two genders and the change in the Female share."""
    chi, chi_p = stats.chi2_homogeneity(ref, cur)
    change, _ = stats.two_proportion_z(ref[0], sum(ref), float(cur[0]), float(cur.sum()))
    psi, psi_floor = stats.psi(ref, cur)
    p_value = _adjusted(chi_p)
    return {
        "p_value": p_value,
        "alarm": p_value < ALPHA,
        "chi2": {"statistic": chi, "p_value": chi_p},
        "female_share_change": change,
        "psi": psi,
        "psi_noise_floor": psi_floor,
        "reference_counts": list(ref),
        "counts": cur.tolist(),
    }


def score_drift(profile: ReferenceProfile, window: WindowData) -> ScoreDrift:
    """Drift of the model's output: score histogram (KS + χ²) and the Yes-rate change."""
    ref = profile.score.counts
    tests = _histogram_tests(ref, window.vector(SCORE, len(ref)))
    no, yes = (int(v) for v in window.vector(DECISION, 2))
    ref_yes = profile.yes_rate * profile.rows
    change, z_p = stats.two_proportion_z(ref_yes, profile.rows, yes, yes + no)
    p_value = min(tests["p_value"], _adjusted(z_p))
    return {
        **tests,
        "p_value": p_value,  # keeps its place: first
        "alarm": p_value < ALPHA,
        "yes_rate": yes / (yes + no) if yes + no else float("nan"),
        "reference_yes_rate": profile.yes_rate,
        "yes_rate_change": change,
        "yes_rate_p_value": z_p,
        "edges": list(profile.score.edges),
    }


def data_quality(window: WindowData) -> DataQuality:
    """Rows outside the training range and rejected inputs, per field."""
    outside = window.vector(OUT_OF_RANGE, len(c.NUMERIC_INPUTS)).tolist()
    rejected = window.vector(REJECTED, len(REJECT_FIELDS)).tolist()
    return {
        "out_of_training_range": dict(zip(c.NUMERIC_INPUTS, outside, strict=True)),
        "rejected": dict(zip(REJECT_FIELDS, rejected, strict=True)),
    }


def _insufficient(profile: ReferenceProfile, window: WindowData) -> InsufficientWindow:
    """The entry of a window too small to test."""
    return {
        "start": window.start,
        "end": window.end,
        "rows": window.rows,
        "model_version": window.model_version,
        "data_quality": data_quality(window),
        "status": "insufficient",
        "features": {},
        "score": {},
        "level": "none",
        "warning": False,
        "paging": False,
        "quality": quality(window, profile),
    }


def _evaluated(profile: ReferenceProfile, window: WindowData, previous_warning: bool) -> EvaluatedWindow:
    """The entry of a tested window; it pages when the previous window of its model warned too."""
    features: dict[str, NumericDrift | GenderDrift] = {}
    for name in c.NUMERIC_INPUTS:
        ref = profile.numeric[name].counts
        features[name] = numeric_feature(ref, window.vector(name, len(ref)), profile.numeric[name].edges)
    genders = [profile.gender[g] for g in c.GENDERS]
    features[c.GENDER] = gender_feature(genders, window.vector(GENDER_SERIES, 2))
    score = score_drift(profile, window)
    input_drift = any(f["alarm"] for f in features.values())
    warning = input_drift or score["alarm"]
    paging = warning and previous_warning
    return {
        "start": window.start,
        "end": window.end,
        "rows": window.rows,
        "model_version": window.model_version,
        "data_quality": data_quality(window),
        "status": "evaluated",
        "features": features,
        "score": score,
        "quality": quality(window, profile),
        "input_drift": input_drift,
        "warning": warning,
        "paging": paging,
        "level": "page" if paging else "warning" if warning else "none",
        "alpha": ALPHA,
        "tests": TESTS,
    }


def evaluate(
    profile: ReferenceProfile,
    window: WindowData,
    previous_warning: bool = False,
    *,
    closed: bool | None = None,
    label: str | None = None,
) -> DriftWindow:
    """The window's JSON entry (the one builder): features, score, quality, data quality, alarm level;
    `closed` for a service window, `label` for a file's."""
    entry: DriftWindow = (
        _evaluated(profile, window, previous_warning)
        if window.rows >= MIN_ROWS
        else _insufficient(profile, window)
    )
    if closed is not None:
        entry["closed"] = closed
    if label is not None:
        entry["label"] = label
    return entry


def evaluate_series(
    profile: ReferenceProfile, windows: list[WindowData], now: float | None = None
) -> list[DriftWindow]:
    """Evaluate windows in time order; paging needs a warning in the previous window of the same model.
    With `now`, each entry says whether the window is closed (its end has passed)."""
    results: list[DriftWindow] = []
    previous: dict[str, tuple[int, bool]] = {}
    for window in sorted(windows, key=lambda w: (w.start, w.model_version)):
        last = previous.get(window.model_version)
        consecutive = last is not None and last[0] == window.start - (window.end - window.start) and last[1]
        closed = None if now is None else window.end <= now
        entry = evaluate(profile, window, consecutive, closed=closed)
        previous[window.model_version] = (window.start, entry["warning"])
        results.append(entry)
    return results


def service_document(
    window_seconds: int,
    store: str,
    model_version: str,
    windows: list[DriftWindow],
    shadow: ShadowStatus | None = None,
) -> DriftDocument:
    """The service's drift document (GET /monitoring/drift): its last windows, newest last, and this
    worker's shadow model (None without one)."""
    return {
        "window_seconds": window_seconds,
        "store": store,
        "model_version": model_version,
        "windows": windows,
        "shadow": shadow,
    }


def file_document(source: str, model_version: str, window: DriftWindow) -> DriftDocument:
    """A file's drift document (`python -m monitoring.drift`, batch `--drift`): its one window."""
    return {"source": source, "store": "file", "model_version": model_version, "windows": [window]}
