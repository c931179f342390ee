"""`--drift`: count a batch run as one drift window against the model's reference profile, chunk by chunk.

Writes `OUTPUT.drift.json` and `OUTPUT.drift.html` beside the output, the same documents as
`python -m monitoring.drift` and the service's /monitoring/drift and /monitoring/report. Only counts are
kept, never rows, so memory stays bounded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from monitoring.offline import OfflineWindow
from monitoring.report import clean, render
from runtime import contract as c
from runtime.predictor import Predictor
from scoring.outputs import write_json_atomically
from scoring.values import Rows


def drift_paths(output: Path) -> tuple[Path, Path]:
    """`scored.parquet` -> `scored.parquet.drift.json`, `scored.parquet.drift.html`."""
    return output.with_name(output.name + ".drift.json"), output.with_name(output.name + ".drift.html")


class BatchDrift:
    """Feeds every scored chunk of a run into one offline window."""

    def __init__(self, predictor: Predictor) -> None:
        """Raises monitoring.profile.ProfileError when the model has no reference profile."""
        self.window = OfflineWindow(predictor)

    def observe(self, rows: Rows, probability: npt.NDArray[np.float64]) -> None:
        """Count a chunk: invalid rows per failing field, valid rows into the bins."""
        invalid = np.flatnonzero(~rows.valid)
        if len(invalid):
            bad = {name: np.zeros(len(invalid), dtype=bool) for name in c.INPUT_NAMES}
            for j, i in enumerate(invalid.tolist()):
                for name in c.INPUT_NAMES:
                    bad[name][j] = f"{name}: " in (rows.errors[i] or "")
            self.window.add_rejected(bad)
        valid = rows.valid
        if valid.any():
            self.window.add_scored(
                rows.age[valid], rows.salary[valid], rows.gender[valid], probability[valid]
            )

    def write(self, output: Path) -> tuple[Path, Path]:
        """Write the JSON and HTML documents beside the output; returns their paths."""
        json_path, html_path = drift_paths(output)
        doc = clean(self.window.document(output.name))
        write_json_atomically(json_path, doc)
        partial = html_path.with_name("." + html_path.name + ".partial")
        partial.write_text(render(doc, f"Drift report — {output.name}"), encoding="utf-8")
        partial.replace(html_path)
        return json_path, html_path
