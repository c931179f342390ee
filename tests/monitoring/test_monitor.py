"""The monitor on real stores (a SQLite file and a PostgreSQL server): exact counts, feedback, realized
metrics equal to scikit-learn's, labels credited to the prediction's own window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, precision_score, recall_score, roc_auc_score

from monitoring.monitor import FeedbackError, Monitor
from monitoring.profile import ReferenceProfile
from monitoring.quality import realized
from monitoring.store import Store
from monitoring.tokens import TokenSigner
from monitoring.window import DECISION, GENDER_SERIES, ROWS, SCORE
from runtime.predictor import Predictor
from tests.monitoring.conftest import customers

WINDOW = 3600


class Clock:
    """A settable clock."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store of each kind."""
    if request.param == "sqlite":
        target = str(tmp_path / "monitor.sqlite3")
    else:
        url = request.getfixturevalue("postgres_url")
        target = url
        created = Store(url)
        with created._tx() as cur:
            cur.execute("TRUNCATE monitor_counts, monitor_sums, monitor_receipts")
        created.close()
    opened = Store(target)
    yield opened
    opened.close()


def make_monitor(predictor: Predictor, profile: ReferenceProfile, store: Store, clock: Clock) -> Monitor:
    """A monitor with a fixed key and a settable clock."""
    return Monitor(
        profile,
        store,
        TokenSigner(b"k" * 32, ttl_s=86_400),
        predictor.model_version,
        predictor.threshold,
        predictor.metadata.training_ranges,
        WINDOW,
        clock=clock,
    )


def test_counts_in_the_store_equal_what_was_observed(
    committed: Predictor, profile: ReferenceProfile, store: Store
) -> None:
    clock = Clock(1_000_000.0)
    monitor = make_monitor(committed, profile, store, clock)
    data = customers(np.random.default_rng(5), 300)
    p = committed.probabilities(data.age, data.salary, data.gender)
    for i in range(100):
        monitor.observe_one(data.age[i], data.salary[i], data.gender[i], float(p[i]), bool(p[i] >= 0.6))
    monitor.observe_many((data.age[100:], data.salary[100:], data.gender[100:]), p[100:])
    monitor.flush()
    (window,) = store.windows(10)
    assert window.rows == 300
    expected_age = np.bincount(
        profile.numeric["age"].indices(data.age), minlength=len(profile.numeric["age"].counts)
    )
    assert window.vector("age", len(expected_age)).tolist() == expected_age.tolist()
    expected_score = np.bincount(profile.score.indices(p), minlength=len(profile.score.counts))
    assert window.vector(SCORE, len(expected_score)).tolist() == expected_score.tolist()
    assert window.vector(GENDER_SERIES, 2).tolist() == [
        int((data.gender == "Female").sum()),
        int((data.gender == "Male").sum()),
    ]
    assert window.vector(DECISION, 2)[1] == int((p >= committed.threshold).sum())
    assert window.total(ROWS) == 300


def test_feedback_gives_scikit_learns_metrics_in_the_predictions_window(
    committed: Predictor, profile: ReferenceProfile, store: Store
) -> None:
    clock = Clock(2_000_000.0)
    monitor = make_monitor(committed, profile, store, clock)
    data = customers(np.random.default_rng(9), 400)
    p = committed.probabilities(data.age, data.salary, data.gender)
    tokens = monitor.observe_many((data.age, data.salary, data.gender), p)
    monitor.flush()
    clock.now += 2 * WINDOW  # labels arrive two windows later
    assert monitor.feedback([(t, bool(y)) for t, y in zip(tokens, data.purchased, strict=True)]) == 400
    windows = store.windows(10)
    assert [w.start for w in windows] == [int(2_000_000 // WINDOW) * WINDOW]
    real = realized(windows[0])
    y, decided = data.purchased, (p >= committed.threshold).astype(int)
    assert real["labels"] == 400 and real["coverage"] == 1.0
    assert real["precision"] == pytest.approx(precision_score(y, decided), abs=1e-12)
    assert real["recall"] == pytest.approx(recall_score(y, decided), abs=1e-12)
    assert real["brier"] == pytest.approx(brier_score_loss(y, p), abs=1e-12)
    assert real["roc_auc"] == pytest.approx(roc_auc_score(y, np.round(p, 4)), abs=1e-12)
    low, high = real["roc_auc_ci"]
    assert low < real["roc_auc"] < high


def test_feedback_rejects_tampered_expired_and_replayed_tokens(
    committed: Predictor, profile: ReferenceProfile, store: Store
) -> None:
    clock = Clock(3_000_000.0)
    monitor = make_monitor(committed, profile, store, clock)
    token = monitor.observe_one(40.0, 60_000.0, "Male", 0.3, False)
    other = monitor.observe_one(41.0, 61_000.0, "Female", 0.7, True)
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    for bad in (tampered, "not a token", 42):
        with pytest.raises(FeedbackError) as error:
            monitor.feedback([(bad, True)])
        assert error.value.status == 400
    assert monitor.feedback([(token, True)]) == 1
    with pytest.raises(FeedbackError) as error:
        monitor.feedback([(other, False), (token, False)])
    assert (error.value.status, error.value.index) == (409, 1)
    assert monitor.feedback([(other, False)]) == 1  # the rejected request kept nothing
    clock.now += 86_401
    late = make_monitor(committed, profile, store, Clock(clock.now - 86_401)).observe_one(
        30.0, 1.0, "Male", 0.1, False
    )
    with pytest.raises(FeedbackError) as error:
        monitor.feedback([(late, True)])
    assert error.value.status == 410
    foreign = Monitor(
        profile,
        store,
        TokenSigner(b"x" * 32, 86_400),
        "v",
        0.6,
        committed.metadata.training_ranges,
        WINDOW,
        clock=clock,
    ).observe_one(30.0, 1.0, "Male", 0.1, False)
    with pytest.raises(FeedbackError) as error:
        monitor.feedback([(foreign, True)])
    assert error.value.status == 400


@pytest.mark.parametrize(("intercept_shift", "flagged"), [(0.0, False), (-1.5, True)])
def test_concept_drift_flag_needs_labels_that_disagree_with_the_estimate(
    committed: Predictor, profile: ReferenceProfile, intercept_shift: float, flagged: bool
) -> None:
    clock = Clock(4_000_000.0)
    monitor = make_monitor(committed, profile, Store(":memory:"), clock)
    data = customers(np.random.default_rng(17), 3000, intercept_shift=intercept_shift)
    p = committed.probabilities(data.age, data.salary, data.gender)
    tokens = monitor.observe_many((data.age, data.salary, data.gender), p)
    monitor.feedback([(t, bool(y)) for t, y in zip(tokens, data.purchased, strict=True)])
    (entry,) = monitor.drift()["windows"]
    assert entry["quality"]["concept_drift"] is flagged
