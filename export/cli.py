"""Shared command-line plumbing: one-line errors for bad flags, logging set-up, where a run's files are."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import NoReturn

from export.bundle import DEFAULT_BUNDLE

DEFAULT_MODEL = Path("models/purchase_model.onnx")
DEFAULT_CARD = Path("models/model_card.json")
CARD_NAME = DEFAULT_CARD.name  # a model's card sits beside it under this name: one model per folder
RUN_BUNDLE = DEFAULT_BUNDLE.name  # what `python -m training.train --out RUN` writes into RUN
RUN_MODEL = DEFAULT_MODEL.name  # what `python -m export.export --run RUN` writes into RUN by default


class OneLineParser(argparse.ArgumentParser):
    """ArgumentParser that reports bad flags as a single line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def parser(description: str, model: bool = False, card: bool = False) -> OneLineParser:
    """The common flags: --run, --bundle, --model, --card (export) and --small (tests only)."""
    p = OneLineParser(description=description)
    p.add_argument("--run", type=Path, help="a training run folder (python -m training.train --out RUN)")
    p.add_argument("--bundle", type=Path, help=f"fitted pipeline bundle (default {DEFAULT_BUNDLE})")
    p.add_argument("--model", type=Path, help=f"ONNX model file (default {DEFAULT_MODEL})")
    if card:
        p.add_argument(
            "--out", type=Path, help=f"the candidate ONNX file to write (with --run: RUN/{RUN_MODEL})"
        )
        p.add_argument("--card", type=Path, help=f"model card JSON (default: {CARD_NAME} beside the model)")
    p.add_argument("--small", action="store_true", help="smaller parity grid (tests only)")
    return p


def card_beside(model: Path) -> Path:
    """Where a model file's card is: `model_card.json` in the same folder."""
    return model.with_name(CARD_NAME)


def export_paths(p: OneLineParser, args: argparse.Namespace) -> tuple[Path, Path, Path]:
    """The bundle read and the model and card written by an export, from --run/--out/--bundle/--model."""
    if args.out is not None and args.model is not None:
        p.error("--out and --model both name the file to write; give one")
    target = args.out or args.model
    if args.run is not None:
        if args.bundle is not None:
            p.error(f"--run reads RUN/{RUN_BUNDLE}; give --run or --bundle, not both")
        bundle, model = args.run / RUN_BUNDLE, target or args.run / RUN_MODEL
    else:
        bundle, model = args.bundle or DEFAULT_BUNDLE, target or DEFAULT_MODEL
    return bundle, model, args.card or card_beside(model)


def parity_paths(p: OneLineParser, args: argparse.Namespace) -> tuple[Path, Path]:
    """The bundle and model a parity check compares: the model's own run, as named by its card."""
    if args.run is not None:
        if args.bundle is not None:
            p.error(f"--run reads RUN/{RUN_BUNDLE}; give --run or --bundle, not both")
        return args.run / RUN_BUNDLE, args.model or args.run / RUN_MODEL
    model = args.model or DEFAULT_MODEL
    return args.bundle or bundle_named_by_card(model) or DEFAULT_BUNDLE, model


def bundle_named_by_card(model: Path) -> Path | None:
    """The run's bundle that the card beside `model` names (None without a readable card that names one)."""
    try:
        named = json.loads(card_beside(model).read_text(encoding="utf-8")).get("bundle")
    except (OSError, ValueError, AttributeError):
        return None
    return Path(named) if isinstance(named, str) and named else None


def configure_logging() -> None:
    """Plain INFO logging to stderr for the CLI entry points."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
