"""`make export`: a run's bundle -> an ONNX file + its card beside it, written only if parity holds.

`python -m export.export --run RUN [--out CANDIDATE.onnx]` writes a candidate (default
RUN/purchase_model.onnx) and never touches the served model; without --run it converts
models/purchase_pipeline.joblib into models/purchase_model.onnx and models/model_card.json (the committed
model). The card records the model file's SHA-256 and the bundle it came from: `make deploy-model`
carries the card with the model and `make parity` checks a model against that bundle.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import onnx

from export.bundle import load_bundle
from export.card import ModelCard
from export.cli import DEFAULT_MODEL, configure_logging, export_paths, parser
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


def model_card(
    props: dict[str, str],
    results: list[dict[str, Any]],
    model_path: Path,
    sha256: str | None = None,
    bundle: Path | None = None,
) -> str:
    """The human-readable card: the metadata decoded, the parity results, the file's hash and its bundle."""
    card: ModelCard = {
        "model_file": model_path.name,
        "metadata": parse_metadata(props),
        "parity": results,
        "drift_detection": detectable_shifts(  # docs/monitoring.md: the smallest detectable shifts
            parse_profile(props["reference_profile"]),
            {k: (float(v[0]), float(v[1])) for k, v in json.loads(props["training_ranges"]).items()},
        ),
    }
    if sha256 is not None:
        card["sha256"] = sha256
    if bundle is not None:
        card["bundle"] = bundle.as_posix()
    return json.dumps(card, indent=2, sort_keys=True) + "\n"  # sorted keys: the order above is free


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
        data = proto.SerializeToString()
        temp_model.write_bytes(data)
        results = check_parity(bundle, temp_model, small=small)
        summarise(results)
        require_parity(results)
        serialised = as_dict(results)
        sha256 = hashlib.sha256(data).hexdigest()
        card = model_card(props, serialised, model_path, sha256, bundle_path)
        temp_card.write_text(card, encoding="utf-8")
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
    cli = parser("Export a run's fitted pipeline to ONNX after a parity check.", card=True)
    args = cli.parse_args(argv)
    bundle, model, card = export_paths(cli, args)
    configure_logging()
    try:
        export(bundle, model, card, small=args.small)
    except ExportError as exc:
        logger.error("export: %s", exc)
        return 1
    if model.resolve() == DEFAULT_MODEL.resolve():
        logger.info(
            "export: %s is the file `make serve` serves; a running service switches only at its next "
            "reload or start (make deploy-model checks and reloads)",
            model,
        )
    else:
        logger.info("next: make deploy-model MODEL=%s", model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
