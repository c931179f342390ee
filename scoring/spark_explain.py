"""Spark's `--explain`: the three contribution columns' Spark types and the driver's background check.

`scoring.spark.score(df, model, explain=True)` (and the job's `--explain`) adds `contribution_age`,
`contribution_salary` and `contribution_gender` after the answers: each task runs the CLI's
`Scorer.score(..., explain=True)`, which asks `runtime.explain.Explainer`, so the columns are bit for bit
the batch CLI's `--explain` (tests/scoring/test_same_explanation.py). A model without an explanation
background is refused on the driver, before any Spark work, as a ModelError (the job's exit 3, as the
CLI's).
"""

from __future__ import annotations

import logging

import pyarrow as pa
from pyspark.sql.pandas.types import from_arrow_schema
from pyspark.sql.types import StructField

from runtime.errors import ExplanationUnavailable, ModelError
from runtime.explain import Explainer
from scoring.core import CONTRIBUTION_FIELDS, Scorer

logger = logging.getLogger(__name__)

EXPLAINED_FIELDS: list[StructField] = from_arrow_schema(pa.schema(CONTRIBUTION_FIELDS)).fields


def extra_fields(explain: bool) -> list[StructField]:
    """The Spark fields `explain` adds after the answers (none without it)."""
    return EXPLAINED_FIELDS if explain else []


def require_background(scorer: Scorer) -> None:
    """On the driver: ModelError when the scorer's model carries no explanation background."""
    try:
        Explainer.of(scorer.predictor)
    except ExplanationUnavailable as exc:
        raise ModelError(str(exc)) from None
