"""Rejected V2 infer requests are counted in monitoring per field, exactly as /predict/batch counts its own.

A refused request adds one to each input it was refused for (names only; "other" when the refusal is about
the body), and nothing to the scored rows, whichever endpoint it came to.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from monitoring.store import Store
from monitoring.window import REJECT_FIELDS, REJECTED
from runtime.predictor import Predictor
from service.http.app import create_app
from service.process.settings import Settings
from tests.monitoring.conftest import COMMITTED_MODEL
from tests.v2.bad_tensors import CASES, SECRET_NUMBER, SECRET_TEXT, good

INFER = "/v2/models/purchase-predictor/infer"
VERSIONED_INFER = "/v2/models/purchase-predictor/versions/{version}/infer"
AGE, SALARY, GENDER, OTHER = REJECT_FIELDS

# Every bad body of the V2 error table by the one field its refusal counts.
# fmt: off
CASES_BY_FIELD: dict[str, tuple[str, ...]] = {
    OTHER: (
        "not an object", "no inputs", "inputs empty", "inputs not a list", "input not an object",
        "extra input", "input name not a string", "shape negative", "shape zero",
        "shape over the batch limit", "huge declared rows", "id not a string", "parameters not an object",
        "unknown output", "duplicate output", "outputs not a list", "classification output",
    ),
    AGE: (
        "missing age", "duplicate input", "age FP32", "age BYTES", "age INT64",
        "shape says 2 rows, 1 datum", "shape says 1 row, 2 data", "shape [1,2]", "shape [1,1,1]",
        "shape float", "shape bool", "shape string", "shape empty", "huge declared shape",
        "nesting does not match", "nested wrong inner length", "nested for a 1-D shape",
        "data not a list", "data missing", "age NaN", "age Infinity", "age overflows a float64",
        "age zero", "age over 120", "age as string", "age as bool", "age null",
        "input parameters not an object", "binary input size",
    ),
    SALARY: (
        "datatype unknown", "datatype missing", "rows differ across inputs", "salary -Infinity",
        "salary negative", "salary over a million", "shared memory input",
    ),
    GENDER: (
        "missing gender", "gender FP64", "unknown gender", "gender initial", "gender inner space",
        "gender empty", "gender with a NUL", "gender lone surrogate", "gender number",
    ),
}
# fmt: on
EXPECTED = {case: field for field, cases in CASES_BY_FIELD.items() for case in cases}


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    """Where the store lives."""
    return tmp_path / "monitoring.sqlite3"


@pytest.fixture()
def client(committed: Predictor, db: Path) -> FlaskClient:
    """An app on the committed model with monitoring into a temp SQLite file."""
    return create_app(Settings(model_path=COMMITTED_MODEL, monitor_db=str(db)), committed).test_client()


def counts(client: FlaskClient) -> tuple[dict[str, int], int]:
    """Rejected counts per field and scored rows, summed over the windows of GET /monitoring/drift."""
    rejected = dict.fromkeys(REJECT_FIELDS, 0)
    rows = 0
    for window in client.get("/monitoring/drift").get_json()["windows"]:
        rows += window["rows"]
        for name, n in window["data_quality"]["rejected"].items():
            rejected[name] += n
    return rejected, rows


def delta(client: FlaskClient, path: str, raw: str | bytes, **headers: str) -> tuple[int, dict[str, int]]:
    """POST a raw body; the status and how the per-field rejected counts changed (no scored rows added)."""
    before, rows_before = counts(client)
    status = client.post(path, data=raw, headers=headers, content_type="application/json").status_code
    after, rows_after = counts(client)
    assert rows_after == rows_before
    return status, {name: after[name] - before[name] for name in REJECT_FIELDS}


def only(*fields: str) -> dict[str, int]:
    """The expected change: one for each named field, zero for the others."""
    return {name: int(name in fields) for name in REJECT_FIELDS}


def tensors(age: list[Any], salary: list[Any], gender: list[Any]) -> dict[str, Any]:
    """A V2 infer body of three [N, 1] inputs."""
    n = len(age)
    return {
        "inputs": [
            {"name": "age", "datatype": "FP64", "shape": [n, 1], "data": age},
            {"name": "salary", "datatype": "FP64", "shape": [n, 1], "data": salary},
            {"name": "gender", "datatype": "BYTES", "shape": [n, 1], "data": gender},
        ]
    }


def customers(age: list[Any], salary: list[Any], gender: list[Any]) -> dict[str, Any]:
    """The same rows as a /predict/batch body."""
    rows = zip(age, salary, gender, strict=True)
    return {"customers": [{"age": a, "salary": s, "gender": g} for a, s, g in rows]}


def test_the_table_covers_every_bad_tensor_case_once() -> None:
    assert sorted(EXPECTED) == sorted(CASES) == sorted(c for cases in CASES_BY_FIELD.values() for c in cases)


def test_every_bad_tensor_is_counted_by_the_fields_it_breaks(client: FlaskClient, db: Path) -> None:
    expected_total = dict.fromkeys(REJECT_FIELDS, 0)
    for case, (build, _needle) in sorted(CASES.items()):
        status, change = delta(client, INFER, json.dumps(build()))
        assert status == 400, case
        assert change == only(EXPECTED[case]), case
        expected_total[EXPECTED[case]] += 1
    assert counts(client) == (expected_total, 0)
    # the same totals are in the store's file, and none of the submitted values is
    windows = Store(str(db)).windows(30)
    stored = dict.fromkeys(REJECT_FIELDS, 0)
    for window in windows:
        for index, n in window.counts.get(REJECTED, {}).items():
            stored[REJECT_FIELDS[index]] += n
    assert stored == expected_total
    raw = b"".join(p.read_bytes() for p in db.parent.iterdir() if p.is_file())
    for secret in (SECRET_TEXT.encode(), str(SECRET_NUMBER).encode(), b"987.65"):
        assert secret not in raw


def test_versioned_route_counts_too_and_good_requests_count_nothing(
    client: FlaskClient, committed: Predictor
) -> None:
    versioned = VERSIONED_INFER.format(version=committed.model_version)
    bad = tensors([45, 30], [90_000, 20_000], ["Male", "M"])
    assert delta(client, versioned, json.dumps(bad)) == (400, only(GENDER))
    assert client.post(INFER, json=good()).status_code == 200
    rejected, rows = counts(client)
    assert rejected == only(GENDER) and rows == 2


@pytest.mark.parametrize(
    ("raw", "headers"),
    [
        (b"{", {}),  # not JSON: /predict's 400 is not counted either
        (b"\x00\x01", {"Content-Type": "application/octet-stream"}),  # binary framing, like /predict's 415
        (json.dumps(good()).encode(), {"Content-Encoding": "gzip"}),
    ],
)
def test_unreadable_bodies_are_not_counted(client: FlaskClient, raw: bytes, headers: dict[str, str]) -> None:
    status, change = delta(client, INFER, raw, **headers)
    assert status == 400 and change == only()
    status, change = delta(client, "/v2/models/another-model/infer", json.dumps(good()))
    assert status == 404 and change == only()


BATCHES: dict[str, tuple[list[Any], list[Any], list[Any], dict[str, int]]] = {
    "two rows with a bad age": ([0, 121], [50_000, 60_000], ["Male", "Female"], only(AGE)),
    "age not a number, gender unknown": (["45", 30], [50_000, 60_000], ["Male", "x"], only(AGE, GENDER)),
    "salary null, age too high": ([121, 30], [50_000, None], ["Male", "Female"], only(AGE, SALARY)),
    "one bad row among good ones": ([30, 40, 50], [50_000, -1, 70_000], ["Male"] * 3, only(SALARY)),
    "every field": ([0, 40], [50_000, 2_000_000], [None, "Female"], only(AGE, SALARY, GENDER)),
}


@pytest.mark.parametrize("case", sorted(BATCHES))
def test_rows_rejected_in_a_v2_batch_count_like_predict_batch(client: FlaskClient, case: str) -> None:
    age, salary, gender, expected = BATCHES[case]
    assert delta(client, "/predict/batch", json.dumps(customers(age, salary, gender))) == (422, expected)
    assert delta(client, INFER, json.dumps(tensors(age, salary, gender))) == (400, expected)


def test_an_oversized_batch_counts_as_other_on_both(client: FlaskClient) -> None:
    too_many = 10_001
    big = {"customers": [{"age": 30, "salary": 1, "gender": "Male"}] * too_many}
    assert delta(client, "/predict/batch", json.dumps(big)) == (422, only(OTHER))
    body = good()
    for tensor in body["inputs"]:
        tensor["shape"] = [too_many, 1]
    assert delta(client, INFER, json.dumps(body)) == (400, only(OTHER))
