"""Spark scoring: `score(df, model_path)` for a user's own job or notebook, and `python -m scoring.spark`.

As a job it also runs under spark-submit: `spark-submit --py-files purchase_predictor-VERSION-py3-none-any.zip
scoring/spark.py --input … --output …` (the package's wheel under a .zip name, `make spark-wheel`, carries the
project's packages to the driver and executors; docs/reference/cli.md). Bad models and local inputs are
refused before Spark starts any work, in one line, with the CLI's exit codes.

Design (../shared/research/batch-and-spark.md §7.4): the driver reads the model's bytes and self-tests
them once; `mapInArrow` ships the bytes in the closure (PySpark broadcasts a large closure by itself),
each task opens ONE onnxruntime session with one intra-op thread (`runtime.session`), checks the bytes'
sha256 and model version (a reused Python worker keeps that scorer for its next tasks), and runs the
same `scoring.core.Scorer` as the CLI, so the bits match. Nothing
touches `sparkContext`, so it also runs on Spark Connect (Databricks shared and serverless clusters).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.pandas.types import from_arrow_schema

from runtime.columns import SCORING_INPUTS, find_column, map_header
from runtime.errors import ModelError
from runtime.model import read_model_bytes
from scoring.batch import threshold_flag
from scoring.core import RESULT_FIELDS as ARROW_RESULT_FIELDS
from scoring.core import Scorer
from scoring.inputs import InputError
from scoring.spark_explain import extra_fields, require_background
from scoring.spark_inputs import check_input, check_output, read_error_line, read_input, spark_error_line

logger = logging.getLogger("scoring.spark")

REPO = Path(__file__).resolve().parents[1]
RESULT_FIELDS = from_arrow_schema(pa.schema(ARROW_RESULT_FIELDS)).fields  # the answers, as Spark types
PANDAS_WARNING = "PySpark does not yet fully support pandas >= 3.0.0"  # harmless here: Arrow only, no pandas
EXIT_OTHER, EXIT_FLAGS, EXIT_MODEL, EXIT_INPUT = 1, 2, 3, 4  # as the CLI's (scoring.batch)
# The job's defaults; spark.task.cpus stays Spark's 1 (one onnxruntime thread per task).
JOB_CONF = {"spark.sql.execution.arrow.maxRecordsPerBatch": "65536"}


def _col(name: str) -> Column:
    """A column by its exact name, even with spaces or dots."""
    return F.col("`" + name.replace("`", "``") + "`")


def input_columns(columns: list[str], id_column: str | None) -> list[str]:
    """The DataFrame's id, age, salary and gender columns, found as the CLI does; ValueError if not."""
    positions = map_header(columns)
    missing = [role for role in SCORING_INPUTS if role not in positions]
    if missing:
        raise ValueError(
            f"the DataFrame has no column for {', '.join(missing)}; its columns: {', '.join(columns)}"
        )
    index = find_column(columns, id_column) if id_column is not None else positions.get("user_id")
    if index is None:
        wanted = repr(id_column) if id_column else "(e.g. 'User ID')"
        raise ValueError(f"Spark scoring needs an id column {wanted} to join results back; none found")
    return [columns[index]] + [columns[positions[role]] for role in SCORING_INPUTS]


# This process's scorer of the model it last loaded, by (sha256, threshold). The driver checks a model once
# (`main` before Spark starts, then `score` reuses it), and Spark reuses a Python worker task after task
# (spark.python.worker.reuse): each builds a model's session and lookup table once, not once per call or
# task. Building them (session, grid, ~38,000 table rows, self-test) costs ~0.4 CPU-s, as much as scoring
# ~300,000 rows.
_KEPT: dict[tuple[str, float | None], Scorer] = {}


def kept_scorer(key: tuple[str, float | None], build: Callable[[], Scorer]) -> Scorer:
    """The process's scorer for `key`; built by `build` (dropping the previous model's) when it has none."""
    scorer = _KEPT.get(key)
    if scorer is None:
        scorer = build()
        _KEPT.clear()
        _KEPT[key] = scorer
    return scorer


def driver_scorer(path: Path, threshold: float | None) -> tuple[bytes, Scorer]:
    """On the driver: the model's bytes and its self-tested scorer; ModelError when it is unusable."""
    data = read_model_bytes(path)
    key = (hashlib.sha256(data).hexdigest(), threshold)
    return data, kept_scorer(key, lambda: Scorer.from_bytes(data, path, threshold))


def task_scorer(data: bytes, sha256: str, version: str, threshold: float) -> Scorer:
    """On an executor: the worker's scorer for these bytes, or check them, open one session (one thread),
    self-test it and keep it for the worker's next tasks."""

    def build() -> Scorer:
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ModelError(f"the model bytes shipped to this task do not match sha256 {sha256}")
        return Scorer.from_bytes(data, Path(f"<model {version}>"), threshold, expected_version=version)

    return kept_scorer((sha256, threshold), build)


