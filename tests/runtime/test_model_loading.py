"""The model file layer and the self-test refuse bad models with one readable reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from onnx import TensorProto

from runtime.errors import ModelError
from runtime.model import load_model
from runtime.predictor import Predictor
from tests.onnx_factory import build_graph, default_metadata, write_model


def test_valid_model_loads_and_passes_self_test(model_path: Path) -> None:
    predictor = Predictor.from_path(model_path)
    assert predictor.ready
    assert predictor.threshold == 0.6
    assert predictor.metadata.training_ranges == {"age": (18.0, 60.0), "salary": (15000.0, 150000.0)}


def test_session_uses_one_thread_per_worker(model_path: Path) -> None:
    options = load_model(model_path).session.get_session_options()
    assert options.intra_op_num_threads == 1 and options.inter_op_num_threads == 1


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"model file not found: .*nope\.onnx"):
        load_model(tmp_path / "nope.onnx")


@pytest.mark.parametrize("content", [b"", b"not an onnx model at all", b"\x08\x07" + b"\xff" * 64])
def test_corrupt_file_is_refused_with_one_line(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "corrupt.onnx"
    path.write_bytes(content)
    with pytest.raises(ModelError, match="is not a loadable ONNX model") as info:
        load_model(path)
    assert "\n" not in str(info.value)


def test_truncated_model_is_refused(tmp_path: Path, model_path: Path) -> None:
    path = tmp_path / "truncated.onnx"
    path.write_bytes(model_path.read_bytes()[:200])
    with pytest.raises(ModelError, match="not a loadable ONNX model"):
        load_model(path)


def test_wrong_input_type_is_refused(tmp_path: Path) -> None:
    path = write_model(tmp_path / "m.onnx", age_type=TensorProto.FLOAT)
    with pytest.raises(ModelError, match=r"input 'age' is tensor\(float\)"):
        load_model(path)


def test_extra_input_is_refused(tmp_path: Path) -> None:
    path = write_model(tmp_path / "m.onnx", extra_input=True)
    with pytest.raises(ModelError, match="has inputs"):
        load_model(path)


GOLDEN = json.loads(default_metadata(build_graph())["golden_examples"])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"threshold": None}, "metadata is missing threshold"),
        ({"golden_examples": None, "model_version": None}, "missing model_version, golden_examples"),
        ({"schema_version": "2"}, "schema_version '2' is not supported"),
        ({"threshold": "1.5"}, "threshold must be a number strictly between 0 and 1"),
        ({"threshold": "high"}, "threshold must be a number strictly between 0 and 1"),
        ({"input_schema": "{not json"}, "'input_schema' is not valid JSON"),
        (
            {"input_schema": json.dumps({"age": {"min": 18, "max": 60}})},
            "does not cover the contract's domain",
        ),
        ({"training_ranges": json.dumps({"age": [18, 60]})}, "training_ranges needs [min, max]"),
        ({"training_ranges": json.dumps({"age": [60, 18], "salary": [1, 2]})}, "training_ranges needs"),
        ({"golden_examples": "[]"}, "golden_examples must be a non-empty list"),
        ({"golden_examples": json.dumps([{"age": 1}])}, "golden_examples must be a non-empty list"),
        ({"metrics": "[oops"}, "'metrics' is not valid JSON"),
    ],
)
def test_bad_metadata_is_refused(tmp_path: Path, overrides: dict[str, str | None], message: str) -> None:
    path = write_model(tmp_path / "m.onnx", overrides)
    with pytest.raises(ModelError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Predictor.from_path(path)


def test_golden_examples_that_do_not_reproduce_are_refused(tmp_path: Path) -> None:
    wrong = [dict(g) for g in GOLDEN]
    wrong[3]["probability"] += 2e-6
    path = write_model(tmp_path / "m.onnx", {"golden_examples": json.dumps(wrong)})
    with pytest.raises(ModelError, match=r"does not reproduce its golden examples: example 3 differs"):
        Predictor.from_path(path)


def test_golden_examples_within_tolerance_are_accepted(tmp_path: Path) -> None:
    close = [dict(g) for g in GOLDEN]
    close[0]["probability"] += 5e-7
    assert Predictor.from_path(write_model(tmp_path / "m.onnx", {"golden_examples": json.dumps(close)})).ready
