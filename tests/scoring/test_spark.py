"""Spark on `local[2]`: the same columns and the same bits as the CLI; runs for real (never skips in CI)."""

from __future__ import annotations

import ast
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scoring.batch import main as batch_main
from tests.scoring.conftest import BAD_ROWS, MODEL, REPO, customers_table, require_spark, write_csv_text

PANDAS_WARNING = "PySpark does not yet fully support pandas >= 3.0.0"
pytestmark = pytest.mark.filterwarnings(f"ignore:{PANDAS_WARNING}:FutureWarning")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """One local[2] session for every Spark test: loopback only, tiny odd Arrow batches to exercise tails."""
    require_spark()
    from pyspark.sql import SparkSession

    saved = {k: os.environ.get(k) for k in ("PYSPARK_PYTHON", "SPARK_LOCAL_IP", "PYTHONPATH")}
    os.environ.update({"PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"})
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # py4j's sockets at start-up
        session = (
            SparkSession.builder.master("local[2]")
            .appName("scoring-tests")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
            .config("spark.sql.execution.arrow.maxRecordsPerBatch", "7")
            .config("spark.sql.execution.arrow.pyspark.validateSchema.enabled", "true")
            .getOrCreate()
        )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
        for key, value in saved.items():  # leave the environment as the rest of the suite expects it
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small Parquet file of valid rows and a CSV with one row of every invalid kind."""
    folder = tmp_path_factory.mktemp("spark")
    pq.write_table(customers_table(501, seed=5), folder / "good.parquet")
    spellings = ("Male", "female", " MALE ", "fEmAlE", "Female")  # a CRM's: any case, spaces around
    good = [(str(i), str(18 + i), str(20_000 + 3_000 * i), spellings[i % 5], "0") for i in range(30)]
    write_csv_text(folder / "mixed.csv", good + [(*r[:4], "1") for r in BAD_ROWS])
    return folder


def cli(input_path: Path, out: Path) -> list[dict]:
    """The CLI's rows for an input."""
    assert (
        batch_main(
            ["--input", str(input_path), "--output", str(out), "--max-invalid", "1", "--model", str(MODEL)]
        )
        == 0
    )
    return pq.read_table(out).to_pylist()


def as_bits(rows: list[dict]) -> np.ndarray:
    """Probability bit patterns, NaN for invalid rows."""
    values = [np.nan if r["probability"] is None else r["probability"] for r in rows]
    return np.array(values, dtype=np.float64).view(np.int64)


def test_spark_gives_the_clis_columns_and_bits_on_parquet(spark: Any, inputs: Path, tmp_path: Path) -> None:
    from scoring.spark import score

    df = spark.read.parquet(str(inputs / "good.parquet")).repartition(3)
    result = score(df, MODEL)
    assert result.columns == ["User ID", "probability", "prediction", "warnings", "error", "model_version"]
    rows = sorted((r.asDict() for r in result.collect()), key=lambda r: r["User ID"])
    expected = cli(inputs / "good.parquet", tmp_path / "cli.parquet")
    assert [r["User ID"] for r in rows] == [r["User ID"] for r in expected]
    assert np.array_equal(as_bits(rows), as_bits(expected))
    for key in ("prediction", "warnings", "error", "model_version"):
        assert [r[key] for r in rows] == [r[key] for r in expected]


def test_spark_job_on_csv_keeps_invalid_rows_with_the_clis_reasons(
    spark: Any, inputs: Path, tmp_path: Path
) -> None:
    from scoring.spark import main

    out = tmp_path / "spark-out"
    args = ["--input", str(inputs / "mixed.csv"), "--output", str(out), "--model", str(MODEL)]
    assert main([*args, "--max-invalid", "0.5"]) == 0
    table = pq.read_table(out)
    assert table.schema.field("user id").type == pa.string()  # CSV read as text, never inferred
    rows = sorted(table.to_pylist(), key=lambda r: int(r["user id"]))
    expected = sorted(cli(inputs / "mixed.csv", tmp_path / "cli.parquet"), key=lambda r: int(r["user id"]))
    assert np.array_equal(as_bits(rows), as_bits(expected))
    assert [r["error"] for r in rows] == [r["error"] for r in expected]
    assert sum(r["error"] is not None for r in rows) == len(BAD_ROWS)


