"""Any accepted spelling of a gender ("  mALe ", "FEMALE") gives the canonical spelling's exact answer on
every entry point: /predict, /predict/batch, V2 infer, the batch CLI (and the scorer Spark runs), the
offline drift check and the service's drift windows. The model only ever receives 'Female' or 'Male'."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from flask.testing import FlaskClient

from monitoring.drift import check_file
from runtime import contract as c
from runtime.predictor import Prediction, Predictor
from scoring.batch import main
from scoring.core import Scorer
from service.http.app import create_app
from service.process.settings import Settings
from tests.scoring.conftest import MODEL, random_rows, write_csv_text

ROWS = 240
# Every row's gender is written in one of these ways; the canonical answer uses the contract's spelling.
SPELLINGS = ("  mALe ", "male", "MALE", "\tFemale", "fEMALE ", "female", "Female", "Male", " Male\t")
INFER = "/v2/models/purchase-predictor/infer"


def bits(values: Any) -> list[int]:
    """The exact float64 bits, so 0.1 + 1e-17 and 0.1 differ."""
    return np.asarray(values, dtype=np.float64).view(np.uint64).tolist()


@pytest.fixture(scope="module")
def rows() -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Ages, salaries, the genders as sent (mixed spellings) and as the contract spells them."""
    age, salary, _ = random_rows(ROWS, seed=23)
    sent = [SPELLINGS[i % len(SPELLINGS)] for i in range(ROWS)]
    canonical = [g.strip().capitalize() for g in sent]
    assert set(canonical) == {"Female", "Male"}
    return age, salary, sent, canonical


@pytest.fixture(scope="module")
def expected(rows: tuple[np.ndarray, np.ndarray, list[str], list[str]]) -> list[int]:
    """The bits the runtime predictor gives for the canonical spellings (one whole batch)."""
    age, salary, _, canonical = rows
    return bits(Predictor.from_path(MODEL).probabilities(age, salary, np.array(canonical, dtype=object)))


