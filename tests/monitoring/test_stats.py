"""The NumPy statistics against scipy, and the reference profile's privacy floor."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sp

from monitoring import stats
from monitoring.profile import MIN_BIN_COUNT, ReferenceProfile, binned, merge_small, quantile_edges


def test_chi2_sf_matches_scipy_on_a_grid() -> None:
    worst = max(
        abs(stats.chi2_sf(x, dof) - sp.chi2.sf(x, dof))
        for dof in range(1, 25)
        for x in np.linspace(0.01, 80, 200)
    )
    assert worst < 1e-12


def test_kolmogorov_sf_matches_scipy() -> None:
    worst = max(abs(stats.kolmogorov_sf(x) - sp.kstwobign.sf(x)) for x in np.linspace(0.2, 3, 300))
    assert worst < 1e-12


def test_ks_from_counts_equals_raw_ks_when_edges_separate_every_value() -> None:
    rng = np.random.default_rng(3)
    ref, cur = rng.integers(18, 61, 320), rng.integers(20, 63, 700)
    edges = np.arange(17.5, 64, 1.0)
    r = np.bincount(np.searchsorted(edges, ref), minlength=len(edges) + 1)
    c = np.bincount(np.searchsorted(edges, cur), minlength=len(edges) + 1)
    d, _ = stats.ks_from_counts(r, c)
    assert d == pytest.approx(sp.ks_2samp(ref, cur).statistic, abs=1e-12)


def test_chi2_homogeneity_equals_scipy_contingency() -> None:
    ref, cur = np.array([30, 41, 25, 60, 12]), np.array([100, 90, 130, 170, 40])
    stat, p = stats.chi2_homogeneity(ref, cur)
    expected = sp.chi2_contingency(np.vstack([ref, cur]), correction=False)
    assert stat == pytest.approx(expected.statistic, rel=1e-12)
    assert p == pytest.approx(expected.pvalue, rel=1e-10)


def test_psi_by_hand_and_its_noise_floor() -> None:
    ref, cur = np.array([50, 50]), np.array([30, 70])
    value, floor = stats.psi(ref, cur)
    assert value == pytest.approx((0.3 - 0.5) * np.log(0.3 / 0.5) + (0.7 - 0.5) * np.log(0.7 / 0.5))
    assert floor == pytest.approx(1 * (1 / 100 + 1 / 100))


def test_wilson_interval_matches_scipy() -> None:
    expected = sp.binomtest(30, 100).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = stats.wilson(30, 100, z=sp.norm.ppf(0.975))
    assert (low, high) == pytest.approx((expected.low, expected.high), abs=1e-12)


def test_integer_ages_give_distinct_edges_between_values() -> None:
    ages = np.random.default_rng(1).integers(18, 61, 320).astype(float)
    edges = quantile_edges(ages, 20)
    assert edges == sorted(set(edges))
    assert all(e % 1 == 0.5 for e in edges)


def test_small_bins_are_merged_until_every_bin_has_the_minimum() -> None:
    edges, counts = merge_small([1.0, 2.0, 3.0, 4.0], [3, 20, 2, 15, 30], 10)
    assert min(counts) >= 10 and sum(counts) == 70 and len(edges) == len(counts) - 1
    heavy = binned(np.r_[np.full(200, 15_000.0), np.linspace(16_000, 150_000, 120)], 20)
    assert min(heavy.counts) >= MIN_BIN_COUNT


def test_committed_profile_is_k_anonymous_and_complete(profile: ReferenceProfile) -> None:
    for b in (*profile.numeric.values(), profile.score):
        assert min(b.counts) >= MIN_BIN_COUNT
        assert sum(b.counts) == profile.rows
    assert sum(profile.gender.values()) == profile.rows == 320
    assert set(profile.metrics) >= {"precision", "recall", "brier", "roc_auc"}
