"""`make export`: bundle -> models/purchase_model.onnx + model card, replaced only if parity holds."""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import onnx

from export.bundle import load_bundle
from export.cli import configure_logging, parser
from export.convert import pipeline_to_onnx
from export.converters import describe
from export.errors import ExportError
from export.metadata import attach_metadata, build_metadata, parse_metadata
from export.parity import as_dict, check_parity, require_parity, summarise
from export.preprocess import split_pipeline
from monitoring.power import detectable_shifts
from monitoring.profile import parse_profile

logger = logging.getLogger(__name__)
FILE_MODE = 0o644  # mkstemp creates 0600; the service (another user in Docker) must read the model


def build_model(bundle: dict[str, Any]) -> tuple[onnx.ModelProto, dict[str, str]]:
    """The ONNX model with contract metadata for a loaded bundle."""
    pipeline = bundle["pipeline"]
    _, model = split_pipeline(pipeline)
    family, calibration = describe(model)
    props = build_metadata(pipeline, bundle["training"], family, calibration)
    proto = pipeline_to_onnx(pipeline)
    return proto, attach_metadata(proto, props)


def model_card(props: dict[str, str], results: list[dict[str, Any]], model_path: Path) -> str:
    """The human-readable card: the metadata decoded, plus the parity results."""
    card = {"model_file": model_path.name, "metadata": parse_metadata(props), "parity": results}
    card["drift_detection"] = detectable_shifts(  # docs/monitoring.md: the smallest detectable shifts
        parse_profile(props["reference_profile"]),
        {k: (float(v[0]), float(v[1])) for k, v in json.loads(props["training_ranges"]).items()},
    )
    return json.dumps(card, indent=2, sort_keys=True) + "\n"


def _temp_path(target: Path, suffix: str) -> Path:
    """A fresh temp file next to target (same filesystem, so os.replace is atomic)."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(handle)
    return Path(name)


def export(bundle_path: Path, model_path: Path, card_path: Path, small: bool = False) -> list[dict[str, Any]]:
    """Convert, check parity on a temp file, then atomically replace the model and the card."""
    bundle = load_bundle(bundle_path)
    proto, props = build_model(bundle)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    card_path.parent.mkdir(parents=True, exist_ok=True)
    temp_model, temp_card = _temp_path(model_path, ".onnx.tmp"), _temp_path(card_path, ".json.tmp")
    try:
        temp_model.write_bytes(proto.SerializeToString())
        results = check_parity(bundle, temp_model, small=small)
        summarise(results)
        require_parity(results)
        serialised = as_dict(results)
        temp_card.write_text(model_card(props, serialised, model_path), encoding="utf-8")
        for temp in (temp_model, temp_card):
            temp.chmod(FILE_MODE)
        os.replace(temp_model, model_path)
        os.replace(temp_card, card_path)
    finally:
        temp_model.unlink(missing_ok=True)
        temp_card.unlink(missing_ok=True)
    logger.info("export: wrote %s (%s) and %s", model_path, props["model_version"], card_path)
    return serialised


def main(argv: list[str] | None = None) -> int:
    """CLI entry point for `make export`."""
    args = parser("Export the fitted pipeline to ONNX after a parity check.", card=True).parse_args(argv)
    configure_logging()
    try:
        export(args.bundle, args.model, args.card, small=args.small)
    except ExportError as exc:
        logger.error("export: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
