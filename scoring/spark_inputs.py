"""The Spark job's input and output, checked on the driver before any JVM work, and the input read.

Local paths (no scheme, or `file:`) get the CLI's checks (`scoring.inputs`): the file or folder exists,
each file is CSV or Parquet by its content, the header has age, salary, gender and an id column. A
problem is one `InputError` line, so neither `python -m scoring.spark` nor spark-submit shows a Java stack
trace (Spark logs one for a missing path). Remote paths (s3a://, hdfs://, abfss://, …) are read by Spark
as they are: CSV by a `.csv` suffix, Parquet otherwise; a path Spark cannot open (no connector for its
scheme, a missing object) is then refused in one line too, its Java trace kept out of the log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from pyspark.sql import DataFrame, SparkSession

from scoring.inputs import InputError, input_files, open_source

JAVA_CALL = "An error occurred while calling"
# Before reading a path Spark looks for a streaming-metadata folder in it; when it cannot open the path this
# logger writes the whole Java stack trace at WARN, and then the read fails with the same error.
PATH_PROBE_LOGGER = "org.apache.spark.sql.execution.streaming.sinks.FileStreamSink"
MISSING_FILE_SYSTEM = re.compile(r"Class \S+FileSystem not found|No FileSystem for scheme")


@dataclass(frozen=True)
class JobInput:
    """What Spark reads: the paths and whether they are CSV (else Parquet)."""

    paths: list[str]
    csv: bool


def local_path(path: str) -> Path | None:
    """The local file system path, or None for a remote URI."""
    parsed = urlparse(path)
    if parsed.scheme == "file":
        return Path(parsed.path)
    if parsed.scheme and len(parsed.scheme) > 1:  # one letter would be a Windows drive
        return None
    return Path(path)


def check_input(path: str, id_column: str | None) -> JobInput:
    """A local input checked like the CLI's (InputError, one line); a remote one typed by its suffix."""
    local = local_path(path)
    if local is None:
        return JobInput([path], path.lower().rstrip("/").endswith(".csv"))
    sources = [open_source(file, id_column) for file in input_files(local)]
    if len({source.parquet for source in sources}) > 1:
        raise InputError(f"input folder {local} mixes CSV and Parquet files; Spark reads one format per job")
    for source in sources:
        if source.id_name is None:
            raise InputError(
                f"input {source.path} has no id column (e.g. 'User ID', or name one with --id-column); "
                "Spark needs it because its row order is not stable"
            )
    return JobInput([str(source.path) for source in sources], csv=not sources[0].parquet)


def check_output(path: str) -> str | None:
    """Why the output cannot be written (a local path that exists), or None."""
    local = local_path(path)
    if local is not None and local.exists():
        return f"--output {local} already exists; Spark writes a new folder"
    return None


def read_input(spark: SparkSession, job_input: JobInput) -> DataFrame:
    """Parquet as typed by the file; CSV with every column as text (never inferred: the scorer parses).

    Spark reads the paths (and Parquet footers) here, so a path it cannot open raises here."""
    quiet_path_probe(spark)
    if job_input.csv:
        return spark.read.option("header", True).option("inferSchema", False).csv(job_input.paths)
    return spark.read.parquet(*job_input.paths)


def quiet_path_probe(spark: SparkSession) -> None:
    """Let Spark's path probe log errors only: the job reports a path it cannot open in one line itself.
    A no-op on Spark Connect, whose server does the logging."""
    jvm = getattr(spark, "_jvm", None)
    if jvm is not None:
        log4j = jvm.org.apache.logging.log4j
        log4j.core.config.Configurator.setLevel(PATH_PROBE_LOGGER, log4j.Level.ERROR)


def read_error_line(path: str, exc: BaseException) -> str:
    """Why Spark could not read --input, in one line; with a hint when its scheme has no connector."""
    line = spark_error_line(exc)
    if MISSING_FILE_SYSTEM.search(line):
        scheme = urlparse(path).scheme
        line += f" (this Spark has no connector for {scheme}://; add one, e.g. spark-submit --packages)"
    return f"cannot read --input {path}: {line}"


def spark_error_line(exc: BaseException) -> str:
    """Spark's or py4j's error as one line: the first meaningful line, without the Java call wrapper."""
    for line in str(exc).splitlines():
        text = line.strip().lstrip(":").strip()
        if text and not text.startswith(JAVA_CALL):
            return text[:300]
    return type(exc).__name__
