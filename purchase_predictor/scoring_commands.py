"""`score`, `spark`, `drift`: a whole customer file scored, on one machine or on Spark, and its drift."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from purchase_predictor.exit_codes import CliError, Exit, needs_extra
from purchase_predictor.options import argparse_errors_as_usage, example, model_option

PATH = click.Path(path_type=Path)
DRIFT_LEVELS = ("none", "warning", "page")  # monitoring/evaluate.py's levels, in order


def _flags(options: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    """--name value for every option given (None left out), --name alone for a true flag."""
    argv: list[str] = []
    for name in names:
        value = options.get(name)
        flag = "--" + name.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif value is not None and value is not False:
            argv += [flag, str(value)]
    return argv


def _threshold_option(function: Any) -> Any:
    return click.option(
        "--threshold",
        type=click.FloatRange(0, 1, min_open=True, max_open=True),
        help="decision threshold (default: the model's)",
    )(function)


@click.command(
    epilog=example(
        "purchase-predictor score --input customers.csv --output scored.parquet",
        "purchase-predictor score --input exports/ --output scored.csv --max-invalid 0.05 --drift",
        "purchase-predictor score --input customers.csv --output explained.csv --explain",
    )
)
@click.option(
    "--input", "input_", type=PATH, required=True, help="a CSV or Parquet file, or a folder of them"
)
@click.option("--output", type=PATH, required=True, help="the result, .parquet or .csv")
@model_option()
@_threshold_option
@click.option("--id-column", help="the column passed through as the id (default: 'User ID' if present)")
@click.option(
    "--max-invalid",
    type=click.FloatRange(0, 1),
    default=0.01,
    show_default=True,
    help="fail (exit 5) when more than this fraction of rows is invalid",
)
@click.option("--format", "format_", type=click.Choice(["parquet", "csv"]), help="default: by extension")
@click.option("--batch-rows", type=click.IntRange(min=1), default=65_536, show_default=True)
@click.option("--drift", is_flag=True, help="also write OUTPUT.drift.json and .drift.html")
@click.option(
    "--explain",
    is_flag=True,
    help="add contribution_age, contribution_salary, contribution_gender (exact Shapley values)",
)
@click.option(
    "--max-model-bytes",
    type=click.IntRange(1024, 2**31),
    envvar="PREDICT_MAX_MODEL_BYTES",
    show_envvar=True,
    help="refuse a larger model file (default 64 MiB)",
)
def score(**options: Any) -> int:
    """Score a whole customer file in bounded memory; writes the output and a manifest beside it."""
    from scoring.batch import main as batch_main

    options["input"], options["format"] = options.pop("input_"), options.pop("format_")
    names = (
        "input",
        "output",
        "model",
        "threshold",
        "id_column",
        "max_invalid",
        "format",
        "batch_rows",
        "drift",
        "explain",
        "max_model_bytes",
    )
    with argparse_errors_as_usage():
        return batch_main(_flags(options, names))


@click.command(
    epilog=example(
        "purchase-predictor spark --input customers.parquet --output scored/ --master 'local[*]'",
        "In a notebook: from scoring.spark import score; score(df, 'purchase_model.onnx')",
    )
)
@click.option("--input", "input_", required=True, help="a CSV or Parquet file or folder (any Spark path)")
@click.option("--output", required=True, help="a new output folder (Parquet, or CSV with --format csv)")
@model_option("the ONNX model file, read on the driver")
@_threshold_option
@click.option("--id-column", help="the id column (default: 'User ID' or another id spelling)")
@click.option(
    "--format", "format_", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True
)
@click.option(
    "--max-invalid",
    type=click.FloatRange(0, 1),
    default=0.01,
    show_default=True,
    help="fail (exit 5, nothing written) above this fraction of invalid rows",
)
@click.option(
    "--executor-model",
    help="the executors read the model here (shared storage or a --files name) "
    "instead of getting the driver's bytes",
)
@click.option("--master", default="local[*]", show_default=True, help="the Spark master")
@click.option(
    "--explain",
    is_flag=True,
    help="add contribution_age, contribution_salary, contribution_gender (bit for bit the CLI's)",
)
@click.option(
    "--driver-host",
    help="the address the executors reach the driver at (default $PREDICT_SPARK_DRIVER_HOST, else 127.0.0.1)",
)
def spark(**options: Any) -> int:
    """Score a file or folder on Spark, bit for bit as `score` does; needs the [spark] extra and Java 17+."""
    try:
        from scoring.spark import main as spark_main
    except ImportError as exc:
        raise needs_extra("spark", exc) from None
    options["input"], options["format"] = options.pop("input_"), options.pop("format_")
    names = (
        "input",
        "output",
        "model",
        "executor_model",
        "threshold",
        "id_column",
        "format",
        "max_invalid",
        "master",
        "driver_host",
        "explain",
    )
    with argparse_errors_as_usage():
        return spark_main(_flags(options, names))


@click.command(
    epilog=example(
        "purchase-predictor drift --current this-week.csv --fail-on warning",
        "(exit 6 when the level is warning or page: a scheduled job fails on drift)",
    )
)
@click.option(
    "--current",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="a customer file (CSV or Parquet): one window",
)
@model_option("the ONNX model whose reference profile the file is compared with")
@click.option("--json", "json_path", type=PATH, help="the JSON report (default: FILE.drift.json)")
@click.option("--html", "html_path", type=PATH, help="the HTML report (default: FILE.drift.html)")
@click.option(
    "--fail-on",
    type=click.Choice(["never", *DRIFT_LEVELS[1:]]),
    default="never",
    show_default=True,
    help="exit 6 when the drift level reaches this one",
)
def drift(current: Path, model: Path, json_path: Path | None, html_path: Path | None, fail_on: str) -> int:
    """Compare a customer file with the model's reference profile; writes the drift JSON and HTML."""
    from monitoring.drift import InputFileError, check_file
    from monitoring.profile import ProfileError
    from monitoring.report import clean, render
    from runtime.errors import ModelError

    try:
        document = clean(check_file(model, current))
    except (ModelError, ProfileError) as exc:
        raise CliError(Exit.CONFIG, str(exc)) from None
    except InputFileError as exc:
        raise CliError(Exit.INPUT, str(exc)) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise CliError(Exit.INPUT, f"{current} is not a readable CSV file ({type(exc).__name__})") from None
    json_path = json_path or current.with_suffix(".drift.json")
    html_path = html_path or current.with_suffix(".drift.html")
    try:
        json_path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        html_path.write_text(render(document, f"Drift report — {current.name}"), encoding="utf-8")
    except OSError as exc:
        raise CliError(Exit.INTERNAL, f"cannot write output: {exc.strerror or type(exc).__name__}") from None
    level = document["windows"][0]["level"]
    click.echo(f"wrote {json_path} and {html_path}; drift level {level}", err=True)
    if fail_on != "never" and DRIFT_LEVELS.index(level) >= DRIFT_LEVELS.index(fail_on):
        raise CliError(Exit.DRIFT, f"drift level {level} reaches --fail-on {fail_on} (see {html_path})")
    return Exit.OK


COMMANDS = (score, spark, drift)
