"""Fixtures shared by every suite: a tiny contract-conforming model written once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.onnx_factory import write_model


@pytest.fixture(scope="session")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid model written once per test session."""
    return write_model(tmp_path_factory.mktemp("model") / "purchase_model.onnx")
