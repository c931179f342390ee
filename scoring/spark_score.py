"""`score(df, model_path)`: a DataFrame scored on Spark, bit for bit as the batch CLI.

Design (../shared/research/batch-and-spark.md §7.4): the driver reads the model's bytes and self-tests
them once; `mapInArrow` ships the bytes in the closure (PySpark broadcasts a large closure by itself),
each task opens ONE onnxruntime session with one intra-op thread (`runtime.session`), checks the bytes'
sha256 and model version (a reused Python worker keeps that scorer for its next tasks), and runs the
same `scoring.core.Scorer` as the CLI, so the bits match. With `executor_model` the tasks read the model
from a path instead (shared storage, or a spark-submit --files name) and check it against the driver's
sha256. Nothing touches `sparkContext`, so it also runs on Spark Connect (Databricks shared and
serverless clusters). The functions the tasks run live in this importable module, so executors find
them by reference (never pickled by value from a `__main__`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.pandas.types import from_arrow_schema

from runtime.columns import SCORING_INPUTS, find_column, map_header
from runtime.errors import ModelError
from runtime.model import read_model_bytes
from scoring.core import RESULT_FIELDS as ARROW_RESULT_FIELDS
from scoring.core import Scorer
from scoring.spark_explain import extra_fields, require_background

logger = logging.getLogger("scoring.spark")  # one logger name for the whole Spark job

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


def executor_model_bytes(path: str, sha256: str) -> bytes:
    """On an executor: the model read from a path it can read (shared storage, or the name of a file
    shipped with spark-submit --files, which lands in the executor's working folder); ModelError when it
    is missing or is not the driver's model."""
    data = read_model_bytes(Path(path))
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ModelError(f"the model at {path} on this executor is not the driver's (sha256 {sha256})")
    return data


def score(
    df: DataFrame,
    model_path: str | Path,
    *,
    threshold: float | None = None,
    id_column: str | None = None,
    explain: bool = False,
    executor_model: str | None = None,
) -> DataFrame:
    """Score a DataFrame: its id, then probability, prediction, warnings, error, model_version (and with
    `explain`, the three contribution columns: scoring/spark_explain.py).

    The driver reads and self-tests `model_path`; the executors get its bytes with the tasks, or, with
    `executor_model`, read the model themselves from that path (checked against the driver's sha256)."""
    data, driver = driver_scorer(Path(model_path), threshold)  # fails fast, on the driver, for a bad model
    if explain:  # explain
        require_background(driver)
    shipped = data if executor_model is None else b""  # by path: no model bytes in the closure
    sha256, version, chosen = driver.model_sha256, driver.model_version, driver.threshold
    names = input_columns(df.columns, id_column)
    selected = df.select(*[_col(name) for name in names])
    id_spark = selected.schema.fields[0]
    schema = T.StructType([id_spark, *RESULT_FIELDS, *extra_fields(explain)])  # explain

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """One task: one session for all its batches (the worker's, when it scored this model before)."""
        model = shipped if executor_model is None else executor_model_bytes(executor_model, sha256)
        scorer = task_scorer(model, sha256, version, chosen)
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
