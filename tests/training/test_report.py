"""The training report page rendered from committed metrics and small made-up curves (no training run)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from training.documents import TrainingMetrics
from training.report import write_report

REPO = Path(__file__).resolve().parents[2]
HOSTILE = "<script>alert(1)</script>\"'\r\nx"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;\\r\\nx"


def inputs(metrics: TrainingMetrics) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A small customer frame and out-of-fold/test probabilities for every model in `metrics`."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 60, 120),
            "salary": rng.integers(15_000, 150_000, 120),
            "gender": rng.choice(["Female", "Male"], 120),
            "purchased": rng.integers(0, 2, 120),
        }
    )
    y, p = rng.integers(0, 2, 60), rng.random(60)
    curves = {
        "y_train": y,
        "y_test": y,
        "oof": dict.fromkeys(metrics["models"], p),
        "final_oof": p,
        "test_proba": p,
    }
    return frame, curves


def committed_metrics() -> TrainingMetrics:
    """reports/metrics.json as training wrote it."""
    metrics: TrainingMetrics = json.loads((REPO / "reports" / "metrics.json").read_text(encoding="utf-8"))
    return metrics


def test_the_report_has_every_section_table_and_described_figure(tmp_path: Path) -> None:
    metrics = committed_metrics()
    html = write_report(metrics, *inputs(metrics), tmp_path).read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    for heading in (
        "Data",
        "Model comparison",
        "Final model on the test split",
        "Calibration",
        "Threshold",
        "Fairness by gender",
    ):
        assert f"<h2>{heading}</h2>" in html
    alts = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,', html)
    assert len(alts) == 5 and len(set(alts)) == 5 and "figure" not in alts
    models = re.findall(r"<tr><td>(\w+)</td><td>0\.\d{3} ± 0\.\d{3}</td>", html)
    assert models == list(metrics["models"])
    assert html.count("<table>") == 4 + 4  # comparison, final, calibration, sweep; four fairness tables


def test_strings_from_the_data_and_the_run_are_escaped(tmp_path: Path) -> None:
    metrics = committed_metrics()
    metrics["data"]["path"] = HOSTILE  # the training file's name
    metrics["cv_scheme"] = HOSTILE
    metrics["final"]["threshold_policy"] = HOSTILE
    family = "<b>forest</b>\"'"  # a model family label (also a matplotlib legend, so no line break)
    metrics["models"] = {family: next(iter(metrics["models"].values()))}
    slices = metrics["fairness"]["slices"]["test"]
    slices[HOSTILE] = slices.pop("Female")  # a gender value from the data
    metrics["fairness"]["comparison_scheme"] = HOSTILE
    html = write_report(metrics, *inputs(metrics), tmp_path).read_text(encoding="utf-8")
    assert "<script" not in html and "\r" not in html and "\"'" not in html
    assert html.count(ESCAPED) == 5
    assert "<td>&lt;b&gt;forest&lt;/b&gt;&#34;&#39;</td>" in html
