"""The command's exit codes, one family for every subcommand (the table in docs/reference/cli.md)."""

from __future__ import annotations

from enum import IntEnum

import click


class Exit(IntEnum):
    """What a `purchase-predictor` process's exit status means."""

    OK = 0
    INTERNAL = 1  # an unexpected failure, an output that cannot be written, a failed Spark job
    USAGE = 2  # a bad flag or argument, an output that already exists
    CONFIG = 3  # the model or the configuration is unusable: a model failing its checks, a bad variable
    INPUT = 4  # the input is unusable: missing, unreadable, lacking a column
    REFUSED = 5  # a check refused the result: too many invalid rows, parity, the service kept its model
    DRIFT = 6  # drift at or above --fail-on
    INTERRUPTED = 130  # SIGINT (143 for SIGTERM): 128 + the signal, partial outputs removed


class CliError(Exception):
    """A failure with its exit code; the command prints the message as one line."""

    def __init__(self, code: Exit, message: str) -> None:
        super().__init__(message)
        self.code = code
        ctx = click.get_current_context(silent=True)
        self.where = ctx.command_path if ctx is not None else "purchase-predictor"  # e.g. "… score"


def needs_extra(extra: str, exc: ImportError) -> CliError:
    """The one-line error for a subcommand whose optional dependencies are not installed."""
    missing = exc.name or str(exc)
    return CliError(
        Exit.CONFIG,
        f"this subcommand needs the [{extra}] extra ({missing} is not installed): "
        f"pip install 'purchase-predictor[{extra}]'",
    )
