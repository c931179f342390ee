"""Threshold policies: parsing, the choice on out-of-fold predictions, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from training import train
from training.errors import ConfigError
from training.threshold import GRID, Policy, choose_threshold, parse_policy, sweep


@pytest.fixture(scope="module")
def predictions() -> tuple[np.ndarray, np.ndarray]:
    """Noisy but informative P(buy) for 2,000 labelled rows."""
    rng = np.random.default_rng(5)
    y = (rng.random(2000) < 0.4).astype(int)
    proba = np.clip(0.35 * y + rng.normal(0.35, 0.18, 2000), 0, 1)
    return y, proba


def _precision_recall(y: np.ndarray, proba: np.ndarray, threshold: float) -> tuple[float, float]:
    yes = proba >= threshold
    tp = int((yes & (y == 1)).sum())
    return tp / max(int(yes.sum()), 1), tp / int(y.sum())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.6", Policy("fixed", 0.6)),
        (" 0.35 ", Policy("fixed", 0.35)),
        ("max-f1", Policy("max-f1")),
        ("MAX-F1", Policy("max-f1")),
        ("precision>=0.8", Policy("precision", 0.8)),
        ("recall >= .9", Policy("recall", 0.9)),
        ("profit", Policy("profit")),
    ],
)
def test_valid_policies_parse(text: str, expected: Policy) -> None:
    assert parse_policy(text) == expected


@pytest.mark.parametrize(
    "text", ["0", "1", "1.5", "-0.2", "nan", "abc", "precision>=0", "recall>=1.2", "f1", ""]
)
def test_invalid_policies_are_refused_with_the_value_in_the_message(text: str) -> None:
    with pytest.raises(ConfigError, match="--threshold"):
        parse_policy(text)


def test_fixed_threshold_is_returned_unchanged(predictions: tuple[np.ndarray, np.ndarray]) -> None:
    assert choose_threshold(Policy("fixed", 0.42), *predictions) == 0.42


def test_max_f1_picks_the_grid_threshold_with_the_best_f1(predictions: tuple[np.ndarray, np.ndarray]) -> None:
    y, proba = predictions
    chosen = choose_threshold(Policy("max-f1"), y, proba)
    f1 = {}
    for t in GRID:
        precision, recall = _precision_recall(y, proba, float(t))
        f1[float(t)] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    assert f1[chosen] == pytest.approx(max(f1.values()))


def test_precision_bound_is_met_with_the_lowest_such_threshold(
    predictions: tuple[np.ndarray, np.ndarray],
) -> None:
    y, proba = predictions
    chosen = choose_threshold(Policy("precision", 0.8), y, proba)
    assert _precision_recall(y, proba, chosen)[0] >= 0.8
    assert _precision_recall(y, proba, round(chosen - 0.01, 2))[0] < 0.8


def test_recall_bound_is_met_with_the_highest_such_threshold(
    predictions: tuple[np.ndarray, np.ndarray],
) -> None:
    y, proba = predictions
    chosen = choose_threshold(Policy("recall", 0.9), y, proba)
    assert _precision_recall(y, proba, chosen)[1] >= 0.9
    assert _precision_recall(y, proba, round(chosen + 0.01, 2))[1] < 0.9


def test_profit_threshold_falls_as_true_positives_get_more_valuable(
    predictions: tuple[np.ndarray, np.ndarray],
) -> None:
    y, proba = predictions
    cheap = choose_threshold(Policy("profit"), y, proba, gain_tp=1.0, cost_fp=5.0)
    valuable = choose_threshold(Policy("profit"), y, proba, gain_tp=5.0, cost_fp=1.0)
    assert valuable < cheap
    table = sweep(y, proba)
    profits = 5.0 * np.array(table["tp"]) - 1.0 * np.array(table["fp"])
    assert profits[table["threshold"].index(valuable)] == profits.max()


def test_profit_without_gain_and_cost_is_refused(predictions: tuple[np.ndarray, np.ndarray]) -> None:
    with pytest.raises(ConfigError, match="--gain-tp"):
        choose_threshold(Policy("profit"), *predictions)


def test_unreachable_precision_is_a_clear_error() -> None:
    y = np.array([0, 1] * 50)
    with pytest.raises(ConfigError, match=r"no threshold reaches precision>=0\.99"):
        choose_threshold(Policy("precision", 0.99), y, np.full(100, 0.5))


def test_sweep_reports_share_predicted_yes(predictions: tuple[np.ndarray, np.ndarray]) -> None:
    y, proba = predictions
    table = sweep(y, proba)
    assert table["share_yes"][0] >= table["share_yes"][-1]
    index = table["threshold"].index(0.5)
    assert table["share_yes"][index] == pytest.approx(float((proba >= 0.5).mean()), abs=1e-6)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--threshold", "2"], "strictly between 0 and 1"),
        (["--threshold", "precision>=x"], "--threshold"),
        (["--threshold", "profit"], "--gain-tp and --cost-fp"),
        (["--threshold", "profit", "--gain-tp", "1"], "--gain-tp and --cost-fp"),
        (["--gain-tp", "-1"], "must be >= 0"),
        (["--model", "svm"], "invalid choice"),
        (["--calibration", "platt"], "invalid choice"),
        (["--cv-repeats", "0"], "must be >= 1"),
        (["--seed", "1.5"], "whole number"),
        (["--unknown"], "unrecognized arguments"),
    ],
)
def test_cli_refuses_invalid_flags_with_exit_code_2(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        train.parse_args(flags)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
