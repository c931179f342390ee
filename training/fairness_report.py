"""The report's "Fairness by gender" section (training/templates/fairness.html.j2): slice tables, the gender
flip, the with/without comparison."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from training.documents import Fairness, Variant

SLICE_COLUMNS = (
    "rows",
    "buy_rate",
    "roc_auc",
    "precision",
    "recall",
    "yes_rate",
    "mean_probability",
    "calibration_gap",
    "brier",
)
FLIP_COLUMNS = (
    "rows",
    "delta_mean",
    "abs_delta_mean",
    "abs_delta_p95",
    "abs_delta_max",
    "share_within_bound",
    "decision_flips",
    "flip_rate",
)
COMPARED = ("roc_auc", "brier", "precision", "recall")


def slice_rows(slices: Mapping[str, Mapping[str, Any]]) -> list[list[Any]]:
    """One row per gender, the SLICE_COLUMNS in order."""
    return [[gender, *(values[name] for name in SLICE_COLUMNS)] for gender, values in slices.items()]


def flip_rows(flip: Mapping[str, Any]) -> list[list[Any]]:
    """One row per population (held-out rows, training-range grid), the FLIP_COLUMNS in order."""
    names = {"test": "held-out rows", "grid": "training-range grid"}
    return [[names[key], *(flip[key][name] for name in FLIP_COLUMNS)] for key in ("test", "grid")]


def comparison_rows(comparison: Mapping[str, Variant]) -> list[list[Any]]:
    """Per variant: CV and test metrics, per-gender test Yes-rates and the grid's decision flip rate."""
    rows: list[list[Any]] = []
    for variant, entry in comparison.items():
        yes = {g: s["yes_rate"] for g, s in entry["slices_test"].items()}
        rows.append(
            [variant.replace("_", " ")]
            + [entry["cv"][name] for name in COMPARED]
            + [entry["test"][name] for name in COMPARED]
            + [yes.get("Female"), yes.get("Male"), entry["gender_flip"]["grid"]["flip_rate"]]
        )
    return rows


def fairness_view(fairness: Fairness, table: Callable[[list[str], list[list[Any]]], Any]) -> dict[str, Any]:
    """What the template shows; ``table`` turns a header and rows into a table (training.report.table)."""
    flip = fairness["counterfactual"]
    return {
        "uses": "uses" if fairness["uses_gender"] else "does not use (trained with --without-gender)",
        "test": table(["gender", *SLICE_COLUMNS], slice_rows(fairness["slices"]["test"])),
        "cv": table(["gender", *SLICE_COLUMNS], slice_rows(fairness["slices"]["cv"])),
        "age_step": f"{flip['grid']['age_step']:g}",
        "salary_step": f"{flip['grid']['salary_step']:g}",
        "bound": f"{flip['grid']['bound']:g}",
        "flip": table(["population", *FLIP_COLUMNS], flip_rows(flip)),
        "comparison_scheme": fairness["comparison_scheme"],
        "comparison": table(
            [
                "variant",
                *[f"CV {n}" for n in COMPARED],
                *[f"test {n}" for n in COMPARED],
                "test Yes-rate F",
                "test Yes-rate M",
                "grid flip rate",
            ],
            comparison_rows(fairness["comparison"]),
        ),
    }
