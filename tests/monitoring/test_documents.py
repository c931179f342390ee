"""The drift document as built matches its declared types key for key (monitoring/documents.py), so the
types cannot drift from what GET /monitoring/drift and the drift files carry."""

from __future__ import annotations

import pytest

from monitoring import documents
from monitoring.evaluate import evaluate, evaluate_series, file_document, service_document
from monitoring.profile import ReferenceProfile
from monitoring.window import LABEL, OUTCOME, SUM_BRIER, SUM_BRIER_SQ
from runtime.predictor import Predictor
from tests.monitoring.test_evaluate import HOUR, window
from tests.typed_documents import mismatches


def test_the_checker_sees_a_missing_and_an_undeclared_key() -> None:
    built = {"p_value": 0.5, "alarm": False, "chi2": {"statistic": 1.0, "p_value": 0.5}, "extra": 1}
    found = mismatches(built, documents.GenderDrift)
    assert "document has undeclared 'extra'" in found and "document lacks 'psi'" in found


@pytest.fixture(scope="module")
def labelled_series(committed: Predictor, profile: ReferenceProfile) -> list[documents.DriftWindow]:
    """Three windows: a small one (insufficient), a tested one with labels, a shifted one."""
    small = window(committed, profile, 0, 5, seed=1)
    labelled = window(committed, profile, HOUR, 400, seed=2)
    labelled.counts[OUTCOME] = {0: 50, 1: 20, 2: 10, 3: 120}
    labelled.counts[LABEL] = {4000: 40, 4001: 10, 9000: 10, 9001: 140}
    labelled.sums |= {SUM_BRIER: 20.0, SUM_BRIER_SQ: 5.0}
    shifted = window(committed, profile, 2 * HOUR, 400, seed=3, age_shift=8.0)
    return evaluate_series(profile, [small, labelled, shifted], now=2.5 * HOUR)


def test_service_windows_match_their_types(labelled_series: list[documents.DriftWindow]) -> None:
    assert [w["status"] for w in labelled_series] == ["insufficient", "evaluated", "evaluated"]
    assert "precision_ci" in labelled_series[1]["quality"]["realized"]
    doc = service_document(HOUR, "sqlite", "m", labelled_series)
    assert mismatches(doc, documents.DriftDocument) == []
    assert list(doc) == ["window_seconds", "store", "model_version", "windows", "shadow"]
    assert [w["closed"] for w in labelled_series] == [True, True, False]


def test_a_file_window_matches_its_type(committed: Predictor, profile: ReferenceProfile) -> None:
    entry = evaluate(profile, window(committed, profile, 0, 300, seed=4), label="customers.csv")
    doc = file_document("customers.csv", "m", entry)
    assert mismatches(doc, documents.DriftDocument) == []
    assert list(doc) == ["source", "store", "model_version", "windows"]
    assert list(entry)[-1] == "label" and "closed" not in entry
