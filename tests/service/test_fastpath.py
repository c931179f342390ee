"""The plain-Python fast path accepts exactly the bodies the marshmallow schemas accept, with equal values."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from service.fast import fastpath
from service.http.schemas import GENDER_PATTERN, MAX_BATCH, BatchRequestSchema, CustomerSchema

CUSTOMER_SCHEMA, BATCH_SCHEMA = CustomerSchema(), BatchRequestSchema()
EDGE_NUMBERS = [
    0,
    1,
    120,
    121,
    -1,
    0.0,
    -0.0,
    1e-300,
    5e-324,
    120.0,
    120.0000001,
    119.99999999999999,
    1_000_000,
    1_000_000.0,
    1_000_000.0000001,
    1_000_001,
    -1e-300,
    10**17 + 1,
    10**308,
    10**400,
    -(10**400),
    1e308,
    1.7976931348623157e308,
    math.nan,
    math.inf,
    -math.inf,
    True,
    False,
]
ODD_VALUES: list[Any] = [None, "45", "Male", "", [], [45], {}, {"age": 45}, "nan"]
GENDERS: list[Any] = [
    "Female",
    "Male",
    "male",
    "MALE",
    " Male",
    "Male ",
    "  mALe ",
    "FEMALE\t",
    "\u00a0female\n",
    "F",
    "M",
    "",
    "  ",
    "Femal",
    "Fe male",
    "femme",
    "Male\x00",
    "Male.",
    "\u200bMale",
]
WHITESPACE = " \t\n\r\x0b\x0c\u00a0\u2003\u3000"


@st.composite
def gender_spellings(draw: st.DrawFn) -> str:
    """'Female' or 'Male' in random case with random whitespace around; now and then a letter too many,
    too few or inside the whitespace."""
    word = draw(st.sampled_from(["female", "male"]))
    cased = "".join(ch.upper() if draw(st.booleans()) else ch for ch in word)
    pad = st.text(alphabet=WHITESPACE, max_size=3)
    spelled = draw(pad) + cased + draw(pad)
    if draw(st.integers(0, 4)) == 0:  # break it: drop, add or replace one character
        at = draw(st.integers(0, len(spelled)))
        extra = draw(st.sampled_from(["", "x", "e", "\x00", "-", " "]))
        spelled = spelled[:at] + extra + spelled[at + draw(st.integers(0, 1)) :]
    return spelled


genders = st.one_of(
    gender_spellings(), st.sampled_from(GENDERS), st.text(alphabet=WHITESPACE + "FfEeMmAaLl", max_size=9)
)

numbers = st.one_of(
    st.sampled_from(EDGE_NUMBERS),
    st.integers(min_value=-(10**6), max_value=2 * 10**6),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1.0, max_value=1_000_001.0),
)
scalars = st.one_of(numbers, st.sampled_from(ODD_VALUES), genders, st.text(max_size=8))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
keys = st.sampled_from(["age", "salary", "gender", "Age", "extra", "", "age "])


@st.composite
def customers(draw: st.DrawFn) -> Any:
    """Mostly near-valid customers: each field valid, edgy, odd, nested, missing; sometimes extra keys."""
    body: dict[str, Any] = {}
    for name, good in (
        ("age", st.floats(0.5, 120)),
        ("salary", st.integers(0, 10**6)),
        ("gender", gender_spellings()),
    ):
        choice = draw(st.integers(0, 9))
        if choice <= 4:
            body[name] = draw(good)
        elif choice <= 6:
            body[name] = draw(genders if name == "gender" else numbers)
        elif choice == 7:
            body[name] = draw(values)
        # 8, 9: the key is missing
    if draw(st.integers(0, 9)) == 0:
        body[draw(keys)] = draw(values)
    return body if draw(st.integers(0, 19)) else draw(values)  # now and then, not an object at all


def schema_result(schema: Any, body: Any) -> Any:
    """What marshmallow loads, or None when it refuses the body."""
    try:
        return schema.load(body)
    except ValidationError:
        return None


def same_number(a: float, b: float) -> bool:
    """Equal floats including the sign of zero."""
    return type(a) is type(b) is float and (a == b and math.copysign(1, a) == math.copysign(1, b))


def assert_same_customer(fast: fastpath.Customer | None, loaded: Any) -> None:
    """The fast path and the schema agree: both refuse, or both accept with identical values."""
    assert (fast is None) == (loaded is None)
    if fast is not None:
        age, salary, gender = fast
        assert same_number(age, loaded["age"]) and same_number(salary, loaded["salary"])
        assert gender == loaded["gender"] and set(loaded) == {"age", "salary", "gender"}


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(customers())
@example({"age": 45, "salary": 90000, "gender": "Male"})
@example({"age": 120, "salary": 0, "gender": "Female"})
@example({"age": 120.0000001, "salary": 0, "gender": "Female"})
@example({"age": 10**400, "salary": 0, "gender": "Female"})
@example({"age": 45, "salary": -0.0, "gender": "Female"})
@example({"age": -0.0, "salary": 1, "gender": "Female"})
@example({"age": True, "salary": 1, "gender": "Female"})
@example({"age": 45, "salary": math.nan, "gender": "Female"})
@example({"age": 45, "salary": 1, "gender": "Female", "extra": 1})
@example({"age": 45, "salary": 1})
@example({"age": {"value": 45}, "salary": 1, "gender": "Male"})
@example([{"age": 45, "salary": 1, "gender": "Male"}])
def test_fast_customer_matches_the_schema(body: Any) -> None:
    assert_same_customer(fastpath.customer(body), schema_result(CUSTOMER_SCHEMA, body))


@pytest.mark.parametrize("number", EDGE_NUMBERS, ids=repr)
@pytest.mark.parametrize("field", ["age", "salary"])
def test_every_edge_number_is_judged_like_the_schema(field: str, number: Any) -> None:
    body = {"age": 45, "salary": 1000, "gender": "Male", field: number}
    assert_same_customer(fastpath.customer(body), schema_result(CUSTOMER_SCHEMA, body))


@pytest.mark.parametrize("gender", GENDERS + ODD_VALUES)
def test_every_gender_is_judged_like_the_schema(gender: Any) -> None:
    body = {"age": 45, "salary": 1000, "gender": gender}
    assert_same_customer(fastpath.customer(body), schema_result(CUSTOMER_SCHEMA, body))


@settings(max_examples=1000, deadline=None)
@given(genders)
def test_every_spelling_loads_as_the_contract_spells_it(gender: str) -> None:
    """Both paths agree on every spelling, and what they load is exactly 'Female' or 'Male'."""
    body = {"age": 45, "salary": 1000, "gender": gender}
    fast, loaded = fastpath.customer(body), schema_result(CUSTOMER_SCHEMA, body)
    assert_same_customer(fast, loaded)
    accepted = gender.strip().lower() in ("female", "male")  # the rule, stated independently
    assert (fast is not None) == accepted
    assert (re.search(GENDER_PATTERN, gender) is not None) == accepted  # the OpenAPI pattern says the same
    if fast is not None:
        assert fast[2] == gender.strip().capitalize() and fast[2] in ("Female", "Male")


def test_json_parsed_bodies_take_the_fast_path() -> None:
    body = json.loads('{"age": 45, "salary": 90000.5, "gender": "Male"}')
    assert fastpath.customer(body) == (45.0, 90000.5, "Male")
    assert fastpath.customer(json.loads('{"age": 1e999, "salary": 1, "gender": "Male"}')) is None
    assert fastpath.customer(json.loads('{"age": 45, "salary": 1, "gender": " \\tmALe "}')) == (
        45.0,
        1.0,
        "Male",
    )


@st.composite
def batches(draw: st.DrawFn) -> Any:
    """Batches of mostly valid customers, sometimes empty, with extra keys or not a list."""
    body: dict[str, Any] = {"customers": draw(st.lists(customers(), max_size=4))}
    if draw(st.integers(0, 9)) == 0:
        body[draw(keys)] = draw(values)
    if draw(st.integers(0, 9)) == 0:
        body["customers"] = draw(values)
    return body if draw(st.integers(0, 19)) else draw(values)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
@example({"customers": []})
@example({"customers": [{"age": 45, "salary": 1, "gender": "Male"}], "extra": 1})
@example({"customers": {"age": 45, "salary": 1, "gender": "Male"}})
def test_fast_batch_matches_the_schema(body: Any) -> None:
    fast, loaded = fastpath.batch(body), schema_result(BATCH_SCHEMA, body)
    assert (fast is None) == (loaded is None)
    if fast is not None:
        assert len(fast[0]) == len(fast[1]) == len(fast[2]) == len(loaded["customers"])
        for row, item in zip(zip(*fast, strict=True), loaded["customers"], strict=True):
            assert_same_customer(row, item)


@pytest.mark.parametrize("size", [1, MAX_BATCH, MAX_BATCH + 1])
def test_batch_size_limits_match_the_schema(size: int) -> None:
    body = {"customers": [{"age": 45, "salary": 1, "gender": "Male"}] * size}
    assert (fastpath.batch(body) is None) == (schema_result(BATCH_SCHEMA, body) is None)
