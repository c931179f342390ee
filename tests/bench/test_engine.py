"""In-process engine comparison on a tiny stand-in model, and the stand-in's ONNX fidelity."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from bench.apps.alternative import load_pipeline
from bench.apps.stand_in import synthetic_customers
from bench.engine import compare, onnx_feed, rows_per_second, session, time_calls


def test_time_calls_is_bounded_by_count() -> None:
    calls: list[int] = []
    timing = time_calls(lambda: calls.append(1), max_calls=7, max_seconds=60, warmup=2)
    assert timing["calls"] == 7 and len(calls) == 9


def test_time_calls_reports_the_median_and_the_90th_percentile() -> None:
    """Eight instant calls and two of 20 ms: the median is an instant call, the p90 a slow one."""
    sleeps = iter([0.0] * 4 + [0.02] * 2 + [0.0] * 4)
    timing = time_calls(lambda: time.sleep(next(sleeps)), max_calls=10, max_seconds=60, warmup=0)
    assert timing["calls"] == 10
    assert 0 < timing["median_us"] < 20_000 <= timing["p90_us"]


def test_time_calls_is_bounded_by_time() -> None:
    timing = time_calls(lambda: None, max_calls=10**9, max_seconds=0.05, warmup=0)
    assert 3 <= timing["calls"] < 10**9


def test_rows_per_second_divides_rows_by_elapsed_time() -> None:
    result = rows_per_second(lambda: None, 1000)
    assert result["rows"] == 1000 and result["rows_per_s"] > 0


def test_stand_in_onnx_mostly_agrees_with_scikit_learn(stand_ins: tuple[Path, Path]) -> None:
    """skl2onnx stores tree thresholds as float32, so a few rows near a split may differ: a stand-in only."""
    joblib_path, onnx_path = stand_ins
    frame, _ = synthetic_customers(200, seed=3)
    expected = load_pipeline(joblib_path).predict_proba(frame)
    (got,) = session(onnx_path).run(["probabilities"], onnx_feed(frame))
    assert got.shape == (200, 2)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-6)
    assert np.mean(np.abs(got[:, 1] - expected[:, 1]) <= 1e-6) >= 0.8


def test_compare_reports_both_engines_and_speedups(stand_ins: tuple[Path, Path]) -> None:
    joblib_path, onnx_path = stand_ins
    results = compare(onnx_path, joblib_path, bulk_rows=500, quick=True)
    assert set(results["single_row"]) == set(results["bulk"]) == {"onnxruntime", "sklearn"}
    assert results["bulk"]["sklearn"]["rows"] == 500
    assert results["single_row_speedup"] > 0 and results["sklearn_estimator"] == "RandomForestClassifier"
    assert "1 intra-op" in results["session_options"]


@pytest.mark.parametrize(("quick", "rounds", "duration"), [(True, 1, 2.0), (False, 3, 10.0)])
def test_plan_follows_the_mode(quick: bool, rounds: int, duration: float) -> None:
    from bench.run import parse_args, plan_from

    plan = plan_from(parse_args(["--quick"] if quick else []))
    assert (plan.rounds, plan.duration_s, plan.connections) == (rounds, duration, 16)
    assert plan.batch_size == (500 if quick else 10_000)
