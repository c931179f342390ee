"""The self-contained HTML report (embedded PNGs) and reports/metrics.json."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from training import plots
from training.fairness_report import fairness_section

COLUMNS = ("roc_auc", "pr_auc", "precision", "recall", "f1", "brier", "log_loss")
_STYLE = (
    "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}"
    "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
    "th{background:#f0f0f0}td:first-child{text-align:left}img{max-width:100%}"
)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(cell))}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(cell))}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def comparison_rows(metrics: dict[str, Any]) -> list[list[Any]]:
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


def comparison_text(metrics: dict[str, Any]) -> str:
    """The model comparison as a plain-text table for the console."""
    header = ["model", "CV ROC-AUC", *[f"CV {name}" for name in COLUMNS[1:]], "test ROC-AUC", "test Brier"]
    rows = [[_fmt(cell) for cell in row] for row in comparison_rows(metrics)]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    return "\n".join(lines)


def write_metrics(metrics: dict[str, Any], report_dir: Path) -> Path:
    """Write the metrics dict as reports/metrics.json."""
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / "metrics.json"
    path.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    return path


def write_report(
    metrics: dict[str, Any],
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
    sections = [
        "<h1>Purchase Predictor: training report</h1>"
        f"<p>Data <code>{html.escape(metrics['data']['path'])}</code>, "
        f"{metrics['data']['rows']} rows, fingerprint <code>{metrics['data']['fingerprint'][:16]}…</code>. "
        f"Final model <b>{html.escape(str(final['model']))}</b> (calibration "
        f"{html.escape(str(final['calibration']))}), threshold {threshold:g} "
        f"({html.escape(final['threshold_policy'])}). CV: {html.escape(str(metrics['cv_scheme']))}.</p>",
        "<h2>Data</h2>" + _img(plots.eda_figure(frame)),
        "<h2>Model comparison</h2>"
        + _table(
            ["model", "CV ROC-AUC", *[f"CV {n}" for n in COLUMNS[1:]], "test ROC-AUC", "test Brier"],
            comparison_rows(metrics),
        ),
        _img(plots.roc_pr_figure(y_train, curves["oof"])),
        "<h2>Final model on the test split</h2>"
        + _table(["metric", "CV", "test"], [[n, final["cv"][n], final["test"][n]] for n in COLUMNS])
        + _img(plots.confusion_figure(y_test, curves["test_proba"], threshold)),
        "<h2>Calibration</h2>"
        + _table(["method", "CV Brier", "CV log-loss", "CV ROC-AUC"], calibration_rows)
        + _img(
            plots.reliability_figure(
                {
                    "out-of-fold (train)": (y_train, curves["final_oof"]),
                    "test": (y_test, curves["test_proba"]),
                }
            )
        ),
        "<h2>Threshold</h2>"
        + _table(["threshold", "precision", "recall", "F1", "share Yes"], sweep_rows)
        + _img(plots.threshold_figure(sweep, threshold)),
    ]
    if "fairness" in metrics:
        sections.append(fairness_section(metrics["fairness"], _table))
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / "report.html"
    page = "<!doctype html><html><head><meta charset='utf-8'><title>Purchase Predictor report</title>"
    page += f"<style>{_STYLE}</style></head><body>{''.join(sections)}</body></html>\n"
    path.write_text(page, encoding="utf-8")
    return path


def _img(png_base64: str) -> str:
    return f"<p><img alt='figure' src='data:image/png;base64,{png_base64}'></p>"


def first_repeat(oof: np.ndarray) -> np.ndarray:
    """The out-of-fold predictions of the first CV repeat (a full partition of the rows)."""
    return np.asarray(oof[0])