class Recording:
    """A predictor whose calls record the genders the model was given and the probabilities it returned."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.predictor = Predictor.from_path(MODEL)
        self.genders: list[Any] = []
        self.probabilities: list[float] = []
        one, columns = self.predictor.predict_one, self.predictor.predict_columns

        def predict_one(age: float, salary: float, gender: str) -> Prediction:
            result = one(age, salary, gender)
            self.genders.append(gender)
            self.probabilities.append(result.probability)
            return result

        def predict_columns(ages: Any, salaries: Any, genders: Any) -> Any:
            result = columns(ages, salaries, genders)
            self.genders.extend(list(genders))
            self.probabilities.extend(result[0].tolist())
            return result

        monkeypatch.setattr(self.predictor, "predict_one", predict_one)
        monkeypatch.setattr(self.predictor, "predict_columns", predict_columns)

    def client(self) -> FlaskClient:
        """The real app on this predictor, without sockets."""
        settings = Settings(model_path=MODEL, max_body_bytes=16 * 1024 * 1024)
        return create_app(settings, self.predictor).test_client()

    def assert_saw_only_contract_genders(self, canonical: list[str]) -> None:
        assert self.genders == canonical
        assert {type(g) for g in self.genders} == {str}


def test_predict_gives_the_canonical_bits(
    monkeypatch: pytest.MonkeyPatch, rows: tuple[Any, ...], expected: list[int]
) -> None:
    age, salary, sent, canonical = rows
    recording = Recording(monkeypatch)
    client = recording.client()
    for i in range(ROWS):
        mixed = client.post("/predict", json={"age": age[i], "salary": salary[i], "gender": sent[i]})
        plain = client.post("/predict", json={"age": age[i], "salary": salary[i], "gender": canonical[i]})
        assert mixed.status_code == plain.status_code == 200
        answers = [{k: v for k, v in r.get_json().items() if k != "feedback_token"} for r in (mixed, plain)]
        assert answers[0] == answers[1]
    assert bits(recording.probabilities[0::2]) == expected == bits(recording.probabilities[1::2])
    recording.assert_saw_only_contract_genders([g for g in canonical for _ in (0, 1)])


def test_predict_batch_gives_the_canonical_bits(
    monkeypatch: pytest.MonkeyPatch, rows: tuple[Any, ...], expected: list[int]
) -> None:
    age, salary, sent, canonical = rows
    recording = Recording(monkeypatch)
    customers = [{"age": a, "salary": s, "gender": g} for a, s, g in zip(age, salary, sent, strict=True)]
    response = recording.client().post("/predict/batch", json={"customers": customers})
    assert response.status_code == 200
    assert len(response.get_json()["predictions"]) == ROWS
    assert bits(recording.probabilities) == expected
    recording.assert_saw_only_contract_genders(canonical)


def infer_body(age: Any, salary: Any, genders: list[str]) -> dict[str, Any]:
    """A V2 infer body of [N] tensors."""
    n = len(genders)
    return {
        "inputs": [
            {"name": "age", "datatype": "FP64", "shape": [n], "data": np.asarray(age).tolist()},
            {"name": "salary", "datatype": "FP64", "shape": [n], "data": np.asarray(salary).tolist()},
            {"name": "gender", "datatype": "BYTES", "shape": [n], "data": genders},
        ]
    }


def test_v2_infer_gives_the_canonical_bits(
    monkeypatch: pytest.MonkeyPatch, rows: tuple[Any, ...], expected: list[int]
) -> None:
    age, salary, sent, canonical = rows
    recording = Recording(monkeypatch)
    response = recording.client().post(INFER, json=infer_body(age, salary, sent))
    assert response.status_code == 200, response.get_json()
    (probability,) = (o for o in response.get_json()["outputs"] if o["name"] == "probability")
    assert bits(probability["data"]) == expected  # V2 answers unrounded: JSON round-trips the bits
    recording.assert_saw_only_contract_genders(canonical)


def test_v2_still_refuses_what_is_not_a_gender(client_v2: FlaskClient) -> None:
    for bad in ("M", "femme", "", "Fe male"):
        response = client_v2.post(INFER, json=infer_body([40.0], [50_000.0], [bad]))
        assert response.status_code == 400
        assert response.get_json()["error"] == (
            "row 0: gender: Must be 'Female' or 'Male' (case and surrounding spaces are ignored)."
        )


@pytest.fixture()
def client_v2() -> FlaskClient:
    """The real app on the committed model."""
    return create_app(Settings(model_path=MODEL), Predictor.from_path(MODEL)).test_client()


def crm_file(path: Path, rows: tuple[Any, ...], genders: list[str]) -> Path:
    """A CSV as a CRM exports it; genders quoted so their surrounding spaces and tabs stay in the file."""
    age, salary, _, _ = rows
    lines = [
        (str(15_600_000 + i), repr(float(a)), repr(float(s)), f'"{g}"')
        for i, (a, s, g) in enumerate(zip(age, salary, genders, strict=True))
    ]
    return write_csv_text(path, lines, header=["User ID", "Age", "EstimatedSalary", "Gender"])


def test_cli_scores_a_mixed_case_crm_file_fully_with_the_canonical_bits(
    tmp_path: Path, rows: tuple[Any, ...], expected: list[int]
) -> None:
    _, _, sent, canonical = rows
    results = {}
    for name, genders in (("mixed", sent), ("canonical", canonical)):
        out = tmp_path / f"{name}.parquet"
        code = main(
            [
                "--input",
                str(crm_file(tmp_path / f"{name}.csv", rows, genders)),
                "--output",
                str(out),
                "--model",
                str(MODEL),
                "--max-invalid",
                "0",
                "--batch-rows",
                "97",
            ]
        )
        assert code == 0
        results[name] = pq.read_table(out).to_pylist()
        manifest = json.loads((tmp_path / f"{name}.parquet.manifest.json").read_text())
        assert manifest["rows_scored"] == ROWS and manifest["rows_invalid"] == 0
        assert manifest["rows_invalid_by_field"] == {"age": 0, "salary": 0, "gender": 0}
    mixed, plain = results["mixed"], results["canonical"]
    assert all(row["error"] is None for row in mixed)
    assert bits([row["probability"] for row in mixed]) == expected
    assert mixed == plain


def test_the_scorer_spark_runs_gives_the_canonical_bits(rows: tuple[Any, ...], expected: list[int]) -> None:
    """scoring/spark.py calls Scorer.score on Arrow batches; text, large text and dictionary columns."""
    age, salary, sent, _ = rows
    scorer = Scorer.from_path(MODEL)
    for gender in (
        pa.array(sent, type=pa.string()),
        pa.array(sent, type=pa.large_string()),
        pa.array(sent, type=pa.string()).dictionary_encode(),
        pa.chunked_array([sent[:100], sent[100:]], type=pa.string()),
    ):
        out, tally = scorer.score(pa.array(age), pa.array(salary), gender, None, None)
        assert tally.invalid == 0 and tally.scored == ROWS
        assert bits(out.column("probability").to_numpy()) == expected


def test_offline_drift_counts_every_spelling_as_its_gender(tmp_path: Path, rows: tuple[Any, ...]) -> None:
    _, _, sent, canonical = rows
    for name in ("mixed", "plain"):
        (tmp_path / name).mkdir()
    mixed = check_file(MODEL, crm_file(tmp_path / "mixed" / "customers.csv", rows, sent))
    plain = check_file(MODEL, crm_file(tmp_path / "plain" / "customers.csv", rows, canonical))
    (window,) = mixed["windows"]
    assert window["rows"] == ROWS
    assert window["data_quality"]["rejected"] == {"age": 0, "salary": 0, "gender": 0, "other": 0}
    assert json.dumps(mixed["windows"], sort_keys=True) == json.dumps(plain["windows"], sort_keys=True)


def test_offline_drift_rejects_what_is_not_a_gender(tmp_path: Path, rows: tuple[Any, ...]) -> None:
    _, _, _, canonical = rows
    genders = ["M", "femme", "", *canonical[3:]]
    (window,) = check_file(MODEL, crm_file(tmp_path / "bad.csv", rows, genders))["windows"]
    assert window["data_quality"]["rejected"]["gender"] == 3 and window["rows"] == ROWS - 3


def test_the_service_drift_window_counts_the_normalised_gender(tmp_path: Path, rows: tuple[Any, ...]) -> None:
    age, salary, sent, canonical = rows
    windows = []
    for name, genders in (("mixed", sent), ("canonical", canonical)):
        settings = Settings(model_path=MODEL, monitor_db=str(tmp_path / name / "m.sqlite3"))
        client = create_app(settings, Predictor.from_path(MODEL)).test_client()
        for i in range(0, ROWS, 2):  # half through /predict, half through V2
            body = {"age": age[i], "salary": salary[i], "gender": genders[i]}
            assert client.post("/predict", json=body).status_code == 200
        assert client.post(INFER, json=infer_body(age[1::2], salary[1::2], genders[1::2])).status_code == 200
        (window,) = client.get("/monitoring/drift").get_json()["windows"]
        windows.append(window)
    mixed, plain = windows
    assert mixed["rows"] == ROWS and mixed["data_quality"]["rejected"]["gender"] == 0
    assert mixed["features"][c.GENDER] == plain["features"][c.GENDER]
    assert mixed["features"] == plain["features"]
