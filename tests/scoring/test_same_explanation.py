"""The same rows get the same contribution bits on every path: runtime, CLI --explain, /predict?explain,
the batch endpoint, V2's `contributions` and Spark --explain on local[2] (real Spark, never skipped in CI)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from flask.testing import FlaskClient

from runtime.explain import Explainer, Explanation
from runtime.predictor import Predictor
from scoring.batch import main as batch_main
from service.http.app import create_app
from service.process.settings import Settings
from tests.scoring.conftest import MODEL, REPO, customers_table
from tests.scoring.test_spark import PANDAS_WARNING, spark  # noqa: F401 - the module's local[2] session

pytestmark = pytest.mark.filterwarnings(f"ignore:{PANDAS_WARNING}:FutureWarning")

ROWS = 1001
NAMES = ("age", "salary", "gender")
COLUMNS = [f"contribution_{name}" for name in NAMES]


@pytest.fixture(scope="module")
def table() -> Any:
    """The customers every path scores."""
    return customers_table(ROWS, seed=31)


@pytest.fixture(scope="module")
def inputs(table: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The customers as a Parquet file."""
    path = tmp_path_factory.mktemp("explain-paths") / "customers.parquet"
    pq.write_table(table, path)
    return path


@pytest.fixture(scope="module")
def runtime(table: Any) -> Explanation:
    """The runtime's explanation of every row, in one call: the reference."""
    age, salary = table.column("Age").to_numpy(), table.column("EstimatedSalary").to_numpy()
    gender = np.array(table.column("Gender").to_pylist(), dtype=object)
    return Explainer.of(Predictor.from_path(MODEL)).explain(age, salary, gender)


@pytest.fixture(scope="module")
def client() -> FlaskClient:
    """The real app on the committed model, monitoring off."""
    settings = Settings(model_path=MODEL, max_body_bytes=16 * 1024 * 1024, monitor=False)
    return create_app(settings, Predictor.from_path(MODEL)).test_client()


def customers(table: Any) -> list[dict[str, Any]]:
    """The rows as API customers."""
    return [
        {"age": r["Age"], "salary": r["EstimatedSalary"], "gender": r["Gender"]} for r in table.to_pylist()
    ]


def bits(values: Any) -> np.ndarray:
    """float64 bit patterns."""
    return np.asarray(values, dtype=np.float64).view(np.uint64)


def from_documents(documents: list[dict[str, Any]]) -> np.ndarray:
    """[N, 3] from explanation documents."""
    return np.array([[d["contributions"][n] for n in NAMES] for d in documents], dtype=np.float64)


def test_cli_explain_equals_the_runtime(inputs: Path, runtime: Explanation, tmp_path: Path) -> None:
    out = tmp_path / "cli.parquet"
    assert (
        batch_main(
            [
                "--input",
                str(inputs),
                "--output",
                str(out),
                "--model",
                str(MODEL),
                "--explain",
                "--batch-rows",
                "333",
            ]
        )
        == 0
    )
    scored = pq.read_table(out)
    got = np.column_stack([scored.column(name).to_numpy() for name in COLUMNS])
    assert np.array_equal(bits(got), bits(runtime.contributions))
    assert np.array_equal(bits(scored.column("probability").to_numpy()), bits(runtime.probabilities))


def test_predict_and_the_batch_endpoint_equal_the_runtime(
    client: FlaskClient, table: Any, runtime: Explanation
) -> None:
    rows = customers(table)
    batch = client.post("/predict/batch?explain=true", json={"customers": rows}).get_json()["predictions"]
    assert np.array_equal(
        bits(from_documents([i["explanation"] for i in batch])), bits(runtime.contributions)
    )
    sample = range(0, ROWS, 7)
    one = [client.post("/predict?explain=true", json=rows[i]).get_json()["explanation"] for i in sample]
    assert np.array_equal(bits(from_documents(one)), bits(runtime.contributions[list(sample)]))
    assert {d["base"] for d in one} | {i["explanation"]["base"] for i in batch} == {runtime.base}


def test_v2_contributions_equal_the_runtime(client: FlaskClient, table: Any, runtime: Explanation) -> None:
    rows = customers(table)
    inputs = [
        {
            "name": n,
            "datatype": "BYTES" if n == "gender" else "FP64",
            "shape": [ROWS],
            "data": [r[n] for r in rows],
        }
        for n in NAMES
    ]
    body = {"inputs": inputs, "outputs": [{"name": "contributions"}]}
    response = client.post("/v2/models/purchase-predictor/infer", data=json.dumps(body))
    assert response.status_code == 200
    (output,) = response.get_json()["outputs"]
    got = np.array(output["data"], dtype=np.float64).reshape(output["shape"])
    assert np.array_equal(bits(got), bits(runtime.contributions))


def test_spark_explain_on_local2_equals_the_runtime(
    spark: Any,  # noqa: F811 - the fixture imported above
    inputs: Path,
    table: Any,
    runtime: Explanation,
    tmp_path: Path,
) -> None:
    from scoring.spark import main

    out = tmp_path / "spark-out"
    assert main(["--input", str(inputs), "--output", str(out), "--model", str(MODEL), "--explain"]) == 0
    scored = pq.read_table(out)
    assert scored.column_names[-3:] == COLUMNS
    order = {user: i for i, user in enumerate(table.column("User ID").to_pylist())}
    rows = sorted(scored.to_pylist(), key=lambda r: order[r["User ID"]])
    assert len(rows) == ROWS
    got = np.array([[r[name] for name in COLUMNS] for r in rows], dtype=np.float64)
    assert np.array_equal(bits(got), bits(runtime.contributions))
    assert np.array_equal(bits([r["probability"] for r in rows]), bits(runtime.probabilities))


def test_spark_score_takes_explain_and_refuses_a_model_without_a_background(
    spark: Any,  # noqa: F811 - the fixture imported above
    inputs: Path,
    model_path: Path,
) -> None:
    from runtime.errors import ModelError
    from scoring.spark import score

    frame = spark.read.parquet(str(inputs))
    assert score(frame, MODEL, explain=True).columns[-3:] == COLUMNS
    assert not set(COLUMNS) & set(score(frame, MODEL).columns)
    with pytest.raises(ModelError, match="carries no explanation background"):
        score(frame, model_path, explain=True)


def test_spark_explain_refuses_a_model_without_a_background_before_spark(
    model_path: Path, inputs: Path, tmp_path: Path
) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "purchase_predictor",
            "spark",
            "--input",
            str(inputs),
            "--output",
            str(tmp_path / "out"),
            "--model",
            str(model_path),
            "--explain",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert result.returncode == 3, result.stderr
    assert "carries no explanation background" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
