"""The same rows give the same answer from the CLI, from `runtime/` and from the HTTP API."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from flask.testing import FlaskClient

from runtime.predictor import Predictor
from scoring.batch import main
from scoring.core import Scorer
from service.http.app import create_app
from service.process.settings import Settings
from tests.scoring.conftest import BAD_ROWS, MODEL, customers_table

ROWS = 2001


@pytest.fixture(scope="module")
def client() -> FlaskClient:
    """The real app on the committed model, without sockets."""
    settings = Settings(model_path=MODEL, max_body_bytes=16 * 1024 * 1024)
    return create_app(settings, Predictor.from_path(MODEL)).test_client()


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """ROWS customers scored by the CLI in odd batches of 333 rows."""
    folder = tmp_path_factory.mktemp("same")
    pq.write_table(customers_table(ROWS, seed=11), folder / "in.parquet")
    out = folder / "out.parquet"
    assert (
        main(
            [
                "--input",
                str(folder / "in.parquet"),
                "--output",
                str(out),
                "--batch-rows",
                "333",
                "--model",
                str(MODEL),
            ]
        )
        == 0
    )
    return pq.read_table(out).to_pylist()


def test_cli_bits_equal_the_runtime_predictor_on_one_whole_batch(scored: list[dict]) -> None:
    table = customers_table(ROWS, seed=11)
    expected = Predictor.from_path(MODEL).probabilities(
        table.column("Age").to_numpy(),
        table.column("EstimatedSalary").to_numpy(),
        np.array(table.column("Gender").to_pylist(), dtype=object),
    )
    got = np.array([row["probability"] for row in scored], dtype=np.float64)
    assert np.array_equal(got.view(np.int64), expected.view(np.int64))


def test_api_batch_rounds_the_same_probability_and_makes_the_same_decision(
    client: FlaskClient, scored: list[dict]
) -> None:
    table = customers_table(ROWS, seed=11).to_pylist()
    customers = [{"age": r["Age"], "salary": r["EstimatedSalary"], "gender": r["Gender"]} for r in table]
    response = client.post("/predict/batch", json={"customers": customers})
    assert response.status_code == 200
    answers = response.get_json()["predictions"]
    for cli, api in zip(scored, answers, strict=True):
        assert api["probability"] == round(cli["probability"], 4)
        assert api["prediction"] == cli["prediction"]
        assert "; ".join(api["warnings"]) == (cli["warnings"] or "")


def test_api_single_predictions_agree_on_a_sample(client: FlaskClient, scored: list[dict]) -> None:
    table = customers_table(ROWS, seed=11).to_pylist()
    for i in range(0, ROWS, 97):
        body = {"age": table[i]["Age"], "salary": table[i]["EstimatedSalary"], "gender": table[i]["Gender"]}
        answer = client.post("/predict", json=body).get_json()
        assert answer["probability"] == round(scored[i]["probability"], 4)
        assert answer["prediction"] == scored[i]["prediction"]


@pytest.mark.parametrize("row", BAD_ROWS, ids=[r[0] for r in BAD_ROWS])
def test_rows_the_api_refuses_are_the_rows_with_an_error(
    client: FlaskClient, scorer: Scorer, row: tuple[str, ...]
) -> None:
    age, salary, gender = (pa.array([cell], type=pa.string()) for cell in row[1:4])
    out, _ = scorer.score(age, salary, gender, None, None)
    assert out.column("error")[0].as_py() is not None
    body: dict[str, object] = {}
    for name, cell in (("age", row[1]), ("salary", row[2])):
        try:
            number = float(cell)
        except ValueError:
            body[name] = cell
        else:
            body[name] = None if cell == "" else number
    body["gender"] = row[3] or None
    body = {k: v for k, v in body.items() if v is not None}
    assert client.post("/predict", json=body).status_code == 422
