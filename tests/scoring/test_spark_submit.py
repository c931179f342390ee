"""The Spark job under spark-submit on local[2], the package's wheel shipped with --py-files, and bad inputs.

spark-submit runs from a scratch folder without PYTHONPATH, so the driver and the executors find the
project's packages only in the wheel (under a .zip name, as `make spark-wheel` ships it), as on a cluster.
Runs for real; never skips in CI.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from runtime.predictor import Predictor
from tests.packaging.dist import build_dist, spark_py_file
from tests.scoring.conftest import BAD_ROWS, MODEL, REPO, random_rows, require_spark, write_csv_text

JOB = REPO / "scoring" / "spark.py"
LOOPBACK = [
    "--conf",
    "spark.ui.enabled=false",
    "--conf",
    "spark.driver.host=127.0.0.1",
    "--conf",
    "spark.driver.bindAddress=127.0.0.1",
    "--driver-java-options",
    "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
]


def spark_submit_command() -> Path:
    """pyspark's own spark-submit (pip puts a copy beside the interpreter too)."""
    import pyspark

    return Path(pyspark.__file__).parent / "bin" / "spark-submit"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The --py-files file: the wheel `make dist` builds, under a .zip name as `make spark-wheel` ships it."""
    require_spark()
    wheel, _ = build_dist(tmp_path_factory.mktemp("dist"))
    return spark_py_file(wheel, tmp_path_factory.mktemp("spark"))


def job_env() -> dict[str, str]:
    """The caller's environment without PYTHONPATH, with this interpreter for driver and workers."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return {**env, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"}


