"""Read the training bundle ({"pipeline", "training"}) and check it has the contract's shape."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import joblib

from export.errors import BundleError

DEFAULT_BUNDLE = Path("models/purchase_pipeline.joblib")


def load_bundle(path: Path) -> dict[str, Any]:
    """Load and shape-check the bundle, failing with one line on anything unexpected."""
    if not path.is_file():
        raise BundleError(f"{path}: no such pipeline bundle (run `make train` first)")
    try:
        bundle = joblib.load(path)
    except (
        pickle.UnpicklingError,
        EOFError,
        OSError,
        ValueError,
        KeyError,
        AttributeError,
        ImportError,
    ) as exc:
        raise BundleError(f"{path}: cannot read the bundle ({type(exc).__name__})") from exc
    if (
        not isinstance(bundle, dict)
        or "pipeline" not in bundle
        or not isinstance(bundle.get("training"), dict)
    ):
        raise BundleError(f"{path}: expected a dict with 'pipeline' and 'training'")
    if not hasattr(bundle["pipeline"], "predict_proba"):
        raise BundleError(f"{path}: 'pipeline' is not a fitted classifier pipeline")
    return bundle


def held_out_rows(bundle: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The held-out test rows ({age, salary, gender}) when the bundle carries them, else None."""
    rows = bundle.get("test_rows", bundle["training"].get("test_rows_data"))
    if rows is None:
        return None
    if hasattr(rows, "to_dict"):
        rows = rows.to_dict(orient="records")
    if not isinstance(rows, list) or not rows:
        return None
    return [{"age": r["age"], "salary": r["salary"], "gender": r["gender"]} for r in rows]
