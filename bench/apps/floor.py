"""The floor: a Flask endpoint that parses the JSON body and answers a constant (no validation, no model)."""

from __future__ import annotations

from typing import Any

from flask import Flask, request

CONSTANT = {"probability": 0.5, "prediction": "No"}


def create_app() -> Flask:
    """A Flask app whose POST /predict only parses the body, the lower bound for any Flask service."""
    app = Flask(__name__)

    @app.post("/predict")
    def predict() -> dict[str, Any]:
        request.get_json(force=True)
        return CONSTANT

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


app = create_app()
