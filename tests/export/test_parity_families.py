"""Parity holds for every model family and calibration, on held-out rows, a grid and adversarial points."""

from __future__ import annotations

from pathlib import Path

import pytest

from export.bundle import load_bundle
from export.export import export
from export.parity import check_parity
from tests.export.conftest import ESTIMATORS, make_bundle

pytestmark = pytest.mark.slow


# Families whose graph uses no transcendental function: onnxruntime must reproduce them bit for bit
# (tree sums in sklearn's order, folded splits, XGBoost's float32 arithmetic, isotonic interpolation).
BIT_EXACT = {"forest", "forest-isotonic", "tree", "xgboost", "xgboost-isotonic", "knn"}


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_exported_model_matches_sklearn_on_every_point_set(name: str, tmp_path: Path) -> None:
    bundle = make_bundle(ESTIMATORS[name](), tmp_path)
    results = export(bundle, tmp_path / "m.onnx", tmp_path / "card.json", small=True)
    assert [r["name"] for r in results] == ["held-out test rows", "grid", "adversarial"]
    for result in results:
        assert result["passed"], result
        assert result["max_abs_diff"] <= (0.0 if name in BIT_EXACT else 1e-6)
        assert set(result["mismatches"].values()) == {0}
        assert result["points"] > 0


@pytest.mark.reference
@pytest.mark.parametrize(
    "name", ["forest", "forest-isotonic", "xgboost", "xgboost-isotonic", "knn", "knn-sigmoid"]
)
def test_parity_on_the_reference_dataset(name: str, tmp_path: Path) -> None:
    from tests.export.conftest import REFERENCE_CSV

    if not REFERENCE_CSV.is_file():
        pytest.skip("reference dataset absent")
    bundle = make_bundle(ESTIMATORS[name](), tmp_path, reference=True)
    export(bundle, tmp_path / "m.onnx", tmp_path / "card.json", small=True)
    results = check_parity(load_bundle(bundle), tmp_path / "m.onnx", small=True)
    assert all(r.passed for r in results), [(r.name, r.max_abs_diff, r.mismatches) for r in results]


def test_plain_skl2onnx_export_is_not_exact(tmp_path: Path) -> None:
    """Guard: the float32 Scaler + TreeEnsemble route really does disagree, so the exact graph matters."""
    import numpy as np
    import pandas as pd
    from skl2onnx import to_onnx

    from export.validate import session_for
    from tests.export.conftest import synthetic_frame

    bundle = load_bundle(make_bundle(ESTIMATORS["forest"](), tmp_path))
    pipeline = bundle["pipeline"]
    frame, _ = synthetic_frame()
    plain = to_onnx(pipeline, frame.iloc[:1], options={"zipmap": False})
    session = session_for(plain.SerializeToString())
    ages = np.repeat(np.arange(18.0, 61.0), 136)
    salaries = np.tile(np.arange(15_000.0, 151_000.0, 1000.0), 43)
    grid = pd.DataFrame({"age": ages, "salary": salaries, "gender": np.full(len(ages), "Male", dtype=object)})
    feeds = {c: grid[[c]].to_numpy() for c in grid.columns}
    got = session.run(None, feeds)[1][:, 1]
    assert np.max(np.abs(got - pipeline.predict_proba(grid)[:, 1])) > 1e-6
