"""Load-time checks of a model file's bytes and metadata strings: every runtime refuses a hostile model
with one line naming the problem, before onnxruntime sees the file where it matters."""

from __future__ import annotations

from pathlib import Path

import onnx
import onnxruntime as ort
import pytest

from runtime import contract as c
from runtime import model as runtime_model
from runtime.errors import ModelError
from runtime.model import load_model, read_model_bytes
from runtime.predictor import Predictor
from tests.onnx_factory import (
    HOSTILE_VERSIONS,
    VERSION_64,
    VERSION_65,
    write_external_model,
    write_model,
)


def _refusal(path: Path, max_bytes: int = c.DEFAULT_MAX_MODEL_BYTES) -> str:
    """The one-line reason Predictor.from_path gives for a model it refuses."""
    with pytest.raises(ModelError) as info:
        Predictor.from_path(path, max_bytes=max_bytes)
    message = str(info.value)
    assert message.isascii() and message.isprintable(), message  # no CR, LF or non-ASCII, ever
    return message


@pytest.fixture()
def no_onnxruntime(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if onnxruntime is asked to open a session."""

    def refuse(_model: object) -> None:
        raise AssertionError("onnxruntime saw a model the checks should have refused")

    monkeypatch.setattr(runtime_model, "open_session", refuse)


# --- model_version -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(HOSTILE_VERSIONS))
def test_a_hostile_model_version_is_refused_and_shown_escaped(tmp_path: Path, name: str) -> None:
    version = HOSTILE_VERSIONS[name]
    message = _refusal(write_model(tmp_path / "m.onnx", {"model_version": version}))
    assert "metadata model_version must be 1 to 64 ASCII letters" in message
    assert f"({len(version)} characters)" in message


def test_a_version_of_exactly_64_characters_loads_and_65_do_not(tmp_path: Path) -> None:
    assert len(VERSION_64) == 64 and len(VERSION_65) == 65
    predictor = Predictor.from_path(write_model(tmp_path / "64.onnx", {"model_version": VERSION_64}))
    assert predictor.ready and predictor.model_version == VERSION_64
    assert "model_version must be" in _refusal(
        write_model(tmp_path / "65.onnx", {"model_version": VERSION_65})
    )


@pytest.mark.parametrize("version", ["forest-5906aeff46f1", "1.2.3+build.5", "v_1", "A", "x-" + "0" * 62])
def test_safe_versions_load(tmp_path: Path, version: str) -> None:
    assert Predictor.from_path(write_model(tmp_path / "m.onnx", {"model_version": version})).ready


@pytest.mark.parametrize(
    "version",
    ["", "-leading-dash", ".hidden", "has space", "a/b", "a;b", "tab\there", "nul\x00", "bidi\u202e"],
)
def test_versions_outside_the_pattern_are_refused(tmp_path: Path, version: str) -> None:
    message = _refusal(write_model(tmp_path / "m.onnx", {"model_version": version}))
    assert "model_version" in message  # "" reads as missing, the rest as breaking the rule


# --- the other strings a model shows ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "value", "rule"),
    [
        ("model_family", "logreg\r\nX-Forged: yes", "model_family must be 1 to 64 ASCII letters"),
        ("model_family", "<script>alert(1)</script>", "model_family must be 1 to 64 ASCII letters"),
        ("calibration", "sigmo\u00efd", "calibration must be 1 to 64 ASCII letters"),
        ("created_at", "2026-11-23\nforged line", "created_at must be at most 128 printable ASCII"),
        ("created_at", "x" * 129, "created_at must be at most 128 printable ASCII"),
        ("data_fingerprint", "\u00ff" * 64, "data_fingerprint must be at most 128 printable ASCII"),
    ],
)
def test_shown_metadata_strings_follow_their_rule(tmp_path: Path, key: str, value: str, rule: str) -> None:
    assert rule in _refusal(write_model(tmp_path / "m.onnx", {key: value}))


def test_schema_version_is_quoted_escaped(tmp_path: Path) -> None:
    message = _refusal(write_model(tmp_path / "m.onnx", {"schema_version": "1\r\nforged"}))
    assert "schema_version '1\\r\\nforged' is not supported" in message


def test_input_names_from_the_model_are_shown_escaped(tmp_path: Path) -> None:
    path = write_model(tmp_path / "m.onnx", extra_input=True)
    model = onnx.load(str(path))
    model.graph.input[-1].name = "pa\u00eds\r\nX-Forged: yes"
    path.write_bytes(model.SerializeToString())
    assert "has inputs ['age', 'gender', 'pa\\xeds\\r\\nX-Forged: yes', 'salary']" in _refusal(path)


def test_a_metadata_key_given_twice_is_refused(tmp_path: Path, no_onnxruntime: None) -> None:
    path = write_model(tmp_path / "m.onnx")
    model = onnx.load(str(path))
    model.metadata_props.append(onnx.StringStringEntryProto(key="model_version", value="other-1"))
    path.write_bytes(model.SerializeToString())
    assert "metadata gives model_version more than once" in _refusal(path)


# --- external data ----------------------------------------------------------------------------------
@pytest.mark.parametrize("in_attribute", [False, True], ids=["initializer", "constant-attribute"])
def test_a_model_with_external_data_is_refused_before_onnxruntime(
    tmp_path: Path, in_attribute: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_external_model(tmp_path / "m.onnx", "secret/weights.bin", in_attribute)
    # the file is a real external-data model: onnxruntime alone opens it and reads the other file
    assert ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).get_inputs()
    monkeypatch.chdir(tmp_path)  # from bytes, onnxruntime would resolve the location here
    calls: list[object] = []
    monkeypatch.setattr(runtime_model, "open_session", lambda model: calls.append(model))
    message = _refusal(path)
    tensor = "b" if in_attribute else "w"
    assert f"keeps tensor {tensor} in an external file; only self-contained models are served" in message
    assert calls == []


def test_external_data_inside_a_subgraph_is_found(tmp_path: Path) -> None:
    inner = onnx.load(str(write_external_model(tmp_path / "m.onnx", "w.bin")), load_external_data=False).graph
    outer = onnx.load(str(write_model(tmp_path / "plain.onnx")))
    branch = onnx.helper.make_node("If", ["cond"], ["out"], then_branch=inner, else_branch=inner)
    outer.graph.node.append(branch)
    assert list(runtime_model.external_tensors(outer)) == ["w", "w"]
    assert list(runtime_model.external_tensors(onnx.load(str(write_model(tmp_path / "ok.onnx"))))) == []


# --- size -------------------------------------------------------------------------------------------
def test_a_file_over_the_default_limit_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.onnx"
    with path.open("wb") as handle:
        handle.truncate(c.DEFAULT_MAX_MODEL_BYTES + 1)  # sparse: nothing written, nothing read
    with pytest.raises(ModelError, match=r"is 67108865 bytes, over the limit of 67108864 bytes"):
        read_model_bytes(path)


def test_the_limit_is_a_parameter_on_every_path(tmp_path: Path, no_onnxruntime: None) -> None:
    path = write_model(tmp_path / "padded.onnx", pad_bytes=20_000)
    size = path.stat().st_size
    limit = size - 1
    expected = f"is {size} bytes, over the limit of {limit} bytes (PREDICT_MAX_MODEL_BYTES"
    assert expected in _refusal(path, max_bytes=limit)
    with pytest.raises(ModelError, match="over the limit"):
        read_model_bytes(path, limit)
    with pytest.raises(ModelError, match="over the limit"):
        load_model(path, path.read_bytes(), max_bytes=limit)  # bytes read elsewhere are measured too


def test_a_model_at_the_limit_loads(tmp_path: Path) -> None:
    path = write_model(tmp_path / "padded.onnx", pad_bytes=20_000)
    predictor = Predictor.from_path(path, max_bytes=path.stat().st_size)
    assert predictor.ready


# --- good models and messages -----------------------------------------------------------------------
def test_the_test_model_and_the_shipped_model_pass_every_check(model_path: Path) -> None:
    assert Predictor.from_path(model_path).ready
    shipped = Path(__file__).resolve().parents[2] / "models" / "purchase_model.onnx"
    assert c.valid_token(load_model(shipped).metadata.model_version)
    assert shipped.stat().st_size < c.DEFAULT_MAX_MODEL_BYTES / 100  # the default leaves room to grow


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("forest-5906aeff46f1", "forest-5906aeff46f1"),
        ("a\r\nb", "'a\\r\\nb'"),
        ("\u00e9t\u00e9", "'\\xe9t\\xe9'"),
        ("bidi\u202e", "'bidi\\u202e'"),
        ("x" * 64, "x" * 64),
        ("x" * 65, "'" + "x" * 40 + "'..."),
        ("\n" * 50, "'" + "\\n" * 40 + "'..."),
    ],
)
def test_shown_never_prints_a_raw_unsafe_string(value: str, expected: str) -> None:
    assert c.shown(value) == expected


def test_printable_escapes_everything_outside_printable_ascii() -> None:
    assert c.printable("ok: 'a\r\nb' \u00e9") == "ok: 'a\\r\\nb' \\xe9"
    assert c.printable("x" * 10, limit=4) == "xxxx..."
