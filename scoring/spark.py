"""Spark scoring: `score(df, model_path)` for a user's own job or notebook, and the spark-submit job.

As a job it runs as `purchase-predictor spark`, `python -m scoring.spark`, or under spark-submit:
`spark-submit --py-files purchase_predictor-VERSION-py3-none-any.zip scoring/spark.py --input … --output …`
(the package's wheel under a .zip name, `make spark-wheel`, carries the project's packages to the driver
and executors; docs/reference/cli.md). The scoring is scoring/spark_score.py, the job (flags, manifest,
output moved into place, loopback and log defaults) scoring/spark_job.py; bad models and local inputs are
refused before Spark starts any work, in one line, with the CLI's exit codes.
"""

from __future__ import annotations

import sys

from scoring.spark_job import main
from scoring.spark_score import JOB_CONF, PANDAS_WARNING, RESULT_FIELDS, driver_scorer, input_columns, score

__all__ = ["JOB_CONF", "PANDAS_WARNING", "RESULT_FIELDS", "driver_scorer", "input_columns", "main", "score"]

if __name__ == "__main__":
    sys.exit(main())  # main and everything the tasks run come from importable modules: found by reference
