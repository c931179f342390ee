"""The committed training run (reports/metrics.json): the forest keeps up with the best family."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

METRICS = Path(__file__).resolve().parents[2] / "reports" / "metrics.json"


@pytest.mark.skipif(not METRICS.is_file(), reason="reports/metrics.json not committed")
def test_forest_trails_the_best_family_by_at_most_its_cv_std() -> None:
    metrics = json.loads(METRICS.read_text(encoding="utf-8"))
    models = metrics["models"]
    best = max(models, key=lambda family: models[family]["cv"]["roc_auc"])
    forest = models["forest"]["cv"]
    gap = models[best]["cv"]["roc_auc"] - forest["roc_auc"]
    assert gap <= forest["roc_auc_std"], (
        f"forest CV ROC-AUC {forest['roc_auc']:.3f} ± {forest['roc_auc_std']:.3f} trails {best} by {gap:.3f}"
    )


@pytest.mark.skipif(not METRICS.is_file(), reason="reports/metrics.json not committed")
def test_committed_run_reports_fairness_for_both_variants() -> None:
    fairness = json.loads(METRICS.read_text(encoding="utf-8"))["fairness"]
    assert set(fairness["slices"]["test"]) == set(fairness["slices"]["cv"]) == {"Female", "Male"}
    assert set(fairness["comparison"]) == {"with_gender", "without_gender"}
