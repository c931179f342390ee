"""The committed model card's detectable shifts are those of the committed model's reference profile."""

from __future__ import annotations

import json

from export.card import ModelCard
from monitoring.power import detectable_shifts
from monitoring.profile import ReferenceProfile
from runtime.predictor import Predictor
from tests.monitoring.conftest import COMMITTED_MODEL
from tests.typed_documents import mismatches


def test_card_states_the_committed_models_smallest_detectable_shifts(
    committed: Predictor, profile: ReferenceProfile
) -> None:
    card = json.loads(COMMITTED_MODEL.with_name("model_card.json").read_text())
    assert card["metadata"]["model_version"] == committed.model_version
    expected = detectable_shifts(profile, committed.metadata.training_ranges)
    assert card["drift_detection"] == expected
    assert expected["reference_rows"] == profile.rows


def test_the_committed_card_matches_its_type() -> None:
    card = json.loads(COMMITTED_MODEL.with_name("model_card.json").read_text())
    assert mismatches(card, ModelCard) == []
