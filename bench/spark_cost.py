"""Spark's scoring cost measured against Spark itself, per CPU-second of every process of the job.

Three jobs on the same DataFrame, in one application, side by side: the real job (`scoring.spark.score`),
the same job with a scorer that does nothing (`nothing_scored`: same columns in, same schema out, constant
answers; Spark's own cost), and the common alternative (`sklearn_scored`: an MLflow-style `pandas_udf`
calling scikit-learn `predict_proba` on the joblib pipeline). Each is run once untimed (JIT, Python
workers' start and imports), then `ROUNDS` times in turn; the median CPU counts.

CPU is summed over this process (the driver's Python) and every descendant: the driver's JVM and, on the
standalone cluster (bench.spark_cluster, started by this process), the master, the workers, the executors
and their Python daemons and workers. Each process contributes its own user+system time plus that of the
children it has reaped (`cutime`/`cstime`), so a Python worker that exits is still counted.
"""

from __future__ import annotations

import functools
import logging
import os
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bench.harness import procs
from bench.spark_cluster import StandaloneCluster

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "models" / "purchase_model.onnx"
PIPELINE = REPO / "models" / "purchase_pipeline.joblib"
ROUNDS = 3
CLUSTER_CONF = {
    "spark.executor.memory": "512m",
    "spark.executor.cores": "1",
    "spark.sql.files.maxPartitionBytes": str(4 << 20),  # several tasks per executor, as on a big input
    "spark.executorEnv.PYTHONPATH": str(REPO),  # the benchmark's own UDFs (bench.spark_cost) on executors
}


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds of `root` and every live descendant, each with the children it reaped."""
    return procs.tree_cpu_seconds(root, reaped=True)


def timed(job: Callable[[], None]) -> tuple[float, float]:
    """Wall and CPU seconds of one job over this process's whole tree."""
    cpu, wall = tree_cpu_seconds(os.getpid()), time.perf_counter()
    job()
    return time.perf_counter() - wall, tree_cpu_seconds(os.getpid()) - cpu


def spark_available() -> str | None:
    """Why Spark cannot run here, or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark missing (make setup-spark)"
    if subprocess.run(["sh", "-c", "command -v java"], capture_output=True, check=False).returncode:
        return "java missing (Debian default-jre-headless; make setup-spark)"
    return None


def nothing_scored(df: Any) -> Any:
    """The scoring job's shape (same columns in, same schema out, written the same way) with a scorer that
    does nothing: what Spark itself costs per row (its Parquet, Arrow and Python-worker work)."""
    from pyspark.sql import types as T
    from pyspark.sql.pandas.types import to_arrow_schema

    from scoring.spark import RESULT_FIELDS, input_columns

    selected = df.select(*input_columns(df.columns, None))
    schema = T.StructType([selected.schema.fields[0], *RESULT_FIELDS])
    return selected.mapInArrow(functools.partial(constant_batches, to_arrow_schema(schema)), schema)


def constant_batches(schema: pa.Schema, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Every batch's ids with constant results (built for the largest batch seen, sliced per batch)."""
    results: list[pa.Array] = []
    for batch in batches:
        n = batch.num_rows
        if not results or len(results[0]) < n:
            no, null, version = pa.array(["No"] * n), pa.nulls(n, pa.string()), pa.array(["v"] * n)
            results = [pa.array(np.zeros(n)), no, null, null, version]
        columns = [batch.column(0), *(column[:n] for column in results)]
        yield pa.RecordBatch.from_arrays(columns, schema=schema)


@functools.cache
def _pipeline(path: str) -> Any:
    """The joblib pipeline, loaded once per Python worker (MLflow's SparkModelCache does the same)."""
    import joblib

    loaded = joblib.load(path)
    return loaded["pipeline"] if isinstance(loaded, dict) else loaded


def predict_batches(path: str, batches: Iterator[tuple[Any, Any, Any]]) -> Iterator[Any]:
    """The pandas_udf's body: each Arrow batch as pandas, through predict_proba, back as a Series."""
    pipeline = _pipeline(path)
    for age, salary, gender in batches:
        frame = pd.DataFrame({"age": age, "salary": salary, "gender": gender})
        yield pd.Series(pipeline.predict_proba(frame)[:, 1])


def predict(batches: Iterator[tuple[pd.Series, pd.Series, pd.Series]]) -> Iterator[pd.Series]:
    """The iterator pandas_udf (its type hints, which pyspark reads, make it one)."""
    return predict_batches(str(PIPELINE), batches)


def sklearn_scored(df: Any, threshold: float) -> Any:
    """The common alternative: an iterator `pandas_udf` (as mlflow.pyfunc.spark_udf builds) calling
    scikit-learn's predict_proba on the joblib pipeline; the id, probability and Yes/No written."""
    from pyspark.sql import functions as F

    from scoring.spark import input_columns

    id_name, age, salary, gender = input_columns(df.columns, None)
    udf = F.pandas_udf(predict, "double")  # type: ignore[call-overload]
    probability = udf(F.col(age), F.col(salary), F.col(gender))
    scored = df.select(F.col(id_name), probability.alias("probability"))
    return scored.withColumn("prediction", F.when(F.col("probability") >= threshold, "Yes").otherwise("No"))


