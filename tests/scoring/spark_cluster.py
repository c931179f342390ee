"""The Spark cluster tests' harness: a real standalone cluster, the job submitted to it, the CLI to compare.

`bench.spark_cluster.StandaloneCluster` starts the master and two one-core workers from pyspark's own
launcher on loopback; `submit` runs `spark-submit --master spark://127.0.0.1:P --py-files WHEEL.zip
scoring/spark.py …` from a scratch folder without PYTHONPATH, so the driver and the executors find the
project only in the wheel, as on a real cluster.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bench.spark_cluster import StandaloneCluster
from tests.packaging.dist import build_dist, spark_py_file
from tests.scoring.conftest import REPO, require_spark

JOB = REPO / "scoring" / "spark.py"
SUBMIT_TIMEOUT = 600
# The driver's JVM: quick JIT tier and serial GC (a short job on a shared 2-core machine); the executors
# get a small heap so two fit beside the driver.
SUBMIT_OPTIONS = [
    "--driver-java-options",
    "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    "--conf",
    "spark.executor.memory=512m",
    "--conf",
    "spark.executor.cores=1",
]


def submit_command(
    cluster: StandaloneCluster, bundle: Path, *args: str, conf: dict[str, str] | None = None
) -> list[str]:
    """spark-submit of the job to the cluster, the wheel as --py-files."""
    from bench.spark_cluster import spark_home

    command = [str(spark_home() / "bin" / "spark-submit"), "--master", cluster.url, *SUBMIT_OPTIONS]
    for key, value in (conf or {}).items():
        command += ["--conf", f"{key}={value}"]
    return [*command, "--py-files", str(bundle), str(JOB), *args]


def submit_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """No PYTHONPATH (the wheel carries the code); this interpreter for the driver, and no PYSPARK_PYTHON:
    the job gives the executors the driver's interpreter itself."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYSPARK_PYTHON")}
    return {**env, "PYSPARK_DRIVER_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1", **(extra or {})}


def submit(
    cluster: StandaloneCluster, bundle: Path, workdir: Path, *args: str, conf: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the job on the cluster to the end; its exit code and output."""
    return subprocess.run(
        submit_command(cluster, bundle, *args, conf=conf),
        capture_output=True,
        text=True,
        timeout=SUBMIT_TIMEOUT,
        cwd=workdir,
        env=submit_env(),
        check=False,
    )


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`purchase-predictor score ARGS`, the single-machine CLI the Spark job must equal."""
    return subprocess.run(
        [sys.executable, "-m", "purchase_predictor", "score", *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )


def rows_by_id(table: pa.Table, id_name: str) -> dict[str, dict]:
    """Output rows keyed by id; AssertionError when an id appears more than once."""
    rows = table.to_pylist()
    keyed = {r[id_name]: r for r in rows}
    assert len(keyed) == len(rows), f"{len(rows) - len(keyed)} ids appear more than once"
    return keyed


def assert_same_rows(spark_rows: dict[str, dict], cli_rows: dict[str, dict]) -> None:
    """The same ids, each with the same probability bits and the same other columns."""
    assert spark_rows.keys() == cli_rows.keys()
    ids = sorted(cli_rows)

    def bits(rows: dict[str, dict]) -> np.ndarray:
        values = [np.nan if rows[i]["probability"] is None else rows[i]["probability"] for i in ids]
        return np.array(values, dtype=np.float64).view(np.int64)

    assert np.array_equal(bits(spark_rows), bits(cli_rows))
    for key in ("prediction", "warnings", "error", "model_version"):
        assert [spark_rows[i][key] for i in ids] == [cli_rows[i][key] for i in ids], key


def read_parquet_folder(folder: Path) -> pa.Table:
    """Every part file Spark wrote."""
    return pq.read_table(folder)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandaloneCluster]:
    """A master and two one-core workers on loopback for the whole session; always stopped."""
    require_spark()
    running = StandaloneCluster.start(tmp_path_factory.mktemp("spark-cluster"), workers=2, cores=1)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def wheel_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `make dist` builds, under a .zip name as `make spark-wheel` ships it."""
    require_spark()
    wheel, _ = build_dist(tmp_path_factory.mktemp("dist"))
    return spark_py_file(wheel, tmp_path_factory.mktemp("spark-wheel"))