def test_max_invalid_refuses_like_the_cli_and_writes_nothing(
    spark: Any, inputs: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from scoring.spark import main

    source = str(inputs / "mixed.csv")  # 6 invalid rows of 36: over the default 0.01
    cli_out = str(tmp_path / "cli.parquet")
    cli_code = batch_main(["--input", source, "--output", cli_out, "--model", str(MODEL)])
    out = tmp_path / "spark-out"
    assert main(["--input", source, "--output", str(out), "--model", str(MODEL)]) == cli_code == 5
    lines = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(lines) == 2 and lines[0] == lines[1]  # the CLI's line, word for word
    assert "6 of 36 rows are invalid" in lines[0] and "nothing written" in lines[0]
    assert not out.exists() and not list(tmp_path.glob(".spark-out*"))
    assert not (tmp_path / "spark-out.manifest.json").exists()


def test_the_spark_module_never_uses_spark_context_or_broadcasts() -> None:
    """Spark Connect (Databricks shared and serverless) has no sparkContext, broadcast or addFile.

    Classic PySpark's own `mapInArrow` reaches for sparkContext internally, so this reads our source
    rather than patching the session.
    """
    tree = ast.parse((REPO / "scoring" / "spark.py").read_text())
    used = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert not used & {"sparkContext", "broadcast", "addFile", "addPyFile", "SparkContext"}


def test_a_dataframe_without_the_needed_columns_is_refused(spark: Any) -> None:
    from scoring.spark import score

    df = spark.createDataFrame([(1, 30.0)], "id long, age double")
    with pytest.raises(ValueError, match="no column for salary, gender"):
        score(df, MODEL)


def test_a_bad_model_fails_on_the_driver_before_any_task(spark: Any, inputs: Path, tmp_path: Path) -> None:
    from runtime.errors import ModelError
    from scoring.spark import main, score

    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="not a loadable ONNX model"):
        score(spark.read.parquet(str(inputs / "good.parquet")), bad)
    assert (
        main(["--input", str(inputs / "good.parquet"), "--output", str(tmp_path / "o"), "--model", str(bad)])
        == 3
    )


def test_a_process_keeps_one_scorer_per_model_and_checks_new_bytes() -> None:
    require_spark()
    from runtime.errors import ModelError
    from scoring import spark_score as job

    data, driver = job.driver_scorer(MODEL, None)
    assert job.driver_scorer(MODEL, None)[1] is driver  # main's check, then score(): built once
    version, threshold = driver.model_version, driver.threshold
    kept = job.task_scorer(data, driver.model_sha256, version, threshold)
    assert job.task_scorer(data, driver.model_sha256, version, threshold) is kept  # the worker's next task
    with pytest.raises(ModelError, match="do not match sha256"):
        job.task_scorer(data[:-1] + b"x", "0" * 64, version, threshold)
    assert job.task_scorer(data, driver.model_sha256, version, threshold) is kept  # a failed load keeps it


@pytest.mark.parametrize(
    ("name", "value"), [("PREDICT_SPARK_DRIVER_HOST", "not a host!"), ("PREDICT_SPARK_LOG_LEVEL", "LOUD")]
)
def test_a_bad_spark_variable_stops_the_job_naming_it(
    name: str, value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    require_spark()
    from scoring.spark import main

    monkeypatch.setenv(name, value)
    source = write_csv_text(tmp_path / "in.csv", [("1", "30", "40000", "Male", "0")])
    assert main(["--input", str(source), "--output", str(tmp_path / "o"), "--model", str(MODEL)]) == 3
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and errors[0].startswith(f"{name}=")
    assert not (tmp_path / "o").exists()
