"""The report's "Fairness by gender" section: slice tables, the gender flip, with/without comparison."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

SLICE_COLUMNS = (
    "rows", "buy_rate", "roc_auc", "precision", "recall", "yes_rate", "mean_probability", "calibration_gap",
    "brier",
)  # fmt: skip
FLIP_COLUMNS = (
    "rows", "delta_mean", "abs_delta_mean", "abs_delta_p95", "abs_delta_max", "share_within_bound",
    "decision_flips", "flip_rate",
)  # fmt: skip
COMPARED = ("roc_auc", "brier", "precision", "recall")


def slice_rows(slices: dict[str, dict[str, Any]]) -> list[list[Any]]:
    """One row per gender, the SLICE_COLUMNS in order."""
    return [[gender, *(values[name] for name in SLICE_COLUMNS)] for gender, values in slices.items()]


def flip_rows(flip: dict[str, dict[str, Any]]) -> list[list[Any]]:
    """One row per population (held-out rows, training-range grid), the FLIP_COLUMNS in order."""
    names = {"test": "held-out rows", "grid": "training-range grid"}
    return [[names[key], *(flip[key][name] for name in FLIP_COLUMNS)] for key in ("test", "grid")]


def comparison_rows(comparison: dict[str, dict[str, Any]]) -> list[list[Any]]:
    """Per variant: CV and test metrics, per-gender test Yes-rates and the grid's decision flip rate."""
    rows = []
    for variant, entry in comparison.items():
        yes = {g: s["yes_rate"] for g, s in entry["slices_test"].items()}
        rows.append(
            [variant.replace("_", " ")]
            + [entry["cv"][name] for name in COMPARED]
            + [entry["test"][name] for name in COMPARED]
            + [yes.get("Female"), yes.get("Male"), entry["gender_flip"]["grid"]["flip_rate"]]
        )
    return rows


def fairness_section(fairness: dict[str, Any], table: Callable[[list[str], list[list[Any]]], str]) -> str:
    """The HTML section; ``table`` renders a header and rows (training.report's table helper)."""
    flip = fairness["counterfactual"]
    uses = "uses" if fairness["uses_gender"] else "does not use (trained with --without-gender)"
    return (
        "<h2>Fairness by gender</h2>"
        f"<p>The final model {uses} the gender input. Slices of the held-out split and of the pooled "
        "out-of-fold CV predictions; calibration gap = mean P(buy) − buy rate.</p>"
        "<h3>Held-out split</h3>"
        + table(["gender", *SLICE_COLUMNS], slice_rows(fairness["slices"]["test"]))
        + "<h3>Cross-validation (pooled out-of-fold)</h3>"
        + table(["gender", *SLICE_COLUMNS], slice_rows(fairness["slices"]["cv"]))
        + "<h3>Counterfactual gender flip</h3>"
        f"<p>Every row scored as Female and as Male; ΔP = P(Male) − P(Female). Grid: ages in "
        f"{flip['grid']['age_step']:g}-year and salaries in {flip['grid']['salary_step']:g} steps over the "
        f"training ranges. Bound for the invariance check: |ΔP| &lt; {flip['grid']['bound']:g}.</p>"
        + table(["population", *FLIP_COLUMNS], flip_rows(flip))
        + f"<h3>With and without the gender input ({html.escape(fairness['comparison_scheme'])})</h3>"
        + table(
            [
                "variant",
                *[f"CV {n}" for n in COMPARED],
                *[f"test {n}" for n in COMPARED],
                "test Yes-rate F",
                "test Yes-rate M",
                "grid flip rate",
            ],
            comparison_rows(fairness["comparison"]),
        )
    )
