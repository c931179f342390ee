"""training.json contents (versions, golden examples, timestamps) and saving the model bundle."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib
import pandas as pd
from sklearn.pipeline import Pipeline

from training.documents import GoldenExample, TrainingInfo

PIPELINE_FILE = "purchase_pipeline.joblib"
INFO_FILE = "training.json"
GOLDEN_INPUTS: list[tuple[float, float, str]] = [
    (45.0, 90000.0, "Male"),  # the seed example
    (19.0, 19000.0, "Female"),
    (35.0, 20000.0, "Male"),
    (30.0, 87000.0, "Female"),
    (47.0, 25000.0, "Female"),
    (60.0, 150000.0, "Male"),
    (75.0, 120000.0, "Female"),  # age above the training range
    (25.0, 400000.0, "Male"),  # salary above the training range
]
_PACKAGES = ("numpy", "pandas", "scikit-learn", "xgboost", "joblib", "skl2onnx", "onnx", "onnxruntime")


def library_versions() -> dict[str, str]:
    """Versions of Python and the libraries that define the model's behaviour."""
    versions = {"python": platform.python_version()}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            try:
                versions[package] = metadata.version(f"{package}-cpu")
            except metadata.PackageNotFoundError:
                versions[package] = "not installed"
    return versions


def trained_at() -> str:
    """ISO-8601 UTC training time, from SOURCE_DATE_EPOCH when set so retraining is reproducible."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = (
        dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
        if epoch and epoch.isdigit()
        else dt.datetime.now(dt.UTC)
    )
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def golden_examples(pipeline: Pipeline) -> list[GoldenExample]:
    """Fixed, diverse inputs (in and out of the training range) with the pipeline's P(buy)."""
    frame = pd.DataFrame(GOLDEN_INPUTS, columns=["age", "salary", "gender"]).astype(
        {"age": "float64", "salary": "float64", "gender": "object"}
    )
    probabilities = pipeline.predict_proba(frame)[:, 1]
    return [
        {"age": age, "salary": salary, "gender": gender, "probability": float(probability)}
        for (age, salary, gender), probability in zip(GOLDEN_INPUTS, probabilities, strict=True)
    ]


def save_bundle(
    pipeline: Pipeline, info: TrainingInfo, out_dir: Path, test_rows: pd.DataFrame
) -> tuple[Path, Path]:
    """Write ``{"pipeline", "training", "test_rows"}`` to the joblib file and the info to training.json.

    ``test_rows`` (the held-out ``age, salary, gender`` rows) lets the export's parity check run on them.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path, info_path = out_dir / PIPELINE_FILE, out_dir / INFO_FILE
    rows = test_rows[["age", "salary", "gender"]].reset_index(drop=True)
    joblib.dump({"pipeline": pipeline, "training": info, "test_rows": rows}, model_path)
    info_path.write_text(json.dumps(info, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return model_path, info_path


def load_bundle(path: Path) -> dict[str, Any]:
    """Read a saved bundle back (training side and tests only; the service never loads it)."""
    bundle: dict[str, Any] = joblib.load(path)
    return bundle
