"""The self-contained HTML report (embedded PNGs, from training/templates/report.html.j2) and
reports/metrics.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from monitoring.report import environment
from training import plots
from training.documents import TrainingMetrics
from training.fairness_report import fairness_view

COLUMNS = ("roc_auc", "pr_auc", "precision", "recall", "f1", "brier", "log_loss")


def _fmt(value: Any) -> str:
    """A table cell: floats to 3 decimals, missing as "–"."""
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def table(header: list[str], rows: list[list[Any]]) -> dict[str, Any]:
    """A table for the template's `table` macro: header and rows of formatted cells."""
    return {"header": [str(h) for h in header], "rows": [[_fmt(cell) for cell in row] for row in rows]}


def comparison_rows(metrics: TrainingMetrics) -> list[list[Any]]:
    """One row per model: CV ROC-AUC mean ± std, the other CV metrics, then test ROC-AUC and Brier."""
    rows = []
    for family, entry in metrics["models"].items():
        cv, test = entry["cv"], entry["test"]
        rows.append(
            [family, f"{cv['roc_auc']:.3f} ± {cv['roc_auc_std']:.3f}"]
            + [cv[name] for name in COLUMNS[1:]]
            + [test["roc_auc"], test["brier"]]
        )
    return rows


def comparison_text(metrics: TrainingMetrics) -> str:
    """The model comparison as a plain-text table for the console."""
    header = ["model", "CV ROC-AUC", *[f"CV {name}" for name in COLUMNS[1:]], "test ROC-AUC", "test Brier"]
    rows = [[_fmt(cell) for cell in row] for row in comparison_rows(metrics)]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    return "\n".join(lines)


def write_metrics(metrics: TrainingMetrics, report_dir: Path) -> Path:
    """Write the metrics dict as reports/metrics.json."""
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / "metrics.json"
    path.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    return path


def write_report(
    metrics: TrainingMetrics,
    frame: pd.DataFrame,
    curves: dict[str, Any],
    report_dir: Path,
) -> Path:
    """Render report.html with the EDA, comparison, curves, confusion matrix, reliability and sweep."""
    final = metrics["final"]
    threshold = final["threshold"]
    sweep = metrics["threshold_sweep"]
    every_tenth = [i for i, t in enumerate(sweep["threshold"]) if round(t * 10, 6) == round(t * 10)]
    sweep_rows = [
        [sweep[key][i] for key in ("threshold", "precision", "recall", "f1", "share_yes")]
        for i in every_tenth
    ]
    calibration_rows = [
        [m, r["brier"], r["log_loss"], r["roc_auc"]] for m, r in metrics["calibration"].items()
    ]
    y_train, y_test = curves["y_train"], curves["y_test"]
    reliability = {
        "out-of-fold (train)": (y_train, curves["final_oof"]),
        "test": (y_test, curves["test_proba"]),
    }
    template = environment("training").get_template("report.html.j2")
    page = template.render(
        data=metrics["data"],
        fingerprint=metrics["data"]["fingerprint"][:16],
        final=final,
        threshold=f"{threshold:g}",
        cv_scheme=metrics["cv_scheme"],
        comparison=table(
            ["model", "CV ROC-AUC", *[f"CV {n}" for n in COLUMNS[1:]], "test ROC-AUC", "test Brier"],
            comparison_rows(metrics),
        ),
        final_table=table(["metric", "CV", "test"], [[n, final["cv"][n], final["test"][n]] for n in COLUMNS]),
        calibration=table(["method", "CV Brier", "CV log-loss", "CV ROC-AUC"], calibration_rows),
        sweep=table(["threshold", "precision", "recall", "F1", "share Yes"], sweep_rows),
        figures={
            "eda": plots.eda_figure(frame),
            "roc_pr": plots.roc_pr_figure(y_train, curves["oof"]),
            "confusion": plots.confusion_figure(y_test, curves["test_proba"], threshold),
            "reliability": plots.reliability_figure(reliability),
            "threshold": plots.threshold_figure(sweep, threshold),
        },
        fairness=fairness_view(metrics["fairness"], table) if "fairness" in metrics else None,
    )
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def first_repeat(oof: np.ndarray) -> np.ndarray:
    """The out-of-fold predictions of the first CV repeat (a full partition of the rows)."""
    return np.asarray(oof[0])
