"""The common alternative: FastAPI + Pydantic + a joblib-loaded scikit-learn pipeline (run under uvicorn)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import joblib
import pandas as pd
from fastapi import FastAPI
from pydantic import BaseModel, Field

PIPELINE_ENV = "BENCH_PIPELINE_PATH"
THRESHOLD_ENV = "BENCH_THRESHOLD"


class Customer(BaseModel):
    """One customer, validated as the product's contract requires."""

    age: float = Field(gt=0, le=120)
    salary: float = Field(ge=0, le=1_000_000)
    gender: Literal["Female", "Male"]


class Prediction(BaseModel):
    """P(buy) and the thresholded decision."""

    probability: float
    prediction: Literal["Yes", "No"]


def load_pipeline(path: Path) -> Any:
    """The fitted Pipeline from a joblib file holding either the bundle dict or the Pipeline itself."""
    loaded = joblib.load(path)
    return loaded["pipeline"] if isinstance(loaded, dict) else loaded


def create_app(pipeline_path: Path | None = None, threshold: float | None = None) -> FastAPI:
    """The FastAPI app; uvicorn calls it as a factory, so settings come from the environment here."""
    path = pipeline_path or Path(os.environ.get(PIPELINE_ENV, "models/purchase_pipeline.joblib"))
    cutoff = threshold if threshold is not None else float(os.environ.get(THRESHOLD_ENV, "0.5"))
    pipeline = load_pipeline(path)
    app = FastAPI(title="Purchase Predictor (FastAPI + scikit-learn alternative)")

    @app.post("/predict", response_model=Prediction)
    def predict(customer: Customer) -> Prediction:
        frame = pd.DataFrame([customer.model_dump()], columns=["age", "salary", "gender"])
        probability = float(pipeline.predict_proba(frame)[0, 1])
        return Prediction(probability=probability, prediction="Yes" if probability >= cutoff else "No")

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
