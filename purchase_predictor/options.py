"""What the subcommands share: the --model option, one-line flag errors, logging to the current stderr."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

DEFAULT_MODEL = Path("models/purchase_model.onnx")
MODEL_ENV = "PREDICT_MODEL_PATH"


def model_option(help_text: str = "the ONNX model file") -> Callable[[Any], Any]:
    """--model PATH, default $PREDICT_MODEL_PATH, else models/purchase_model.onnx (relative to the cwd)."""
    return click.option(
        "--model",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar=MODEL_ENV,
        show_envvar=True,
        default=DEFAULT_MODEL,
        show_default=True,
        help=help_text,
    )


def example(*lines: str) -> str:
    """An epilog with examples, kept as written by click's formatter."""
    return "\b\nExample:\n" + "\n".join(f"  {line}" for line in lines)


@contextmanager
def argparse_errors_as_usage() -> Iterator[None]:
    """While wrapping a module's argparse parser: a bad value is a one-line usage error (exit 2)."""
    original = argparse.ArgumentParser.error

    def error(self: argparse.ArgumentParser, message: str) -> NoReturn:
        raise click.UsageError(message)

    argparse.ArgumentParser.error = error  # type: ignore[method-assign]
    try:
        yield
    finally:
        argparse.ArgumentParser.error = original  # type: ignore[method-assign]


class CurrentStderr(logging.Handler):
    """Writes each record to the sys.stderr of the moment (click's test runner replaces it per call)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


def configure_logging() -> None:
    """INFO lines on stderr, `LEVEL logger: message`; replaces this command's earlier handler."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, CurrentStderr)]:
        root.removeHandler(handler)
    handler = CurrentStderr()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)


def plain_messages() -> None:
    """This command's log lines as bare messages (deploy, rollback, history: written for people, as
    `python -m service.process.deploy` prints them), not `LEVEL logger: message`."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, CurrentStderr):
            handler.setFormatter(logging.Formatter("%(message)s"))
