"""Every bad V2 request is a 4xx `{"error": ...}` naming the problem and never the values; no 5xx ever."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime import v2
from tests.v2.bad_tensors import CASES, SECRET_NUMBER, SECRET_TEXT, good
from tests.v2.conftest import INFER


def post(client: FlaskClient, raw: str | bytes, **headers: str) -> tuple[int, Any]:
    """POST a raw body to the infer route; the answer is always JSON."""
    response = client.post(INFER, data=raw, headers=headers)
    assert response.content_type == "application/json"
    return response.status_code, response.get_json()


def assert_no_echo(message: str) -> None:
    """The message holds none of the submitted secret values."""
    for secret in (SECRET_TEXT, str(SECRET_NUMBER), "987.65", "Xyzzy", "\ud800", "1e+400", "male\u0000"):
        assert secret not in message


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_tensor_is_400_naming_the_input(client: FlaskClient, case: str) -> None:
    build, needle = CASES[case]
    status, body = post(client, json.dumps(build()))
    assert status == 400, body
    assert set(body) == {"error"} and needle in body["error"]
    assert_no_echo(body["error"])


def test_the_table_starts_from_a_good_body(client: FlaskClient) -> None:
    assert post(client, json.dumps(good()))[0] == 200


@pytest.mark.parametrize(
    ("raw", "headers", "needle"),
    [
        (b"", {}, "empty"),
        (b"{", {}, "not valid JSON"),
        (b"\xff\xfe", {}, "not valid JSON"),
        (b"[" * 100_000, {}, "not valid JSON"),
        (b"\x04\x00\x00\x00Male", {"Inference-Header-Content-Length": "2"}, "binary"),
        (b"\x00\x01", {"Content-Type": "application/octet-stream"}, "binary"),
        (json.dumps(good()).encode(), {"Content-Encoding": "gzip"}, "Compressed"),
    ],
)
def test_bad_bodies_are_400(client: FlaskClient, raw: bytes, headers: dict[str, str], needle: str) -> None:
    status, body = post(client, raw, **headers)
    assert status == 400 and needle in body["error"]


NOT_JSON = [
    {"Content-Type": "text/plain"},  # a cross-site form or fetch can send these without a CORS preflight
    {"Content-Type": "application/x-www-form-urlencoded"},
    {"Content-Type": "multipart/form-data; boundary=x"},
    {"Content-Type": "text/json"},
    {"Origin": "https://elsewhere.example"},  # no type, from a browser: fetch() with a Blob body
    {"Origin": "null"},
]


@pytest.mark.parametrize("headers", NOT_JSON, ids=lambda h: ",".join(f"{k}={v}" for k, v in h.items()))
def test_a_body_not_declared_json_is_415_and_not_scored(client: FlaskClient, headers: dict[str, str]) -> None:
    before = _scored(client)
    status, body = post(client, json.dumps(good()), **headers)
    assert status == 415 and set(body) == {"error"} and "application/json" in body["error"]
    assert _scored(client) == before


ACCEPTED = {
    "none-from-a-non-browser": {},
    "json": {"Content-Type": "application/json"},
    "json-with-charset": {"Content-Type": "Application/JSON; charset=utf-8"},
    "json-from-a-browser": {"Content-Type": "application/json", "Origin": "https://app.example"},
}


@pytest.mark.parametrize("headers", list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_json_or_no_type_from_a_non_browser_is_scored(client: FlaskClient, headers: dict[str, str]) -> None:
    before = _scored(client)
    assert post(client, json.dumps(good()), **headers)[0] == 200
    assert _scored(client) > before


def _scored(client: FlaskClient) -> float:
    """predict_predictions_total over both outcomes, from /metrics."""
    total = 0.0
    for line in client.get("/metrics").get_data(as_text=True).splitlines():
        if line.startswith("predict_predictions_total{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_a_body_over_the_limit_is_413_in_the_v2_shape(client: FlaskClient) -> None:
    status, body = post(client, b" " * (1024 * 1024 + 10))
    assert status == 413 and set(body) == {"error"}


def test_the_huge_declared_shape_is_refused_before_reading_data(client: FlaskClient) -> None:
    body = good()
    for tensor in body["inputs"]:
        tensor["shape"] = [2**63 - 1, 1]
    status, answer = post(client, json.dumps(body))
    assert status == 400 and "1 to 10000 rows" in answer["error"]


# --- property-based: the infer body, fuzzed --------------------------------------------------------
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["age", "salary", "gender", "FP64", "BYTES", "Male", "Female", "probability"]),
)
ANY_JSON = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
SHAPES = st.one_of(
    st.lists(st.integers(min_value=-2, max_value=4), max_size=3), ANY_JSON, st.just([2**40, 2**40])
)
TENSOR = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["age", "salary", "gender"]) | ANY_JSON,
        "datatype": st.sampled_from(["FP64", "BYTES", "FP32"]) | ANY_JSON,
        "shape": SHAPES,
        "data": st.lists(LEAVES | st.lists(LEAVES, max_size=2), max_size=4) | ANY_JSON,
    },
    optional={"parameters": ANY_JSON},
)
BODIES = st.one_of(
    ANY_JSON,
    st.fixed_dictionaries(
        {"inputs": st.lists(TENSOR, max_size=4)},
        optional={"id": ANY_JSON, "parameters": ANY_JSON, "outputs": ANY_JSON},
    ),
)


def check_answer(status: int, body: Any) -> None:
    """A V2 answer is a success or a `{"error": str}` with a 4xx."""
    assert status < 500, body
    if status != 200:
        assert 400 <= status < 500 and set(body) == {"error"} and isinstance(body["error"], str)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BODIES)
def test_fuzzed_infer_bodies_never_get_a_server_error(client: FlaskClient, body: Any) -> None:
    check_answer(*post(client, json.dumps(body)))


# --- property-based: V2 accepts and refuses exactly the rows /predict does ---------------------------
VALUES = st.one_of(
    st.sampled_from([0, 0.0, -0.0, 1e-300, 120, 120.0, 120.0000001, 1e6, 1e6 + 1, 1_000_000, 45, 90000]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**7), max_value=10**7),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
    st.just(10**400),
    st.just({"v": 45}),  # no list: V2 nests
)
GENDERS = st.one_of(
    st.sampled_from(
        ["Male", "Female", "male", "Male ", "", "  mALe ", "FEMALE\t", "\u00a0female", "M", "femme"]
    ),
    st.text(alphabet=" \tFfEeMmAaLl", max_size=8),
    st.none(),
    st.integers(),
    VALUES,
)


def one_row(age: Any, salary: Any, gender: Any) -> dict[str, Any]:
    """A one-row V2 body."""
    columns = (("age", "FP64", age), ("salary", "FP64", salary), ("gender", "BYTES", gender))
    return {"inputs": [{"name": n, "datatype": d, "shape": [1, 1], "data": [v]} for n, d, v in columns]}


def dumps(value: Any) -> str:
    """JSON as Python writes it (NaN and Infinity as their tokens, big ints in full)."""
    return json.dumps(value)


@settings(max_examples=300, deadline=None)
@given(VALUES, VALUES, GENDERS)
def test_v2_accepts_exactly_the_rows_predict_accepts(
    client: FlaskClient, age: Any, salary: Any, gender: Any
) -> None:
    row = {"age": age, "salary": salary, "gender": gender}
    predict = client.post("/predict", data=dumps(row), headers={"Content-Type": "application/json"})
    status, body = post(client, dumps(one_row(age, salary, gender)))
    assert predict.status_code in (200, 422)
    assert status == (200 if predict.status_code == 200 else 400), body
    if status == 200:
        assert body["outputs"][1]["data"] == [predict.get_json()["prediction"]]
        assert round(body["outputs"][0]["data"][0], 4) == predict.get_json()["probability"]
        assert not math.isnan(body["outputs"][0]["data"][0])
    else:
        fields = {detail["field"] for detail in predict.get_json()["details"]}
        named = body["error"].removeprefix("row 0: ").split(":")[0]
        assert named in fields, (body["error"], fields)  # V2 names the first bad field of the row


def _rows(n: int, age: Any, gender: Any) -> dict[str, Any]:
    """An infer body of n rows with one age and one gender for every row."""
    return {
        "inputs": [
            {"name": "age", "datatype": "FP64", "shape": [n], "data": [age] * n},
            {"name": "salary", "datatype": "FP64", "shape": [n], "data": [1000] * n},
            {"name": "gender", "datatype": "BYTES", "shape": [n], "data": [gender] * n},
        ]
    }


def test_every_bad_row_is_counted_and_only_the_first_explained(client: FlaskClient) -> None:
    body = _rows(10_000, 45, "Male")
    body["inputs"][0]["data"][7:] = [-1] * (10_000 - 7)
    body["inputs"][2]["data"][9000] = "M"
    status, answer = post(client, json.dumps(body), **{"Content-Type": "application/json"})
    assert status == 400
    assert (
        answer["error"]
        == "row 7: age: Must be a number greater than 0 and at most 120. (9992 more invalid rows)"
    )


def test_the_refusal_carries_every_input_with_a_bad_row() -> None:
    body = _rows(50, 45, "Male")
    body["inputs"][2]["data"][49] = "M"
    body["inputs"][0]["data"][3] = 130
    with pytest.raises(v2.TensorError) as caught:
        v2.decode_request(body, 10_000)
    assert caught.value.fields == ("age", "gender") and str(caught.value).startswith("row 3: age:")
