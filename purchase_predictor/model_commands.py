"""`train`, `export`, `parity`: the [training] extra's subcommands (scikit-learn, skl2onnx, pandas)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from purchase_predictor.exit_codes import CliError, Exit, needs_extra
from purchase_predictor.options import argparse_errors_as_usage, example, model_option

FAMILIES = ("forest", "logreg", "knn", "tree", "xgboost", "auto")
DEFAULT_BUNDLE = Path("models/purchase_pipeline.joblib")
PATH = click.Path(path_type=Path)


@click.command(
    epilog=example(
        "purchase-predictor train --data data/customers.csv            # into a new runs/<UTC time>-forest/",
        "purchase-predictor train --family auto --threshold max-f1 --out runs/try-auto",
        "purchase-predictor train --out-dir models --report-dir reports  # rebuild the committed model",
    )
)
@click.option("--data", type=PATH, default=Path("data/customers.csv"), show_default=True, help="customer CSV")
@click.option(
    "--family",
    type=click.Choice(FAMILIES),
    default="forest",
    show_default=True,
    help="the final model family (auto: the best of the comparison)",
)
@click.option(
    "--threshold",
    default="0.6",
    show_default=True,
    help="a number in (0,1), max-f1, precision>=X, recall>=X or profit",
)
@click.option(
    "--calibration",
    type=click.Choice(["auto", "none", "sigmoid", "isotonic"]),
    default="auto",
    show_default=True,
)
@click.option("--gain-tp", type=float, help="profit of a true positive (for --threshold profit)")
@click.option("--cost-fp", type=float, help="cost of a false positive (for --threshold profit)")
@click.option("--seed", type=click.IntRange(min=0), default=42, show_default=True)
@click.option("--cv-repeats", type=click.IntRange(min=1), help="CV repeats (default 5, with --fast 2)")
@click.option("--fast", is_flag=True, help="tiny grids and 2 CV repeats: a quick, rougher model")
@click.option("--drop-invalid", is_flag=True, help="skip bad rows instead of refusing the file")
@click.option("--without-gender", is_flag=True, help="train the final pipeline without the gender input")
@click.option("--out", type=PATH, help="run folder for all outputs (default: new runs/<UTC time>-<family>/)")
@click.option("--out-dir", type=PATH, help="only the pipeline bundle and training.json (e.g. models)")
@click.option("--report-dir", type=PATH, help="only metrics.json and report.html (e.g. reports)")
def train(**options: Any) -> int:
    """Train, compare and calibrate a pipeline on a customer CSV into a run folder, showing progress."""
    try:
        from training.errors import ConfigError, DataError
        from training.train import parse_args, run
    except ImportError as exc:
        raise needs_extra("training", exc) from None
    argv = [
        "--data",
        str(options["data"]),
        "--model",
        options["family"],
        "--threshold",
        options["threshold"],
        "--calibration",
        options["calibration"],
        "--seed",
        str(options["seed"]),
    ]
    for flag in ("gain_tp", "cost_fp", "cv_repeats", "out", "out_dir", "report_dir"):
        if options[flag] is not None:
            argv += ["--" + flag.replace("_", "-"), str(options[flag])]
    argv += [
        f"--{flag.replace('_', '-')}" for flag in ("fast", "drop_invalid", "without_gender") if options[flag]
    ]
    with argparse_errors_as_usage():
        args = parse_args(argv)
    try:
        run(args)
    except DataError as exc:
        raise CliError(Exit.INPUT, str(exc)) from None
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        raise CliError(Exit.INTERNAL, f"cannot write output: {exc}") from None
    return Exit.OK


def _export_errors(exc: Exception) -> CliError:
    """An export or parity failure as its exit code."""
    from export.errors import BundleError, InvalidModelFileError, ParityError, UnsupportedModelError

    if isinstance(exc, ParityError):
        return CliError(Exit.REFUSED, str(exc))
    if isinstance(exc, BundleError | UnsupportedModelError):
        return CliError(Exit.INPUT, str(exc))
    if isinstance(exc, InvalidModelFileError):
        return CliError(Exit.CONFIG, str(exc))
    return CliError(Exit.INTERNAL, str(exc))


def _module_argv(**flags: Path | None) -> list[str]:
    """--name value pairs for the flags that were given (the export and parity modules' own parsers)."""
    argv: list[str] = []
    for name, value in flags.items():
        if value is not None:
            argv += [f"--{name}", str(value)]
    return argv


def _given(ctx: click.Context, name: str, value: Path) -> Path | None:
    """The option's value when the user gave it (flag or environment), None when it is the default."""
    source = ctx.get_parameter_source(name)
    return None if source in (None, click.core.ParameterSource.DEFAULT) else value


@click.command(
    epilog=example(
        "purchase-predictor export --run runs/2026-12-01T2015-forest   # -> that run's purchase_model.onnx",
        "purchase-predictor export --run runs/try-auto --out candidate.onnx",
        "purchase-predictor export                                     # models/: the committed model",
    )
)
@click.option("--run", type=PATH, help="a run folder of `train`: reads RUN/purchase_pipeline.joblib")
@click.option("--out", type=PATH, help="the candidate ONNX file (with --run: RUN/purchase_model.onnx)")
@click.option("--bundle", type=PATH, help=f"a pipeline bundle instead of --run (default {DEFAULT_BUNDLE})")
@model_option("the ONNX file to write without --run/--out (replaced only when parity holds)")
@click.option("--card", type=PATH, help="the model card to write (default: model_card.json beside the model)")
@click.option("--small", is_flag=True, help="a smaller parity grid (quick checks)")
@click.pass_context
def export(
    ctx: click.Context,
    run: Path | None,
    out: Path | None,
    bundle: Path | None,
    model: Path,
    card: Path | None,
    small: bool,
) -> int:
    """Convert a trained bundle to one ONNX file with its model card, after a parity check."""
    try:
        from export.cli import export_paths, parser
        from export.errors import ExportError
        from export.export import export as run_export
    except ImportError as exc:
        raise needs_extra("training", exc) from None
    argv = _module_argv(run=run, out=out, bundle=bundle, model=_given(ctx, "model", model), card=card)
    cli = parser("export", model=True, card=True)
    with argparse_errors_as_usage():
        bundle_path, model_path, card_path = export_paths(cli, cli.parse_args(argv))
    try:
        run_export(bundle_path, model_path, card_path, small=small)
    except ExportError as exc:
        raise _export_errors(exc) from None
    except OSError as exc:
        raise CliError(Exit.INTERNAL, f"cannot write output: {exc}") from None
    click.echo(
        f"export: wrote {model_path} and {card_path}; deploy it with: purchase-predictor deploy {model_path}",
        err=True,
    )
    return Exit.OK


@click.command(
    epilog=example(
        "purchase-predictor parity                      # the served model against its card's run",
        "purchase-predictor parity --run runs/try-auto      # a run's own model",
    )
)
@click.option("--run", type=PATH, help="a run folder: RUN/purchase_model.onnx against RUN's pipeline")
@click.option("--bundle", type=PATH, help="the pipeline bundle (default: the one the model's card names)")
@model_option("the ONNX model to compare with the bundle")
@click.option("--small", is_flag=True, help="a smaller parity grid (quick checks)")
@click.pass_context
def parity(ctx: click.Context, run: Path | None, bundle: Path | None, model: Path, small: bool) -> int:
    """Check that onnxruntime answers as scikit-learn does (held-out rows, a dense grid, edge points)."""
    try:
        from export.bundle import load_bundle
        from export.cli import parity_paths, parser
        from export.errors import ExportError
        from export.parity import check_parity, require_parity, summarise
    except ImportError as exc:
        raise needs_extra("training", exc) from None
    cli = parser("parity", model=True)
    with argparse_errors_as_usage():
        argv = _module_argv(run=run, bundle=bundle, model=_given(ctx, "model", model))
        bundle_path, model_path = parity_paths(cli, cli.parse_args(argv))
    if not model_path.is_file():
        raise CliError(Exit.CONFIG, f"model {model_path} does not exist")
    try:
        results = check_parity(load_bundle(bundle_path), model_path, small=small)
        summarise(results)
        require_parity(results)
    except ExportError as exc:
        raise _export_errors(exc) from None
    click.echo(f"parity: ok ({model_path} against {bundle_path})", err=True)
    return Exit.OK


COMMANDS = (train, export, parity)
