"""The job behind `purchase-predictor spark` and `spark-submit scoring/spark.py`: the CLI's job on Spark.

Same flags where they mean the same (`--max-invalid`, `--threshold`, `--id-column`, `--format`), the same
manifest beside the output, the same one-line summary, the same exit codes (docs/reference/cli.md).
Spark's side stays on loopback unless asked: web UI off, driver host and bind address 127.0.0.1
(`--driver-host` or PREDICT_SPARK_DRIVER_HOST for a real cluster; spark-submit's own `--conf` wins over
both); Spark's own log at WARN (PREDICT_SPARK_LOG_LEVEL). The executors' Python is the driver's
interpreter unless PYSPARK_PYTHON is set.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import re
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from pyspark import SparkConf, SparkContext
from pyspark.sql import SparkSession

from runtime.errors import ModelError
from scoring.batch import (
    EXIT_INPUT,
    EXIT_INVALID,
    EXIT_MODEL,
    EXIT_OTHER,
    Stop,
    _fraction,
    summary,
    threshold_flag,
)
from scoring.inputs import InputError
from scoring.manifest import fingerprint, versions
from scoring.spark_explain import require_background
from scoring.spark_inputs import (
    JobInput,
    check_input,
    check_output,
    local_path,
    read_error_line,
    read_input,
    spark_error_line,
)
from scoring.spark_output import JobOutput, counted, counts_of
from scoring.spark_score import JOB_CONF, PANDAS_WARNING, driver_scorer, score

logger = logging.getLogger("scoring.spark")

REPO = Path(__file__).resolve().parents[1]
EXIT_FLAGS = 2
DRIVER_HOST_ENV, LOG_LEVEL_ENV = "PREDICT_SPARK_DRIVER_HOST", "PREDICT_SPARK_LOG_LEVEL"
LOG_LEVELS = ("ERROR", "WARN", "INFO", "DEBUG")
HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:]+\]?$")
LOG4J2 = """rootLogger.level = {level}
rootLogger.appenderRef.stderr.ref = stderr
appender.console.type = Console
appender.console.name = stderr
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{{yy/MM/dd HH:mm:ss}} %p %c{{1}}: %m%n%ex
"""
LOG4J2_PROPERTY = "log4j2.configurationFile"
QUIET_LOGGERS = (
    "org.apache.spark.scheduler.TaskSetManager",
    "org.apache.spark.sql.execution.datasources.FileFormatWriter",
)
MODEL_ERROR = re.compile(r"ModelError: (.+)")  # a task's ModelError, inside Spark's error text


def host_flag(text: str) -> str:
    """A host name or IP address for --driver-host."""
    if not HOST.match(text):
        raise argparse.ArgumentTypeError(f"expected a host name or IP address, got {text!r}")
    return text


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The job's command line (argparse: bad flags exit 2 with one line of usage)."""
    parser = argparse.ArgumentParser(prog="scoring/spark.py", description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--input", required=True, help="a CSV or Parquet file or folder (any Spark path)")
    add("--output", required=True, help="a new output folder (Parquet, or CSV with --format csv)")
    add("--model", default="models/purchase_model.onnx", help="the ONNX model file on the driver")
    add("--executor-model", help="the executors read the model here (shared storage, or a --files name)")
    add("--threshold", type=threshold_flag, help="decision threshold (default: the model's)")
    add("--id-column", help="the id column (default: 'User ID' or another id spelling)")
    add("--format", choices=("parquet", "csv"), default="parquet", help="output format")
    add("--max-invalid", type=_fraction, default=0.01, help="fail (exit 5) above this invalid fraction")
    add("--explain", action="store_true", help="add the three contribution columns (as the CLI's --explain)")
    add("--master", help="Spark master when not run by spark-submit (e.g. local[2], spark://host:7077)")
    add(
        "--driver-host",
        type=host_flag,
        help=f"the address executors reach the driver at (${DRIVER_HOST_ENV})",
    )
    return parser.parse_args(argv)


def settings(args: argparse.Namespace) -> tuple[str, str]:
    """The driver host and Spark's log level, from flags and PREDICT_ variables; Stop(3) names a bad one."""
    host = args.driver_host or os.environ.get(DRIVER_HOST_ENV) or "127.0.0.1"
    if not HOST.match(host):
        raise Stop(EXIT_MODEL, f"{DRIVER_HOST_ENV}={host!r} is not a host name or IP address")
    level = os.environ.get(LOG_LEVEL_ENV, "WARN").upper()
    if level not in LOG_LEVELS:
        raise Stop(EXIT_MODEL, f"{LOG_LEVEL_ENV}={level!r} must be one of {', '.join(LOG_LEVELS)}")
    return host, level


def session(master: str | None, host: str, level: str) -> SparkSession:
    """The job's session: loopback, no web UI, quiet; spark-submit's --conf (or spark-defaults) wins."""
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # run by spark-submit, whose JVM is up already
    if submitted:
        SparkContext._ensure_initialized()  # so that SparkConf reads spark-submit's --conf settings
    conf = SparkConf(loadDefaults=submitted)
    wanted = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.host": host,
        "spark.driver.bindAddress": host,
        "spark.log.level": level,
    }
    for key, value in {**wanted, **JOB_CONF}.items():
        if not conf.contains(key):
            conf.set(key, value)
    if master and not conf.contains("spark.master"):
        conf.setMaster(master)
    if host in ("127.0.0.1", "localhost"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # the JVM's own address lookup, too
    if not submitted:  # this process starts the driver's JVM: quiet from its first line
        options = [conf.get("spark.driver.extraJavaOptions"), log_config_option(level)]
        conf.set("spark.driver.extraJavaOptions", " ".join(filter(None, options)))
    spark = SparkSession.builder.appName("purchase-predictor-scoring").config(conf=conf).getOrCreate()
    quiet_failures(spark._jvm, level)
    return spark


def log_config_option(level: str) -> str:
    """`-Dlog4j2.configurationFile=…` for a JVM this process launches: Spark's own log to stderr at `level`
    from its first line (Spark loads its INFO defaults only when log4j has no configuration)."""
    handle, name = tempfile.mkstemp(prefix="purchase-predictor-log4j2-", suffix=".properties")
    with os.fdopen(handle, "w") as file:
        file.write(LOG4J2.format(level=level))
    atexit.register(os.unlink, name)
    return f"-D{LOG4J2_PROPERTY}=file:{name}"


def quiet_failures(jvm: Any, level: str) -> None:
    """Below INFO, Spark does not repeat a failed job's cause with stack traces (the task's Python
    traceback, the writer's Java trace): the job reports it in one line."""
    if level in ("INFO", "DEBUG"):
        return
    log4j = jvm.org.apache.logging.log4j
    for name in QUIET_LOGGERS:
        log4j.core.config.Configurator.setLevel(name, log4j.Level.OFF)


def check_before_spark(args: argparse.Namespace) -> JobInput:
    """Model, input and output checked on the driver before any Spark work; Stop with the CLI's code."""
    try:
        _, driver = driver_scorer(Path(args.model), args.threshold)  # kept: score() reuses this check
        if args.explain:  # a model without a background stops here, as the CLI's --explain
            require_background(driver)
    except ModelError as exc:
        raise Stop(EXIT_MODEL, str(exc)) from None
    try:
        job_input = check_input(args.input, args.id_column)
    except InputError as exc:
        raise Stop(EXIT_INPUT, str(exc)) from None
    problem = check_output(args.output)
    if problem:
        raise Stop(EXIT_FLAGS, problem)
    return job_input


def failed_job(exc: BaseException) -> Stop:
    """A Spark job that failed for good, as one line: a model the executors could not use is exit 3."""
    text = str(exc)
    found = MODEL_ERROR.search(text)
    if found:
        return Stop(EXIT_MODEL, f"the executors cannot use the model: {found.group(1).strip()[:300]}")
    return Stop(EXIT_OTHER, f"spark scoring failed: {spark_error_line(exc)}")


def write_scored(spark: SparkSession, args: argparse.Namespace, job_input: JobInput) -> dict[str, Any]:
    """Score and write into the staging folder, check --max-invalid, move into place; the manifest."""
    started, clock = datetime.now(UTC), time.monotonic()
    try:
        frame = read_input(spark, job_input)
    except Exception as exc:  # a remote path Spark cannot open: no connector, a missing object
        raise Stop(EXIT_INPUT, read_error_line(args.input, exc)) from None
    try:
        scored = score(
            frame,
            args.model,
            threshold=args.threshold,
            id_column=args.id_column,
            explain=args.explain,
            executor_model=args.executor_model,
        )
    except ValueError as exc:
        raise Stop(EXIT_INPUT, str(exc)) from None
    output = JobOutput(spark, args.output)
    try:
        observed, observation = counted(scored)
        writer = observed.write.mode("errorifexists")
        try:
            if args.format == "csv":
                writer.option("header", True).csv(output.staging_path)
            else:
                writer.parquet(output.staging_path)
        except Exception as exc:
            raise failed_job(exc) from None
        counts = counts_of(observation)
        if counts.invalid_fraction() > args.max_invalid:
            raise Stop(
                EXIT_INVALID,
                f"{counts.invalid_summary()}; {counts.invalid_fraction():.2%} > --max-invalid "
                f"{args.max_invalid:.2%}; nothing written (rerun with a higher --max-invalid to see each "
                "row's reason in the `error` column)",
            )
        manifest = build_manifest(args, job_input, counts.as_dict(), started, time.monotonic() - clock)
        output.commit(manifest)
        return manifest
    finally:
        output.abort()


def build_manifest(
    args: argparse.Namespace, job_input: JobInput, counts: dict[str, Any], started: datetime, seconds: float
) -> dict[str, Any]:
    """The CLI's manifest fields for a Spark run (the input fingerprint for local inputs only)."""
    _, scorer = driver_scorer(Path(args.model), args.threshold)
    local = [local_path(p) for p in job_input.paths]
    files = [p for p in local if p is not None]
    root = Path(args.input) if Path(args.input).is_dir() else Path(args.input).parent
    return {
        "status": "complete",
        "output": args.output,
        "format": args.format,
        "inputs": job_input.paths,
        "input_fingerprint": fingerprint(files, root) if len(files) == len(local) else None,
        **counts,
        "threshold": scorer.threshold,
        "threshold_source": "--threshold" if args.threshold is not None else "model metadata",
        "model_version": scorer.model_version,
        "model_sha256": scorer.model_sha256,
        "model_path": args.model,
        "model_on_executors": args.executor_model or "bytes from the driver",
        "max_invalid": args.max_invalid,
        "explain": args.explain,
        "started_at": started.isoformat(timespec="seconds"),
        "duration_seconds": round(seconds, 3),
        "versions": {**versions(), "pyspark": metadata.version("pyspark")},
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Check, start Spark (or use the notebook's session), score, write; raises Stop."""
    host, level = settings(args)
    job_input = check_before_spark(args)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the executors' Python, unless set
    # local[*] executors import the project from here (spark-submit ships the wheel instead)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    existing = SparkSession.getActiveSession()  # in a notebook or test: use it and leave it running
    spark = existing or session(args.master, host, level)
    try:
        return write_scored(spark, args, job_input)
    finally:
        if existing is None:
            spark.stop()


def main(argv: list[str] | None = None) -> int:
    """Run the job; one line and the CLI's exit code on any problem, the CLI's summary on success."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("py4j").setLevel(logging.WARNING)  # its connection chatter
    args = parse_args(argv)
    warnings.filterwarnings("ignore", message=PANDAS_WARNING, category=FutureWarning)
    try:
        manifest = run(args)
    except Stop as exc:
        logger.error("%s", exc)
        return exc.code
    except Exception as exc:  # a last resort: still one line
        logger.error("spark scoring failed: %s", spark_error_line(exc))
        return EXIT_OTHER
    logger.info("%s", summary(manifest))
    return 0
