"""Statistics of one window against the reference profile: calibrated tests, effect sizes, alarm levels.

The alarm family is every test of the window (age KS + χ², salary KS + χ², gender χ², score KS + χ², Yes
rate z), Bonferroni-corrected to a family false-alarm rate of ALPHA per window. PSI and Jensen–Shannon are
reported next to their no-drift noise floor as effect sizes, never as the alarm rule.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from monitoring import stats
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


def numeric_feature(ref: list[int], cur: np.ndarray) -> dict[str, Any]:
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


def gender_feature(ref: list[int], cur: np.ndarray) -> dict[str, Any]:
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


def score_drift(profile: ReferenceProfile, window: WindowData) -> dict[str, Any]:
    """Drift of the model's output: score histogram (KS + χ²) and the Yes-rate change."""
    ref = profile.score.counts
    result = numeric_feature(ref, window.vector(SCORE, len(ref)))
    no, yes = (int(v) for v in window.vector(DECISION, 2))
    ref_yes = profile.yes_rate * profile.rows
    change, z_p = stats.two_proportion_z(ref_yes, profile.rows, yes, yes + no)
    result["yes_rate"] = yes / (yes + no) if yes + no else float("nan")
    result["reference_yes_rate"] = profile.yes_rate
    result["yes_rate_change"] = change
    result["yes_rate_p_value"] = z_p
    result["p_value"] = min(result["p_value"], _adjusted(z_p))
    result["alarm"] = result["p_value"] < ALPHA
    return result


def data_quality(window: WindowData) -> dict[str, Any]:
    """Rows outside the training range and rejected inputs, per field."""
    outside = window.vector(OUT_OF_RANGE, len(c.NUMERIC_INPUTS)).tolist()
    rejected = window.vector(REJECTED, len(REJECT_FIELDS)).tolist()
    return {
        "out_of_training_range": dict(zip(c.NUMERIC_INPUTS, outside, strict=True)),
        "rejected": dict(zip(REJECT_FIELDS, rejected, strict=True)),
    }


def evaluate(profile: ReferenceProfile, window: WindowData, previous_warning: bool = False) -> dict[str, Any]:
    """The window's JSON entry: features, score, quality, data quality and the alarm level."""
    entry: dict[str, Any] = {
        "start": window.start,
        "end": window.end,
        "rows": window.rows,
        "model_version": window.model_version,
        "data_quality": data_quality(window),
    }
    if window.rows < MIN_ROWS:
        entry |= {
            "status": "insufficient",
            "features": {},
            "score": {},
            "level": "none",
            "warning": False,
            "paging": False,
            "quality": quality(window, profile),
        }
        return entry
    features = {}
    for name in c.NUMERIC_INPUTS:
        ref = profile.numeric[name].counts
        features[name] = numeric_feature(ref, window.vector(name, len(ref)))
        features[name]["edges"] = list(profile.numeric[name].edges)  # the report labels bins with these
    genders = [profile.gender[g] for g in c.GENDERS]
    features[c.GENDER] = gender_feature(genders, window.vector(GENDER_SERIES, 2))
    score = score_drift(profile, window)
    score["edges"] = list(profile.score.edges)
    warning = any(f["alarm"] for f in features.values()) or score["alarm"]
    paging = warning and previous_warning
    entry |= {
        "status": "evaluated",
        "features": features,
        "score": score,
        "quality": quality(window, profile),
        "input_drift": any(f["alarm"] for f in features.values()),
        "warning": warning,
        "paging": paging,
        "level": "page" if paging else "warning" if warning else "none",
        "alpha": ALPHA,
        "tests": TESTS,
    }
    return entry


def evaluate_series(profile: ReferenceProfile, windows: list[WindowData]) -> list[dict[str, Any]]:
    """Evaluate windows in time order; paging needs a warning in the previous window of the same model."""
    results: list[dict[str, Any]] = []
    previous: dict[str, tuple[int, bool]] = {}
    for window in sorted(windows, key=lambda w: (w.start, w.model_version)):
        last = previous.get(window.model_version)
        consecutive = last is not None and last[0] == window.start - (window.end - window.start) and last[1]
        entry = evaluate(profile, window, consecutive)
        previous[window.model_version] = (window.start, entry["warning"])
        results.append(entry)
    return results
