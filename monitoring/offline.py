"""One offline window (a customer file, a batch run) counted chunk by chunk against the reference profile.

Used by `python -m monitoring.drift` and by `python -m scoring.batch --drift`: memory stays bounded
whatever the number of rows, and only counts are kept, never the rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from monitoring.documents import DriftDocument
from monitoring.evaluate import evaluate, file_document
from monitoring.profile import parse_profile
from monitoring.window import REJECT_FIELDS, REJECTED, Key, WindowData, add_rows
from runtime import contract as c
from runtime.predictor import Predictor


class OfflineWindow:
    """Counts and sums of one window fed in chunks; `document` evaluates it like a service window."""

    def __init__(self, predictor: Predictor) -> None:
        """Raises monitoring.profile.ProfileError when the model carries no reference profile."""
        self.predictor = predictor
        self.profile = parse_profile(predictor.metadata.extra.get(c.META_REFERENCE_PROFILE))
        self.counts: dict[Key, int] = {}
        self.sums: dict[str, float] = {}

    def add_rejected(self, bad: dict[str, npt.NDArray[np.bool_]]) -> None:
        """Count invalid rows per failing field (a row failing two fields counts for both)."""
        for index, name in enumerate(REJECT_FIELDS[:3]):
            n = int(bad[name].sum()) if name in bad else 0
            if n:
                key = (REJECTED, index)
                self.counts[key] = self.counts.get(key, 0) + n

    def add_scored(self, age: Any, salary: Any, gender: Any, probabilities: Any) -> None:
        """Add valid, scored rows to the bins and sums."""
        add_rows(
            self.counts,
            self.sums,
            self.profile,
            (age, salary, gender),
            probabilities,
            self.predictor.threshold,
            self.predictor.metadata.training_ranges,
        )

    def document(self, label: str) -> DriftDocument:
        """The drift document (same shape as GET /monitoring/drift) with this one window."""
        window = WindowData(0, 0, self.predictor.model_version)
        for (series, index), n in self.counts.items():
            window.counts.setdefault(series, {})[index] = n
        window.sums.update(self.sums)
        entry = evaluate(self.profile, window, label=label)
        return file_document(label, self.predictor.model_version, entry)
