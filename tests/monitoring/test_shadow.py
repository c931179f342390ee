"""Shadow counting without a server: rows scored one by one and in batches, drained into a store, give the
section computed offline from the two models; the section picks the scoring candidate's counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from monitoring.profile import ReferenceProfile
from monitoring.shadow import DIFF_SCALE, Shadow, add_sections, section
from monitoring.store import Store
from monitoring.window import window_start
from runtime.predictor import Predictor
from tests.onnx_factory import write_model

WINDOW_S = 3600
NOW = 1_800_000_000.0


def _columns(seed: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (
        rng.integers(17, 70, n).astype(float),
        np.round(rng.uniform(12_000, 155_000, n), 2),
        rng.choice(np.array(["Female", "Male"], dtype=object), n),
    )


def test_one_by_one_and_batched_rows_give_the_offline_numbers(
    committed: Predictor, profile: ReferenceProfile, predictor: Predictor
) -> None:
    live, shadow = predictor, Shadow(committed, profile)
    age, salary, gender = _columns(3, 300)
    start = window_start(NOW, WINDOW_S)
    p = live.probabilities(age, salary, gender)
    for i in range(100):
        shadow.observe_one(
            start, float(age[i]), float(salary[i]), str(gender[i]), float(p[i]), p[i] >= live.threshold
        )
    shadow.observe_many(start, (age[100:], salary[100:], gender[100:]), p[100:], live.threshold)
    store = Store(":memory:")
    store.add(*shadow.drain(WINDOW_S, live.model_version))
    (window,) = store.windows(5)
    assert window.model_version == live.model_version and window.start == start
    got = section(window, shadow)
    assert got is not None
    q = committed.probabilities(age, salary, gender)
    diff = np.abs(q - p)
    assert got["model_version"] == committed.model_version and got["rows"] == 300
    assert got["agreement"] == np.mean((q >= committed.threshold) == (p >= live.threshold))
    assert got["mean_abs_diff"] == pytest.approx(diff.mean(), rel=0, abs=1e-12)
    assert got["max_abs_diff"] == np.floor(diff.max() * DIFF_SCALE + 0.5) / DIFF_SCALE
    assert got["yes_rate"] == np.mean(q >= committed.threshold)
    assert got["live_yes_rate"] == np.mean(p >= live.threshold)
    assert got["score"] is not None and sum(got["score"]["counts"]) == 300
    assert got["score"]["yes_rate"] == got["yes_rate"]
    entries = [{"start": start, "model_version": live.model_version}, {"start": 0, "model_version": "x"}]
    add_sections(entries, [window], shadow)  # type: ignore[arg-type]  # the two keys it reads
    assert entries[0]["shadow"] == got and entries[1]["shadow"] is None


def test_the_section_is_the_scoring_candidates_and_none_without_shadow_rows(
    committed: Predictor, profile: ReferenceProfile, predictor: Predictor, tmp_path: Path
) -> None:
    other = Predictor.from_path(write_model(tmp_path / "o.onnx", {"model_version": "logreg-other0001"}))
    first, second = Shadow(committed, profile), Shadow(other, None)
    age, salary, gender = _columns(5, 40)
    start = window_start(NOW, WINDOW_S)
    p = predictor.probabilities(age, salary, gender)
    first.observe_many(start, (age, salary, gender), p, predictor.threshold)
    second.observe_many(start, (age[:10], salary[:10], gender[:10]), p[:10], predictor.threshold)
    store = Store(":memory:")
    for shadow in (first, second):
        store.add(*shadow.drain(WINDOW_S, predictor.model_version))
    (window,) = store.windows(5)
    assert section(window, second)["model_version"] == "logreg-other0001"  # type: ignore[index]
    assert section(window, second)["score"] is None  # type: ignore[index]  # no profile of its own
    assert section(window, None)["rows"] == 40  # type: ignore[index]  # else the one with most rows
    store.add({(start + WINDOW_S, start + 2 * WINDOW_S, predictor.model_version): {("rows", 0): 1}}, {})
    assert section(store.windows(5)[-1], first) is None
