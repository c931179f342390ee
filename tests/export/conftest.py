"""Fixtures: tiny fitted contract pipelines saved as bundles in a temp folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier
from xgboost import XGBClassifier

from training.pipeline import build_pipeline
from training.reference_profile import reference_profile

REFERENCE_CSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "Social_Network_Ads.csv"
GOLDEN = [
    (45.0, 90000.0, "Male"),
    (19.0, 19000.0, "Female"),
    (60.0, 150000.0, "Male"),
    (25.0, 400000.0, "Female"),
]

ESTIMATORS: dict[str, Callable[[], BaseEstimator]] = {
    "forest": lambda: RandomForestClassifier(n_estimators=30, random_state=0),
    "tree": lambda: DecisionTreeClassifier(random_state=0),
    "logreg": lambda: LogisticRegression(),
    "knn": lambda: KNeighborsClassifier(n_neighbors=5, algorithm="kd_tree"),
    "knn-sigmoid": lambda: CalibratedClassifierCV(
        KNeighborsClassifier(n_neighbors=11, algorithm="kd_tree"), method="sigmoid", cv=5
    ),
    "xgboost": lambda: XGBClassifier(n_estimators=30, max_depth=3, n_jobs=1, random_state=0),
    "xgboost-isotonic": lambda: CalibratedClassifierCV(
        XGBClassifier(n_estimators=30, max_depth=3, n_jobs=1, random_state=0), method="isotonic", cv=5
    ),
    "forest-sigmoid": lambda: CalibratedClassifierCV(
        RandomForestClassifier(n_estimators=15, random_state=0), method="sigmoid", cv=5
    ),
    "forest-isotonic": lambda: CalibratedClassifierCV(
        RandomForestClassifier(n_estimators=15, random_state=0), method="isotonic", cv=5
    ),
    "logreg-isotonic": lambda: CalibratedClassifierCV(LogisticRegression(), method="isotonic", cv=5),
}


def synthetic_frame(rows: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Social-Network-Ads-like data: integer ages, salaries in thousands, duplicates included."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 61, rows).astype(float)
    salary = rng.integers(15, 151, rows).astype(float) * 1000
    gender = rng.choice(["Female", "Male"], rows)
    logit = 0.15 * (age - 42) + 0.00004 * (salary - 90000) + rng.normal(0, 1, rows)
    frame = pd.DataFrame({"age": age, "salary": salary, "gender": gender.astype(object)})
    return frame, (logit > 0).astype(int)


def reference_frame() -> tuple[pd.DataFrame, np.ndarray]:
    """The shared Social_Network_Ads.csv normalised to the contract's frame."""
    raw = pd.read_csv(REFERENCE_CSV)
    frame = pd.DataFrame(
        {
            "age": raw["Age"].astype(float),
            "salary": raw["EstimatedSalary"].astype(float),
            "gender": raw["Gender"].astype(str).astype(object),
        }
    )
    return frame, raw["Purchased"].to_numpy()


def training_info(pipeline: Any, frame: pd.DataFrame) -> dict[str, Any]:
    """A training.json-shaped dict for a fitted pipeline."""
    golden = pd.DataFrame(GOLDEN, columns=["age", "salary", "gender"]).astype({"gender": object})
    proba = pipeline.predict_proba(golden)[:, 1]
    return {
        "model_family": "test",
        "calibration": "none",
        "threshold": 0.6,
        "data": {"fingerprint": "0" * 64},
        "training_ranges": {c: [float(frame[c].min()), float(frame[c].max())] for c in ("age", "salary")},
        "metrics": {"cv": {"roc_auc": 0.9}, "test": {"roc_auc": 0.9}},
        "seed": 0,
        "library_versions": {},
        "trained_at": "2026-01-01T00:00:00Z",
        "golden_examples": [
            {"age": a, "salary": s, "gender": g, "probability": float(p)}
            for (a, s, g), p in zip(GOLDEN, proba, strict=True)
        ],
        # drift monitoring's reference (docs/monitoring.md); in-sample scores stand in for out-of-fold ones
        "reference_profile": reference_profile(frame, pipeline.predict_proba(frame)[:, 1], 0.6, {}),
    }


def make_bundle(estimator: BaseEstimator, folder: Path, reference: bool = False) -> Path:
    """Fit build_pipeline(estimator) and save it as a {"pipeline", "training", "test_rows"} bundle."""
    frame, y = reference_frame() if reference else synthetic_frame()
    pipeline = build_pipeline(estimator).fit(frame, y)
    bundle = {"pipeline": pipeline, "training": training_info(pipeline, frame), "test_rows": frame.iloc[::5]}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "purchase_pipeline.joblib"
    joblib.dump(bundle, path)
    return path


@pytest.fixture(scope="session")
def forest_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small default-family (Random Forest) bundle shared by the CLI tests."""
    return make_bundle(ESTIMATORS["forest"](), tmp_path_factory.mktemp("forest"))


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    """An empty models/ folder."""
    path = tmp_path / "models"
    path.mkdir()
    return path
