"""The models every benchmark measures: the committed ones, the real pipeline exported, or stand-ins."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from bench.apps.stand_in import make_stand_ins
from bench.harness.servers import ROOT

log = logging.getLogger(__name__)

MODELS = ROOT / "models"


def resolve_models(tmp: Path) -> tuple[Path, Path, str]:
    """The joblib and ONNX models to measure, and where they come from.

    Real files (copied into `tmp`) when both exist; the real joblib exported by the project's exporter
    into `tmp` when only the ONNX file is missing (models/ is never touched); else freshly made stand-ins.
    """
    joblib_path, onnx_path = MODELS / "purchase_pipeline.joblib", MODELS / "purchase_model.onnx"
    if joblib_path.exists() and onnx_path.exists():  # copies: a re-export mid-run cannot mix two models
        return Path(shutil.copy2(joblib_path, tmp)), Path(shutil.copy2(onnx_path, tmp)), "models/"
    if joblib_path.exists():
        try:
            from export.bundle import load_bundle
            from export.export import build_model

            proto, _ = build_model(load_bundle(joblib_path))
            (tmp / "purchase_model.onnx").write_bytes(proto.SerializeToString())
            log.warning("models/purchase_model.onnx missing: exported the real pipeline into %s", tmp)
            return joblib_path, tmp / "purchase_model.onnx", "real pipeline, exported to a temp folder"
        except Exception as error:  # any exporter failure falls back to stand-ins, which still measure
            log.warning("export of the real pipeline failed (%s): using stand-ins", error)
    log.warning("models/ incomplete: using stand-in Random Forest models in %s", tmp)
    joblib_path, onnx_path = make_stand_ins(tmp)
    return joblib_path, onnx_path, "stand-in"
