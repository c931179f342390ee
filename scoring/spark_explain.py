"""Spark scoring with explanations: `score_explained(df, model_path)` and the job's `--explain`.

The same job as `scoring.spark.score` (the driver's checked model bytes, one kept scorer per Python
worker), with `contribution_age`, `contribution_salary` and `contribution_gender` after the answers: each
task runs the CLI's `Scorer.score(..., explain=True)`, which asks `runtime.explain.Explainer`, so the
columns are bit for bit the batch CLI's `--explain` (tests/scoring/test_same_explanation.py). A model
without an explanation background is refused on the driver, before any Spark work.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.pandas.types import from_arrow_schema

from runtime.errors import ExplanationUnavailable, ModelError
from runtime.explain import Explainer
from scoring.core import CONTRIBUTION_FIELDS
from scoring.spark import RESULT_FIELDS, driver_scorer, input_columns, task_scorer

logger = logging.getLogger(__name__)

EXPLAINED_FIELDS = from_arrow_schema(pa.schema(CONTRIBUTION_FIELDS)).fields  # as Spark types


def require_background(model_path: str | Path, threshold: float | None) -> None:
    """On the driver: ModelError (the job's exit 3, as the CLI's) when the model cannot be explained."""
    _, driver = driver_scorer(Path(model_path), threshold)
    try:
        Explainer.of(driver.predictor)
    except ExplanationUnavailable as exc:
        raise ModelError(str(exc)) from None


def score_explained(
    df: DataFrame, model_path: str | Path, *, threshold: float | None = None, id_column: str | None = None
) -> DataFrame:
    """Score a DataFrame as `scoring.spark.score` does, plus the three contribution columns."""
    require_background(model_path, threshold)
    data, driver = driver_scorer(Path(model_path), threshold)
    sha256, version, chosen = driver.model_sha256, driver.model_version, driver.threshold
    names = input_columns(df.columns, id_column)
    selected = df.select(*[F.col("`" + name.replace("`", "``") + "`") for name in names])
    id_spark = selected.schema.fields[0]
    schema = T.StructType([id_spark, *RESULT_FIELDS, *EXPLAINED_FIELDS])

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """One task: the worker's kept scorer (and its explainer, built once per model)."""
        scorer = task_scorer(data, sha256, version, chosen)
        for batch in batches:
            ids = batch.column(0)
            out, _ = scorer.score(
                batch.column(1), batch.column(2), batch.column(3), ids, pa.field(id_spark.name, ids.type),
                explain=True,
            )  # fmt: skip
            yield out

    return selected.mapInArrow(run, schema)
