"""`purchase-predictor`: one command for the whole job, from training to serving (docs/reference/cli.md).

Every subcommand imports the module it wraps only when it runs, so `score` and `serve` never load
scikit-learn or pandas. Errors are one line on stderr and an exit code from purchase_predictor.exit_codes.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from purchase_predictor import __version__
from purchase_predictor.exit_codes import CliError, Exit
from purchase_predictor.options import configure_logging

PROG = "purchase-predictor"


def _one_line(text: str) -> str:
    """A message as one line."""
    return " ".join(text.split())


class Command(click.Group):
    """The group, whose every failure is one line and an exit code of the documented table."""

    def main(self, args: Any = None, prog_name: str | None = None, *rest: Any, **extra: Any) -> Any:
        extra["standalone_mode"] = False
        try:
            result = super().main(args, prog_name or PROG, *rest, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx else "", err=True)
            sys.exit(Exit.USAGE)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else PROG
            click.echo(f"{where}: error: {_one_line(exc.format_message())} (see --help)", err=True)
            sys.exit(Exit.USAGE)
        except click.ClickException as exc:
            click.echo(f"{PROG}: error: {_one_line(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except CliError as exc:
            click.echo(f"{exc.where}: error: {_one_line(str(exc))}", err=True)
            sys.exit(exc.code)
        except (KeyboardInterrupt, click.Abort):
            click.echo(f"{PROG}: interrupted", err=True)
            sys.exit(Exit.INTERRUPTED)
        except Exception as exc:  # a last resort: still one line, never a traceback
            detail = _one_line(str(exc))[:200]
            click.echo(f"{PROG}: internal error: {type(exc).__name__}: {detail}", err=True)
            sys.exit(Exit.INTERNAL)
        sys.exit(result if isinstance(result, int) else Exit.OK)


@click.group(
    cls=Command,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="\b\nExample:\n  purchase-predictor score --input customers.csv --output scored.parquet\n"
    "Exit codes and every subcommand: docs/reference/cli.md",
)
@click.version_option(__version__, "-V", "--version", prog_name=PROG, message="%(prog)s %(version)s")
def cli() -> None:
    """Train, export, serve and score the purchase model, and watch it for drift."""
    configure_logging()


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: runs the command and exits with its code."""
    return int(cli.main(argv, PROG))


def _register() -> None:
    """Attach the subcommands (their modules import the wrapped code lazily, inside each command)."""
    from purchase_predictor import model_commands, scoring_commands, service_commands

    for module in (model_commands, service_commands, scoring_commands):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()
