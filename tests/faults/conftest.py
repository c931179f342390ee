"""Fault-test fixtures: a second valid model (the served copy and its server: tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.onnx_factory import write_model

SECOND_VERSION = "logreg-test0000002"


@pytest.fixture(scope="session")
def second_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid model with another version."""
    return write_model(tmp_path_factory.mktemp("second") / "m2.onnx", {"model_version": SECOND_VERSION})