def score(
    df: DataFrame,
    model_path: str | Path,
    *,
    threshold: float | None = None,
    id_column: str | None = None,
    explain: bool = False,
) -> DataFrame:
    """Score a DataFrame: its id, then probability, prediction, warnings, error, model_version (and with
    `explain`, the three contribution columns: scoring/spark_explain.py)."""
    data, driver = driver_scorer(Path(model_path), threshold)  # fails fast, on the driver, for a bad model
    if explain:  # explain
        require_background(driver)
    sha256, version, chosen = driver.model_sha256, driver.model_version, driver.threshold
    names = input_columns(df.columns, id_column)
    selected = df.select(*[_col(name) for name in names])
    id_spark = selected.schema.fields[0]
    schema = T.StructType([id_spark, *RESULT_FIELDS, *extra_fields(explain)])  # explain

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """One task: one session for all its batches (the worker's, when it scored this model before)."""
        scorer = task_scorer(data, sha256, version, chosen)
        for batch in batches:
            ids = batch.column(0)
            out, _ = scorer.score(
                batch.column(1),
                batch.column(2),
                batch.column(3),
                ids,
                pa.field(id_spark.name, ids.type),
                explain=explain,  # explain
            )
            yield out

    return selected.mapInArrow(run, schema)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The job's command line."""
    parser = argparse.ArgumentParser(prog="python -m scoring.spark", description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="a CSV or Parquet file or folder (any Spark path)")
    parser.add_argument(
        "--output", required=True, help="the output folder (Parquet, or CSV with --format csv)"
    )
    parser.add_argument("--model", default="models/purchase_model.onnx", help="ONNX model file on the driver")
    parser.add_argument("--threshold", type=threshold_flag, help="decision threshold (default: the model's)")
    parser.add_argument("--id-column", help="the id column (default: 'User ID' or another id spelling)")
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="output format")
    parser.add_argument("--master", help="Spark master when not run by spark-submit (e.g. local[2])")
    parser.add_argument("--explain", action="store_true", help="add the contribution columns (as the CLI)")
    return parser.parse_args(argv)


def _session(master: str | None) -> SparkSession:
    """A session for the job: the recommended Arrow batch size unless spark-submit's --conf set one."""
    builder = SparkSession.builder.appName("purchase-predictor-scoring")
    if master:
        builder = builder.master(master)
    spark = builder.getOrCreate()
    chosen = spark.conf.getAll  # what --conf or spark-defaults.conf set (a builder value would override it)
    for key, value in JOB_CONF.items():
        if key not in chosen:
            spark.conf.set(key, value)
    return spark


def main(argv: list[str] | None = None) -> int:
    """Run the job; one line and a non-zero exit on a bad model, input or output (checked before Spark)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    warnings.filterwarnings("ignore", message=PANDAS_WARNING, category=FutureWarning)
    try:  # a bad model or a bad local input fails here, before any Spark work
        _, driver = driver_scorer(Path(args.model), args.threshold)  # kept: score() below reuses this check
        if args.explain:  # explain: a model without a background stops here (scoring/spark_explain.py)
            require_background(driver)
    except ModelError as exc:
        logger.error("%s", exc)
        return EXIT_MODEL
    try:
        job_input = check_input(args.input, args.id_column)
    except InputError as exc:
        logger.error("%s", exc)
        return EXIT_INPUT
    problem = check_output(args.output)
    if problem:
        logger.error("%s", problem)
        return EXIT_FLAGS
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers use this interpreter
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    existing = SparkSession.getActiveSession()  # in a notebook or test: use it and leave it running
    spark = existing or _session(args.master)
    try:
        try:
            frame = read_input(spark, job_input)
        except Exception as exc:  # a remote path Spark cannot open: no connector, a missing object
            logger.error("%s", read_error_line(args.input, exc))
            return EXIT_INPUT
        scored = score(
            frame, args.model, threshold=args.threshold, id_column=args.id_column, explain=args.explain
        )  # explain: explain=
        writer = scored.write.mode("errorifexists")
        if args.format == "csv":
            writer.option("header", True).csv(args.output)
        else:
            writer.parquet(args.output)
    except ValueError as exc:
        logger.error("%s", exc)
        return EXIT_INPUT
    except Exception as exc:  # Spark's own errors (a remote path, a failed task): one line
        logger.error("spark scoring failed: %s", spark_error_line(exc))
        return EXIT_OTHER
    finally:
        if existing is None:
            spark.stop()
    logger.info("wrote %s", args.output)
    return 0


if __name__ == "__main__":
    # Run the importable module's main: functions of `__main__` are pickled by value into every task, with
    # the globals they use (the kept scorers), while `scoring.spark`'s are found by reference on executors.
    from scoring.spark import main as module_main

    sys.exit(module_main())
