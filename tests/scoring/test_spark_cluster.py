"""The Spark job on a real standalone cluster (a master, two one-core workers, loopback), submitted with the
wheel: the CLI's bits, manifest and summary; a SIGKILLed executor survived; a job that fails for good.

Runs for real in `make test` and CI (Java from tools/system-packages.sh); never skips in CI.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from bench.spark_cluster import StandaloneCluster, cmdline, descendants
from tests.scoring.conftest import BAD_ROWS, MODEL, customers_table, random_rows, write_csv_text
from tests.scoring.spark_cluster import (
    assert_same_rows,
    cluster,  # noqa: F401 - a fixture
    rows_by_id,
    run_cli,
    submit,
    submit_command,
    submit_env,
    wheel_zip,  # noqa: F401 - a fixture
)

SPARK_INFO_LINE = re.compile(r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d INFO ")
# Under spark-submit the driver's JVM is up before the job runs; a SparkContext logs these at its start,
# before the job's spark.log.level (WARN) applies. `purchase-predictor spark` starts the JVM quiet.
CONTEXT_START = (
    "INFO SparkContext: Running Spark version",
    "INFO SparkContext: OS info",
    "INFO SparkContext: Java version",
)
SAME_MANIFEST_KEYS = (
    "rows_read",
    "rows_scored",
    "rows_invalid",
    "yes_count",
    "rows_with_warnings",
    "rows_invalid_by_field",
    "threshold",
    "threshold_source",
    "model_version",
    "model_sha256",
    "input_fingerprint",
    "max_invalid",
)
KILL_WAIT = 300


def mixed_input(folder: Path) -> Path:
    """A CSV of 400 valid customers with every kind of invalid row among them."""
    age, salary, gender = random_rows(400, seed=23)
    good = [
        (str(50_000 + i), repr(float(a)), repr(float(s)), g, "0")
        for i, (a, s, g) in enumerate(zip(age, salary, gender, strict=True))
    ]
    bad = [(*r[:4], "1") for r in BAD_ROWS]
    return write_csv_text(folder / "customers.csv", good[:200] + bad + good[200:])


def test_the_cluster_job_gives_the_clis_bits_manifest_and_summary(
    cluster: StandaloneCluster,  # noqa: F811
    wheel_zip: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    source = mixed_input(tmp_path)
    cli = run_cli(
        "--input",
        str(source),
        "--output",
        str(tmp_path / "cli.parquet"),
        "--model",
        str(MODEL),
        "--max-invalid",
        "0.05",
    )
    assert cli.returncode == 0, cli.stderr[-2000:]
    job = submit(
        cluster,
        wheel_zip,
        tmp_path,
        "--input",
        str(source),
        "--output",
        "scored",
        "--model",
        str(MODEL),
        "--max-invalid",
        "0.05",
    )
    output = job.stdout + job.stderr
    assert job.returncode == 0, output[-4000:]
    assert "Traceback" not in output
    lines = output.splitlines()
    chatter = [s for s in lines if SPARK_INFO_LINE.match(s) and not any(c in s for c in CONTEXT_START)]
    assert not chatter, output[-4000:]
    assert list(Path(cluster.folder).glob("worker-*/app-*")), "the executors ran on the cluster's workers"

    spark_rows = rows_by_id(pq.read_table(tmp_path / "scored"), "user id")
    assert_same_rows(spark_rows, rows_by_id(pq.read_table(tmp_path / "cli.parquet"), "user id"))
    assert sum(r["error"] is not None for r in spark_rows.values()) == len(BAD_ROWS)

    ours = json.loads((tmp_path / "scored.manifest.json").read_text())
    theirs = json.loads((tmp_path / "cli.parquet.manifest.json").read_text())
    assert {k: ours[k] for k in SAME_MANIFEST_KEYS} == {k: theirs[k] for k in SAME_MANIFEST_KEYS}
    assert ours["duration_seconds"] > 0 and ours["status"] == "complete"
    summary = re.compile(r"scored 406 rows \(\d[\d,]* Yes\) into \S+ in [\d.]+ s; 6 of 406 rows are invalid")
    assert summary.search(cli.stderr) and summary.search(output)
    expected = summary.search(cli.stderr).group(0).split(" into ")[0]  # type: ignore[union-attr]
    assert expected in output  # the same counts and Yes count in the same words


def running_python_under(executor: int) -> bool:
    """Whether an executor has started its Python workers (a task is running on it)."""
    return any(
        b"pyspark.daemon" in cmdline(pid) or b"pyspark/daemon" in cmdline(pid)
        for pid in descendants(executor)
    )


def test_a_killed_executor_costs_a_retry_not_a_row(
    cluster: StandaloneCluster,  # noqa: F811
    wheel_zip: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    folder = tmp_path / "customers"
    folder.mkdir()
    for part in range(8):  # eight files, so eight tasks share the two executors for a while
        table = customers_table(150_000, seed=100 + part)
        ids = [f"{part}-{i}" for i in range(table.num_rows)]
        pq.write_table(table.set_column(0, "User ID", [ids]), folder / f"part-{part}.parquet")
    cli = run_cli("--input", str(folder), "--output", str(tmp_path / "cli.parquet"), "--model", str(MODEL))
    assert cli.returncode == 0, cli.stderr[-2000:]

    args = ["--input", str(folder), "--output", "scored", "--model", str(MODEL)]
    job = subprocess.Popen(
        submit_command(cluster, wheel_zip, *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        env=submit_env(),
    )
    try:
        killed = kill_a_busy_executor(cluster, job, tmp_path)
        output, _ = job.communicate(timeout=600)
    finally:
        if job.poll() is None:
            job.kill()
            job.wait(timeout=30)
    assert job.returncode == 0, output[-4000:]
    assert killed not in cluster.executor_pids()
    spark_rows = rows_by_id(pq.read_table(tmp_path / "scored"), "User ID")  # every id exactly once
    assert len(spark_rows) == 8 * 150_000
    assert_same_rows(spark_rows, rows_by_id(pq.read_table(tmp_path / "cli.parquet"), "User ID"))
    assert json.loads((tmp_path / "scored.manifest.json").read_text())["rows_read"] == 8 * 150_000
    assert not list(tmp_path.glob(".scored.*.partial"))


def kill_a_busy_executor(running: StandaloneCluster, job: subprocess.Popen[str], workdir: Path) -> int:
    """SIGKILL an executor JVM once it runs Python tasks; check the output is not there yet; its pid."""
    deadline = time.monotonic() + KILL_WAIT
    while time.monotonic() < deadline:
        assert job.poll() is None, "the job ended before an executor could be killed; enlarge the input"
        busy = [pid for pid in running.executor_pids() if running_python_under(pid)]
        if busy:
            time.sleep(1.0)  # a few batches into its task
            assert list(workdir.glob(".scored.*.partial")) and not (workdir / "scored").exists()
            (victim,) = busy[:1]
            os.kill(victim, signal.SIGKILL)
            return victim
        time.sleep(0.2)
    pytest.fail(f"no executor ran a Python task within {KILL_WAIT} s")


def test_a_model_the_executors_cannot_read_fails_in_one_line_and_writes_nothing(
    cluster: StandaloneCluster,  # noqa: F811
    wheel_zip: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    source = mixed_input(tmp_path)
    shipped = tmp_path / "shared" / "purchase_model.onnx"  # "shared storage" that lost the file
    job = submit(
        cluster,
        wheel_zip,
        tmp_path,
        "--input",
        str(source),
        "--output",
        "scored",
        "--model",
        str(MODEL),
        "--executor-model",
        str(shipped),
        "--max-invalid",
        "1",
    )
    output = job.stdout + job.stderr
    assert job.returncode == 3, output[-4000:]
    errors = [line for line in output.splitlines() if " ERROR " in line]
    assert len(errors) == 1, output[-4000:]
    assert "the executors cannot use the model: model file not found" in errors[0]
    assert "Traceback" not in output and "\tat " not in output
    assert not (tmp_path / "scored").exists() and not (tmp_path / "scored.manifest.json").exists()
    assert not list(tmp_path.glob(".scored*"))
