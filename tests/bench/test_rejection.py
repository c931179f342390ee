"""bench.rejection: same-size bodies, every pair answered as expected, the ratios judged against 2 ×."""

from __future__ import annotations

import json
from pathlib import Path

from bench import rejection


def test_the_bodies_of_a_pair_have_the_same_size() -> None:
    bodies = rejection.bodies(200)
    valid = len(bodies["batch_valid"][1])
    for name in ("batch_out_of_range", "predict_unknown_keys_batch_size"):
        assert abs(len(bodies[name][1]) - valid) <= 0.01 * valid
    assert len(rejection.padded_predict(5000)) == 5000
    assert json.loads(rejection.padded_predict(5000)) == {"age": 45, "salary": 90000, "gender": "Male"}


def test_a_small_run_measures_every_pair(model_path: Path) -> None:
    figures = rejection.measure(model_path, rows=100, repeats=1, many_keys=1000)  # statuses are checked
    assert set(figures["ratios_invalid_over_valid"]) == {
        "batch_out_of_range",
        "batch_wrong_type",
        "batch_unknown_key",
        "predict_unknown_keys_batch_size",
        "v2_out_of_range",
        "v2_wrong_type",
    }
    assert figures["status"] in {"met", "MISSED"} and figures["max_ratio"] > 0
    assert "| batch_valid |" in rejection.render(figures)
