"""The Spark job's output: counted while Spark writes it, under a hidden name, moved into place on success.

Spark's commit protocol writes the files (and `_SUCCESS`) into `.NAME.PID.partial` beside the output;
only a job that succeeded and passed `--max-invalid` is renamed to NAME, then `NAME.manifest.json` is
written beside it, as the CLI does. A failed or refused job leaves nothing under NAME (its staging folder
is deleted). Paths go through Hadoop's FileSystem, so local, HDFS and object-store outputs work alike
(a rename is atomic on local disks and HDFS, a copy on object stores).

The counts come from one `Observation` on the written DataFrame: Spark merges the metrics of successful
task attempts only, so a task retried after a lost executor is counted once.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

from pyspark.sql import Column, DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from runtime import contract as c
from scoring.core import ERROR, PREDICTION, PROBABILITY, WARNINGS
from scoring.manifest import Counts
from scoring.outputs import write_json_atomically
from scoring.spark_inputs import local_path

COUNT_NAMES = ("rows_read", "rows_scored", "rows_invalid", "yes_count", "rows_with_warnings")


def _counters() -> list[Column]:
    """The run's totals over the scored rows, as the CLI's `Counts` keeps them."""
    error = F.col(ERROR)
    totals = [
        F.count(F.lit(1)),
        F.count(F.col(PROBABILITY)),
        F.count(error),
        F.count(F.when(F.col(PREDICTION) == c.YES, 1)),
        F.count(F.col(WARNINGS)),
    ]
    # An error reads "salary: … gender: …": a row counts under every input it names, as in the CLI.
    by_field = [F.count(F.when(error.rlike(f"(^| ){name}: "), 1)) for name in c.INPUT_NAMES]
    names = [*COUNT_NAMES, *(f"invalid_{name}" for name in c.INPUT_NAMES)]
    return [column.alias(name) for column, name in zip([*totals, *by_field], names, strict=True)]


def counted(scored: DataFrame) -> tuple[DataFrame, Observation]:
    """The scored rows with an observation that counts them as the write runs."""
    observation = Observation("purchase-predictor-counts")
    return scored.observe(observation, *_counters()), observation


def counts_of(observation: Observation) -> Counts:
    """The observed totals as the CLI's `Counts`."""
    seen = observation.get
    rows, scored, invalid, yes, warned = (int(seen[name] or 0) for name in COUNT_NAMES)
    counts = Counts(
        rows_read=rows, rows_scored=scored, rows_invalid=invalid, yes=yes, rows_with_warnings=warned
    )
    counts.invalid_by_field = {name: int(seen[f"invalid_{name}"] or 0) for name in c.INPUT_NAMES}
    return counts


class JobOutput:
    """The output folder, its staging folder and its manifest, on any file system Hadoop can reach."""

    def __init__(self, spark: SparkSession, output: str) -> None:
        jvm = spark._jvm  # classic Spark only: the job runs on spark-submit, never on Spark Connect
        assert jvm is not None
        self._conf = spark._jsc.hadoopConfiguration()
        self._jpath = jvm.org.apache.hadoop.fs.Path
        final = self._jpath(output)
        self._fs = final.getFileSystem(self._conf)
        self.final = self._fs.makeQualified(final)
        parent, name = self.final.getParent(), self.final.getName()
        self.staging = self._jpath(parent, f".{name}.{os.getpid()}.partial")
        self.manifest = self._jpath(parent, f"{name}.manifest.json")

    @property
    def staging_path(self) -> str:
        """Where Spark writes the rows."""
        return str(self.staging.toString())

    def exists(self) -> bool:
        """Whether the output already exists."""
        return bool(self._fs.exists(self.final))

    def commit(self, manifest: dict[str, Any]) -> None:
        """Move the staging folder to the output's name, then write the manifest beside it."""
        if self._fs.exists(self.final) or not self._fs.rename(self.staging, self.final):
            raise OSError(f"cannot move the scored rows to {self.final.toString()} (does it exist now?)")
        text = json.dumps(manifest, indent=2) + "\n"
        local = local_path(str(self.manifest.toUri().toString()))
        if local is not None:  # no Hadoop .crc file beside it
            write_json_atomically(local, manifest)
            return
        stream = self._fs.create(self.manifest, True)
        try:
            stream.write(bytearray(text.encode()))
        finally:
            stream.close()

    def abort(self) -> None:
        """Remove the staging folder (a no-op when it is gone or was committed)."""
        with contextlib.suppress(Exception):
            self._fs.delete(self.staging, True)
