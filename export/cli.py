"""Shared command-line plumbing: one-line errors for bad flags, logging set-up."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import NoReturn

from export.bundle import DEFAULT_BUNDLE

DEFAULT_MODEL = Path("models/purchase_model.onnx")
DEFAULT_CARD = Path("models/model_card.json")


class OneLineParser(argparse.ArgumentParser):
    """ArgumentParser that reports bad flags as a single line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def parser(description: str, model: bool = False, card: bool = False) -> OneLineParser:
    """The common flags: --bundle, --model, --card and --small (tests only)."""
    p = OneLineParser(description=description)
    p.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE, help="fitted pipeline bundle (joblib)")
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="ONNX model file")
    if card:
        p.add_argument("--card", type=Path, default=DEFAULT_CARD, help="model card JSON")
    p.add_argument("--small", action="store_true", help="smaller parity grid (tests only)")
    return p


def configure_logging() -> None:
    """Plain INFO logging to stderr for the CLI entry points."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
