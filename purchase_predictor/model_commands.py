"""`train`, `export`, `parity`: the [training] extra's subcommands (scikit-learn, skl2onnx, pandas)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from purchase_predictor.exit_codes import CliError, Exit, needs_extra
from purchase_predictor.options import argparse_errors_as_usage, example, model_option

FAMILIES = ("forest", "logreg", "knn", "tree", "xgboost", "auto")
DEFAULT_BUNDLE = Path("models/purchase_pipeline.joblib")
DEFAULT_CARD = Path("models/model_card.json")
PATH = click.Path(path_type=Path)


@click.command(
    epilog=example(
        "purchase-predictor train --data data/customers.csv --out-dir runs/today --report-dir runs/today",
        "purchase-predictor train --family auto --threshold max-f1",
    )
)
@click.option("--data", type=PATH, default=Path("data/customers.csv"), show_default=True, help="customer CSV")
@click.option("--family", type=click.Choice(FAMILIES), default="forest", show_default=True,
              help="the final model family (auto: the best of the comparison)")  # fmt: skip
@click.option("--threshold", default="0.6", show_default=True,
              help="a number in (0,1), max-f1, precision>=X, recall>=X or profit")  # fmt: skip
@click.option("--calibration", type=click.Choice(["auto", "none", "sigmoid", "isotonic"]), default="auto",
              show_default=True)  # fmt: skip
@click.option("--gain-tp", type=float, help="profit of a true positive (for --threshold profit)")
@click.option("--cost-fp", type=float, help="cost of a false positive (for --threshold profit)")
@click.option("--seed", type=click.IntRange(min=0), default=42, show_default=True)
@click.option("--cv-repeats", type=click.IntRange(min=1), help="CV repeats (default 5, with --fast 2)")
@click.option("--fast", is_flag=True, help="tiny grids and 2 CV repeats: a quick, rougher model")
@click.option("--drop-invalid", is_flag=True, help="skip bad rows instead of refusing the file")
@click.option("--without-gender", is_flag=True, help="train the final pipeline without the gender input")
@click.option("--out-dir", type=PATH, default=Path("models"), show_default=True,
              help="where the pipeline bundle and training.json go")  # fmt: skip
@click.option("--report-dir", type=PATH, default=Path("reports"), show_default=True,
              help="where metrics.json and report.html go")  # fmt: skip
def train(**options: Any) -> int:
    """Train, compare and calibrate a pipeline on a customer CSV; writes the bundle and the report."""
    try:
        from training.errors import ConfigError, DataError
        from training.train import parse_args, run
    except ImportError as exc:
        raise needs_extra("training", exc) from None
    argv = [
        "--data", str(options["data"]), "--model", options["family"], "--threshold", options["threshold"],
        "--calibration", options["calibration"], "--seed", str(options["seed"]),
        "--out-dir", str(options["out_dir"]), "--report-dir", str(options["report_dir"]),
    ]  # fmt: skip
    for flag in ("gain_tp", "cost_fp", "cv_repeats"):
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


@click.command(
    epilog=example(
        "purchase-predictor export --bundle runs/today/purchase_pipeline.joblib --model runs/today/model.onnx"
        " --card runs/today/model_card.json",
    )
)
@click.option("--bundle", type=PATH, default=DEFAULT_BUNDLE, show_default=True,
              help="the fitted pipeline bundle `train` wrote")  # fmt: skip
@model_option("where to write the ONNX model (replaced only when parity holds)")
@click.option(
    "--card", type=PATH, default=DEFAULT_CARD, show_default=True, help="where to write the model card"
)
@click.option("--small", is_flag=True, help="a smaller parity grid (quick checks)")
def export(bundle: Path, model: Path, card: Path, small: bool) -> int:
    """Convert a trained bundle to one ONNX file with its model card, after a parity check."""
    try:
        from export.errors import ExportError
        from export.export import export as run_export
    except ImportError as exc:
        raise needs_extra("training", exc) from None
    try:
        run_export(bundle, model, card, small=small)
    except ExportError as exc:
        raise _export_errors(exc) from None
    except OSError as exc:
        raise CliError(Exit.INTERNAL, f"cannot write output: {exc}") from None
    return Exit.OK


@click.command(epilog=example("purchase-predictor parity --bundle models/purchase_pipeline.joblib"))
@click.option("--bundle", type=PATH, default=DEFAULT_BUNDLE, show_default=True,
              help="the fitted pipeline bundle")  # fmt: skip
@model_option("the ONNX model to compare with the bundle")
@click.option("--small", is_flag=True, help="a smaller parity grid (quick checks)")
def parity(bundle: Path, model: Path, small: bool) -> int:
    """Check that onnxruntime answers as scikit-learn does (held-out rows, a dense grid, edge points)."""
    try:
        from export.bundle import load_bundle
        from export.errors import ExportError
        from export.parity import check_parity, require_parity, summarise
    except ImportError as exc:
        raise needs_extra("training", exc) from None
    if not model.is_file():
        raise CliError(Exit.CONFIG, f"model {model} does not exist")
    try:
        results = check_parity(load_bundle(bundle), model, small=small)
        summarise(results)
        require_parity(results)
    except ExportError as exc:
        raise _export_errors(exc) from None
    click.echo("parity: ok", err=True)
    return Exit.OK


COMMANDS = (train, export, parity)