def start_session(master: str, conf: dict[str, str]) -> Any:
    """A loopback session without UI on `master`, the job's Arrow batch size, Spark's log at ERROR."""
    from pyspark.sql import SparkSession

    from scoring.spark import JOB_CONF, PANDAS_WARNING

    warnings.filterwarnings("ignore", message=PANDAS_WARNING, category=FutureWarning)
    os.environ.update({"PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"})
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    builder = SparkSession.builder.master(master).appName("bench-batch")
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.log.level": "ERROR",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        **JOB_CONF,
        **conf,
    }
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def measure_jobs(spark: Any, parquet: Path, folder: Path, with_sklearn: bool) -> dict[str, Any]:
    """Real, do-nothing and (optionally) scikit-learn jobs: one warm-up each, then ROUNDS rounds in turn."""
    from pyspark.sql.pandas.types import from_arrow_schema

    from scoring.spark import driver_scorer, score

    df = spark.read.schema(from_arrow_schema(pq.read_schema(parquet))).parquet(str(parquet))
    threshold = driver_scorer(MODEL, None)[1].threshold
    jobs: dict[str, Callable[[], Any]] = {
        "real": lambda: score(df, MODEL),
        "nothing": lambda: nothing_scored(df),
    }
    if with_sklearn:
        jobs["sklearn"] = lambda: sklearn_scored(df, threshold)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in jobs}
    for round_ in range(ROUNDS + 1):
        for name, build in jobs.items():
            out = str(folder / f"{name}-{round_}")
            measured = timed(lambda: build().write.mode("overwrite").parquet(out))  # noqa: B023
            if round_:  # round 0 warms up
                samples[name].append(measured)
    rows = pq.read_metadata(parquet).num_rows
    found: dict[str, Any] = {"rows": rows}
    for name, values in samples.items():
        wall = statistics.median(w for w, _ in values)
        cpu = statistics.median(c for _, c in values)
        found[name] = {
            "wall_s": wall,
            "cpu_s": cpu,
            "rows_per_cpu_s": rows / cpu,
            "cpu_s_rounds": [c for _, c in values],
        }
    return found


def run_local(parquet: Path, folder: Path) -> dict[str, Any]:
    """Spark local[2]: the real and the do-nothing jobs in one session."""
    spark = start_session("local[2]", {})
    try:
        return {"master": "local[2]", **measure_jobs(spark, parquet, folder / "local", with_sklearn=False)}
    finally:
        spark.stop()


def run_cluster(parquet: Path, folder: Path) -> dict[str, Any]:
    """A standalone cluster of two one-core workers: the real, do-nothing and scikit-learn jobs."""
    cluster = StandaloneCluster.start(folder / "cluster", workers=2, cores=1)
    try:
        spark = start_session(cluster.url, CLUSTER_CONF)
        try:
            measured = measure_jobs(spark, parquet, folder / "standalone", with_sklearn=True)
        finally:
            spark.stop()
    finally:
        cluster.stop()
    return {"master": "standalone, 2 workers × 1 core", **measured}


def ratios(cluster: dict[str, Any]) -> dict[str, float]:
    """The cluster's real job per CPU-second over the do-nothing job and over the scikit-learn job."""
    real = cluster["real"]["rows_per_cpu_s"]
    return {
        "real / doing nothing (target ≥ 0.8)": real / cluster["nothing"]["rows_per_cpu_s"],
        "real / pandas_udf + scikit-learn (target ≥ 3)": real / cluster["sklearn"]["rows_per_cpu_s"],
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.spark_cost --rows N`: the cluster's three jobs alone on N generated rows; writes
    bench/results/spark-cost-N.{json,md} (bench.batch runs the same beside the CLI's figures)."""
    import argparse
    import json
    import tempfile

    from bench.batch import RESULTS, write_inputs

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(prog="python -m bench.spark_cost", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="generated customers (default 1,000,000)")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-spark-") as tmp:
        parquet = write_inputs(Path(tmp), args.rows, csv=False)["parquet"]
        cluster = run_cluster(parquet, Path(tmp))
    found = {"rows": args.rows, "load_average": load, "cluster": cluster, "ratios": ratios(cluster)}
    lines = [
        f"Spark standalone, 2 workers × 1 core, {args.rows:,} rows, load average {load[0]:.1f} "
        "(median of 3 warm rounds; CPU of every process of the job)",
        "",
        "| job | CPU s per round | rows per CPU-s |",
        "| --- | --- | ---: |",
    ]
    for job in ("real", "nothing", "sklearn"):
        rounds = ", ".join(f"{c:.2f}" for c in cluster[job]["cpu_s_rounds"])
        lines.append(f"| {job} | {rounds} | {cluster[job]['rows_per_cpu_s']:,.0f} |")
    lines += ["", *(f"- {name}: {value:.2f}" for name, value in found["ratios"].items())]
    stem = RESULTS / f"spark-cost-{args.rows}"
    stem.with_suffix(".json").write_text(json.dumps(found, indent=2) + "\n")
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    logger.info("%s", "\n".join(lines))
    return 0


if __name__ == "__main__":
    # The importable module's main: the executors find its functions (the UDF, the pipeline cache) by
    # reference, as `bench.spark_cost`, not pickled by value from `__main__`.
    from bench.spark_cost import main as module_main

    sys.exit(module_main())
