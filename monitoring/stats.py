"""Two-sample tests and effect sizes on binned counts, NumPy and the standard library only.

p-values are closed-form (χ² survival by the erfc/exp recurrence, the asymptotic Kolmogorov series); both
agree with scipy to about 1e-13 (tests/monitoring/test_stats.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Counts = Sequence[int] | npt.NDArray[np.int64] | npt.NDArray[np.float64]
PSI_FLOOR = 1e-4  # share given to empty bins when computing PSI


def chi2_sf(x: float, dof: int) -> float:
    """P(X > x) for X ~ χ²(dof) with an integer dof."""
    if dof < 1:
        return 1.0
    if x <= 0:
        return 1.0
    q = math.erfc(math.sqrt(x / 2)) if dof % 2 else math.exp(-x / 2)
    k = 1 if dof % 2 else 2
    while k < dof:
        q += math.exp((k / 2) * math.log(x / 2) - x / 2 - math.lgamma(k / 2 + 1))
        k += 2
    return min(q, 1.0)


def kolmogorov_sf(lam: float) -> float:
    """Asymptotic P(sqrt(effective n) * D > lam), the Kolmogorov distribution's survival function."""
    if lam < 0.2:
        return 1.0
    total = sum((-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101))
    return max(0.0, min(1.0, 2 * total))


def ks_from_counts(ref: Counts, cur: Counts) -> tuple[float, float]:
    """Two-sample KS statistic at the bin edges and its asymptotic p-value."""
    r, c = np.asarray(ref, dtype=np.float64), np.asarray(cur, dtype=np.float64)
    n, m = r.sum(), c.sum()
    if n == 0 or m == 0:
        return 0.0, 1.0
    d = float(np.max(np.abs(np.cumsum(r) / n - np.cumsum(c) / m)))
    return d, kolmogorov_sf(d * math.sqrt(n * m / (n + m)))


def chi2_homogeneity(ref: Counts, cur: Counts) -> tuple[float, float]:
    """Pearson χ² test that two count vectors come from one distribution (no continuity correction)."""
    table = np.vstack([np.asarray(ref, dtype=np.float64), np.asarray(cur, dtype=np.float64)])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or table.sum(axis=1).min() == 0:
        return 0.0, 1.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    stat = float(((table - expected) ** 2 / expected).sum())
    return stat, chi2_sf(stat, table.shape[1] - 1)


def two_proportion_z(yes_ref: float, n_ref: float, yes_cur: float, n_cur: float) -> tuple[float, float]:
    """Change in a proportion (current minus reference) and its pooled two-sided z-test p-value."""
    if n_ref == 0 or n_cur == 0:
        return 0.0, 1.0
    p_ref, p_cur = yes_ref / n_ref, yes_cur / n_cur
    pooled = (yes_ref + yes_cur) / (n_ref + n_cur)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_ref + 1 / n_cur))
    if se == 0:
        return p_cur - p_ref, 1.0
    return p_cur - p_ref, math.erfc(abs(p_cur - p_ref) / se / math.sqrt(2))


def psi(ref: Counts, cur: Counts) -> tuple[float, float]:
    """Population stability index and its no-drift noise floor (B-1)(1/n + 1/m)."""
    r, c = np.asarray(ref, dtype=np.float64), np.asarray(cur, dtype=np.float64)
    if r.sum() == 0 or c.sum() == 0:
        return 0.0, 0.0
    p, q = np.maximum(r / r.sum(), PSI_FLOOR), np.maximum(c / c.sum(), PSI_FLOOR)
    return float(np.sum((q - p) * np.log(q / p))), (len(r) - 1) * (1 / r.sum() + 1 / c.sum())


def jensen_shannon(ref: Counts, cur: Counts) -> tuple[float, float]:
    """Jensen–Shannon divergence (natural log) and its approximate no-drift noise floor (B-1)(1/n+1/m)/8."""
    r, c = np.asarray(ref, dtype=np.float64), np.asarray(cur, dtype=np.float64)
    if r.sum() == 0 or c.sum() == 0:
        return 0.0, 0.0
    p, q = r / r.sum(), c / c.sum()
    mid = (p + q) / 2

    def kl(a: npt.NDArray[np.float64]) -> float:
        mask = a > 0
        return float(np.sum(a[mask] * np.log(a[mask] / mid[mask])))

    return (kl(p) + kl(q)) / 2, (len(r) - 1) * (1 / r.sum() + 1 / c.sum()) / 8


def merge_pairs(counts: Counts) -> npt.NDArray[np.float64]:
    """Adjacent bins summed in pairs (20 fine bins -> 10 for the χ² test); an odd last bin stays alone."""
    arr = np.asarray(counts, dtype=np.float64)
    if len(arr) % 2:
        arr = np.append(arr, 0.0)
    return arr.reshape(-1, 2).sum(axis=1)


def wilson(successes: float, trials: float, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion (0, 1 when there are no trials)."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)