def spark_submit(
    workdir: Path,
    bundle: Path,
    *args: str,
    conf: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`spark-submit --master local[2] --py-files ZIP scoring/spark.py ARGS` from a scratch folder."""
    command = [str(spark_submit_command()), "--master", "local[2]", *LOOPBACK, "--py-files", str(bundle)]
    for key, value in (conf or {}).items():
        command += ["--conf", f"{key}={value}"]
    return subprocess.run(
        [*command, str(JOB), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=workdir,
        env={**job_env(), **(env or {})},
        check=False,
    )


def python_m(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m scoring.spark ARGS` as a user runs it (PYTHONPATH at the repository)."""
    return subprocess.run(
        [sys.executable, "-m", "scoring.spark", "--master", "local[2]", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=workdir,
        env={**job_env(), "PYTHONPATH": str(REPO)},
        check=False,
    )


def test_spark_submit_scores_with_the_runtimes_bits(bundle: Path, tmp_path: Path) -> None:
    age, salary, gender = random_rows(211, seed=17)
    good = [
        (str(7_000 + i), repr(float(a)), repr(float(s)), g, "0")
        for i, (a, s, g) in enumerate(zip(age, salary, gender, strict=True))
    ]
    source = write_csv_text(
        tmp_path / "customers.csv", good[:100] + [(*r[:4], "1") for r in BAD_ROWS] + good[100:]
    )
    batch = {"spark.sql.execution.arrow.maxRecordsPerBatch": "7"}  # odd Arrow batches; --conf beats the job's
    args = ["--input", str(source), "--output", "scored", "--model", str(MODEL), "--max-invalid", "0.05"]
    info = {"PREDICT_SPARK_LOG_LEVEL": "INFO"}  # the Python runner's batch counts are in Spark's INFO log
    result = spark_submit(tmp_path, bundle, *args, conf=batch, env=info)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Traceback" not in output
    # Spark's Python runner logs its Arrow batch count: 217 rows in batches of 7, not one of 65,536
    assert re.findall(r"Batches: (\d+),", output) == ["31"], output[-3000:]

    rows = {r["user id"]: r for r in pq.read_table(tmp_path / "scored").to_pylist()}
    assert len(rows) == len(good) + len(BAD_ROWS)
    predictor = Predictor.from_path(MODEL)
    expected = predictor.probabilities(age, salary, gender.astype(object))
    got = np.array([rows[row[0]]["probability"] for row in good], dtype=np.float64)
    assert np.array_equal(got.view(np.int64), expected.view(np.int64))  # bit for bit
    assert [rows[row[0]]["prediction"] for row in good] == [
        "Yes" if p >= predictor.threshold else "No" for p in expected
    ]
    assert {rows[row[0]]["model_version"] for row in good} == {predictor.model_version}
    for bad in BAD_ROWS:
        assert rows[bad[0]]["probability"] is None
        assert rows[bad[0]]["error"] == bad[4]


def _bad_case(kind: str, folder: Path) -> tuple[list[str], int, str]:
    """Arguments, exit code and message fragment for one kind of bad input."""
    good = write_csv_text(folder / "good.csv", [("1", "30", "40000", "Male", "0")])
    if kind == "missing-input":
        return ["--input", str(folder / "nope.csv")], 4, "does not exist"
    if kind == "binary-file":
        (folder / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" * 20)
        return ["--input", str(folder / "photo.png")], 4, "is not a CSV file"
    if kind == "csv-named-parquet":
        fake = write_csv_text(folder / "customers.parquet", [("1", "30", "40000", "Male", "0")])
        return ["--input", str(fake)], 4, "named like a Parquet file but is not one"
    if kind == "missing-column":
        (folder / "no-gender.csv").write_text("User ID,Age,EstimatedSalary\n1,30,40000\n")
        return ["--input", str(folder / "no-gender.csv")], 4, "has no column for gender"
    if kind == "missing-id":
        (folder / "no-id.csv").write_text("Age,EstimatedSalary,Gender\n30,40000,Male\n")
        return ["--input", str(folder / "no-id.csv")], 4, "has no id column"
    if kind == "remote-without-connector":  # Spark has no S3 connector here: refused when it reads the path
        return ["--input", "s3a://customers/nightly.parquet"], 4, "no connector for s3a://"
    if kind == "unknown-scheme":
        return ["--input", "nosuch://customers/nightly.csv"], 4, 'No FileSystem for scheme "nosuch"'
    assert kind == "bad-model"
    (folder / "model.onnx").write_bytes(b"not an onnx model")
    return ["--input", str(good), "--model", str(folder / "model.onnx")], 3, "not a loadable ONNX model"


BAD_KINDS = [
    "missing-input",
    "binary-file",
    "csv-named-parquet",
    "missing-column",
    "missing-id",
    "bad-model",
    "remote-without-connector",
    "unknown-scheme",
]


@pytest.mark.parametrize("entry", ["python -m", "spark-submit"])
@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_input_is_one_line_and_a_non_zero_exit(
    bundle: Path, tmp_path: Path, kind: str, entry: str
) -> None:
    args, code, fragment = _bad_case(kind, tmp_path)
    args = [*args, "--output", "scored"]
    if "--model" not in args:
        args += ["--model", str(MODEL)]
    result = python_m(tmp_path, *args) if entry == "python -m" else spark_submit(tmp_path, bundle, *args)
    output = result.stdout + result.stderr  # spark-submit passes the driver's stderr to its stdout
    assert result.returncode == code, output[-3000:]
    assert "Traceback" not in output
    assert "\tat " not in output and "Exception in thread" not in output  # no Java stack trace
    errors = [line for line in output.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and fragment in errors[0], output[-3000:]
    assert not (tmp_path / "scored").exists()


def test_an_existing_output_is_refused_before_spark_starts(tmp_path: Path) -> None:
    require_spark()
    source = write_csv_text(tmp_path / "in.csv", [("1", "30", "40000", "Male", "0")])
    (tmp_path / "scored").mkdir()
    result = python_m(tmp_path, "--input", str(source), "--output", "scored", "--model", str(MODEL))
    assert result.returncode == 2
    assert "already exists" in result.stderr and "Traceback" not in result.stderr


def test_the_wheel_holds_every_project_package_the_job_imports(bundle: Path) -> None:
    probe = (
        "import sys, pathlib; import scoring.spark; repo = pathlib.Path(sys.argv[1]); "
        "print(' '.join(sorted({n.split('.')[0] for n, m in list(sys.modules.items()) "
        "if getattr(m, '__file__', None) and pathlib.Path(m.__file__).resolve().is_relative_to(repo) "
        "and '.venv' not in pathlib.Path(m.__file__).parts})))"
    )
    imported = subprocess.run(
        [sys.executable, "-c", probe, str(REPO)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**job_env(), "PYTHONPATH": str(REPO)},
        check=True,
    ).stdout.split()
    names = zipfile.ZipFile(bundle).namelist()
    shipped = {name.split("/")[0] for name in names if name.endswith(".py")}
    assert "scoring" in imported and set(imported) <= shipped
    assert "scoring/spark.py" in names and not [n for n in names if "__pycache__" in n]


def test_local_and_remote_paths_and_spark_errors_in_one_line() -> None:
    require_spark()
    from scoring.spark_inputs import check_input, local_path, spark_error_line

    assert local_path("file:///data/in.csv") == Path("/data/in.csv")
    assert local_path("data/in.csv") == Path("data/in.csv")
    assert local_path("s3a://bucket/customers/") is None
    assert check_input("s3a://bucket/customers.csv", None).csv  # remote: left to Spark, typed by suffix
    assert not check_input("hdfs://nn/customers/", None).csv
    java = Exception(
        "An error occurred while calling o55.parquet.\n: org.apache.spark.SparkException: Job aborted.\n\tat"
    )
    assert spark_error_line(java) == "org.apache.spark.SparkException: Job aborted."
    assert spark_error_line(Exception("")) == "Exception"


def test_the_command_keeps_spark_quiet_and_writes_the_clis_manifest(tmp_path: Path) -> None:
    require_spark()
    rows = [(str(i), str(20 + i), "40000", "Male", "0") for i in range(9)]
    source = write_csv_text(tmp_path / "in.csv", rows)
    result = python_m(tmp_path, "--input", str(source), "--output", "scored", "--model", str(MODEL))
    assert result.returncode == 0, result.stderr[-3000:]
    lines = (result.stdout + result.stderr).splitlines()
    assert not [line for line in lines if re.match(r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d INFO ", line)], lines
    assert not [line for line in lines if "log4j profile" in line or "setLogLevel" in line], lines
    assert [line for line in lines if "scored 9 rows (" in line and "(0 invalid)" in line]
    manifest = json.loads((tmp_path / "scored.manifest.json").read_text())
    assert manifest["rows_read"] == 9 and manifest["input_fingerprint"].startswith("sha256:")
