"""Settings come from PREDICT_* variables, validated at start-up with the variable's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.http.errors import StartupError
from service.process.settings import Settings


def test_defaults_when_nothing_is_set() -> None:
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.model_path == Path("models/purchase_model.onnx")
    assert settings.threshold is None and settings.log_inputs is False


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "PREDICT_MODEL_PATH": "/m.onnx",
            "PREDICT_THRESHOLD": "0.35",
            "PREDICT_MAX_BODY_BYTES": "4096",
            "PREDICT_LOG_INPUTS": "1",
            "PREDICT_LOG_LEVEL": "debug",
            "UNRELATED": "x",
        }
    )
    assert settings == Settings(Path("/m.onnx"), 0.35, 4096, True, "DEBUG")


@pytest.mark.parametrize("value", ["0", "1", "-0.2", "1.0001", "nan", "inf", "abc", ""])
def test_threshold_must_be_strictly_between_0_and_1(value: str) -> None:
    with pytest.raises(StartupError, match="PREDICT_THRESHOLD must be"):
        Settings.from_env({"PREDICT_THRESHOLD": value})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PREDICT_MAX_BODY_BYTES", "lots"),
        ("PREDICT_MAX_BODY_BYTES", "10"),
        ("PREDICT_LOG_INPUTS", "maybe"),
        ("PREDICT_LOG_LEVEL", "LOUD"),
        ("PREDICT_MODEL_PATH", " "),
    ],
)
def test_invalid_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(StartupError, match=name):
        Settings.from_env({name: value})
