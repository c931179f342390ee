"""make export / make parity: determinism, atomic replacement and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import joblib
import onnx
import pytest
from onnx import numpy_helper
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline

from export import export as export_module
from export.errors import InvalidModelFileError
from export.export import main as export_main
from export.parity import main as parity_main
from export.validate import validate
from tests.export.conftest import synthetic_frame

ROOT = Path(__file__).resolve().parents[2]


def _run(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run an export CLI as `make` does, capturing its output."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _export_args(bundle: Path, models: Path) -> list[str]:
    return [
        "--bundle",
        str(bundle),
        "--model",
        str(models / "m.onnx"),
        "--card",
        str(models / "card.json"),
        "--small",
    ]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_export_twice_is_byte_identical(forest_bundle: Path, models_dir: Path, tmp_path: Path) -> None:
    assert export_main(_export_args(forest_bundle, models_dir)) == 0
    first = _snapshot(models_dir)
    other = tmp_path / "again"
    other.mkdir()
    assert export_main(_export_args(forest_bundle, other)) == 0
    assert _snapshot(other) == first
    assert set(first) == {"m.onnx", "card.json"}
    assert all((models_dir / name).stat().st_mode & 0o777 == 0o644 for name in first)


def test_exported_file_follows_the_contract(forest_bundle: Path, models_dir: Path) -> None:
    assert export_main(_export_args(forest_bundle, models_dir)) == 0
    meta, session = validate(models_dir / "m.onnx")
    assert meta["model_family"] == "forest" and meta["calibration"] == "none"
    assert meta["threshold"] == "0.6" and meta["created_at"] == "2026-01-01T00:00:00Z"
    assert meta["model_version"].startswith("forest-") and len(meta["model_version"]) == len("forest-") + 12
    assert meta["input_schema"]["age"] == {"type": "float64", "min": 0, "max": 120, "min_exclusive": True}
    assert {"python", "numpy", "scikit-learn", "xgboost", "skl2onnx", "onnx", "onnxruntime"} <= set(
        meta["library_versions"]
    )
    assert [i.name for i in session.get_inputs()] == ["age", "salary", "gender"]
    assert [o.name for o in session.get_outputs()] == ["label", "probabilities"]
    model = onnx.load(str(models_dir / "m.onnx"))
    assert len(model.graph.node) < 30  # one ensemble node, not O(trees)
    card = json.loads((models_dir / "card.json").read_text())
    assert card["metadata"]["model_version"] == meta["model_version"]
    assert all(r["passed"] for r in card["parity"])


def test_failed_parity_leaves_previous_model_untouched(
    forest_bundle: Path, models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert export_main(_export_args(forest_bundle, models_dir)) == 0
    before = _snapshot(models_dir)
    frame, y = synthetic_frame(seed=1)
    other = joblib.load(forest_bundle)["pipeline"].fit(frame, y)  # same shape, different trees
    real = export_module.pipeline_to_onnx
    monkeypatch.setattr(export_module, "pipeline_to_onnx", lambda _pipeline: real(other))
    assert export_main(_export_args(forest_bundle, models_dir)) == 1
    assert _snapshot(models_dir) == before


def _wrong_columns_bundle(folder: Path, info: dict[str, Any]) -> Path:
    frame, y = synthetic_frame()
    pipeline = Pipeline([("model", RandomForestClassifier(n_estimators=3, random_state=0))])
    pipeline.fit(frame[["age", "salary"]], y)
    path = folder / "wrong.joblib"
    joblib.dump({"pipeline": pipeline, "training": info}, path)
    return path


def _bad_bundles(folder: Path, info: dict[str, Any]) -> dict[str, Path]:
    garbage = folder / "garbage.joblib"
    garbage.write_bytes(b"not a pickle")
    return {
        "missing": folder / "absent.joblib",
        "garbage": garbage,
        "wrong columns": _wrong_columns_bundle(folder, info),
    }


@pytest.mark.parametrize("case", ["missing", "garbage", "wrong columns"])
def test_bad_bundle_gives_one_line_and_leaves_models_untouched(
    case: str, forest_bundle: Path, models_dir: Path, tmp_path: Path
) -> None:
    assert export_main(_export_args(forest_bundle, models_dir)) == 0
    before = _snapshot(models_dir)
    result = _run(
        "export.export",
        *_export_args(_bad_bundles(tmp_path, joblib.load(forest_bundle)["training"])[case], models_dir),
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("export: ")
    assert _snapshot(models_dir) == before


@pytest.mark.parametrize("flags", [["--nope"], ["--bundle"], ["--small", "extra"]])
def test_bad_flags_give_one_line_and_exit_2(flags: list[str]) -> None:
    for module in ("export.export", "export.parity"):
        result = _run(module, *flags)
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1
        assert "error:" in result.stderr


def _tamper(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "graph changed":
        model = onnx.load(str(path))
        count = next(i for i in model.graph.initializer if i.name.startswith("n_trees"))
        count.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(count) + 1.0, count.name))
        onnx.save(model, str(path))
    elif how == "golden changed":
        model = onnx.load(str(path))
        for prop in model.metadata_props:
            if prop.key == "golden_examples":
                golden = json.loads(prop.value)
                golden[0]["probability"] = 1.0 - golden[0]["probability"]
                prop.value = json.dumps(golden)
        onnx.save(model, str(path))
    elif how == "metadata dropped":
        model = onnx.load(str(path))
        del model.metadata_props[:]
        onnx.save(model, str(path))


@pytest.mark.parametrize("how", ["truncated", "graph changed", "golden changed", "metadata dropped"])
def test_tampered_model_is_refused(how: str, forest_bundle: Path, models_dir: Path) -> None:
    assert export_main(_export_args(forest_bundle, models_dir)) == 0
    _tamper(models_dir / "m.onnx", how)
    with pytest.raises(InvalidModelFileError):
        validate(models_dir / "m.onnx")
    result = _run(
        "export.parity", "--bundle", str(forest_bundle), "--model", str(models_dir / "m.onnx"), "--small"
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("parity: ")


def test_parity_cli_passes_on_a_fresh_export(forest_bundle: Path, models_dir: Path) -> None:
    assert export_main(_export_args(forest_bundle, models_dir)) == 0
    assert (
        parity_main(["--bundle", str(forest_bundle), "--model", str(models_dir / "m.onnx"), "--small"]) == 0
    )


def test_parity_refuses_a_model_from_another_training_run(
    forest_bundle: Path, models_dir: Path, tmp_path: Path
) -> None:
    assert export_main(_export_args(forest_bundle, models_dir)) == 0
    bundle = joblib.load(forest_bundle)
    bundle["training"]["trained_at"] = "2030-01-01T00:00:00Z"
    retrained = tmp_path / "retrained.joblib"
    joblib.dump(bundle, retrained)
    assert parity_main(["--bundle", str(retrained), "--model", str(models_dir / "m.onnx"), "--small"]) == 1
