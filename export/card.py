"""The model card's type: models/model_card.json, built by export.export.model_card (its one builder).

No `from __future__ import annotations`: Python 3.11 reads NotRequired only from evaluated annotations.
"""

from typing import Any, NotRequired, TypedDict

from monitoring.power import DetectableShifts


class ModelCard(TypedDict):
    """models/model_card.json: the model file, its decoded metadata, parity results, hash, bundle, power."""

    model_file: str
    metadata: dict[str, Any]
    parity: list[dict[str, Any]]
    sha256: NotRequired[str]
    bundle: NotRequired[str]
    drift_detection: DetectableShifts
