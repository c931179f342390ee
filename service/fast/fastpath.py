"""Plain-Python checks for the common, valid request bodies; the marshmallow schemas stay the rules.

`customer` and `batch` accept exactly the bodies that `CustomerSchema` and `BatchRequestSchema` accept
(as parsed by `json.loads`) and return the same values: ints become floats, genders take the contract's
spelling (`runtime.contract.normalise_gender`), NaN, infinities, booleans and ints too large for a
float64 are refused. They return None instead of raising: the caller then runs
the schema, which produces the detailed 422. tests/service/test_fastpath.py checks the equivalence.
"""

from __future__ import annotations

import logging
from typing import Any

from runtime import contract as c
from service.http.schemas import MAX_BATCH

logger = logging.getLogger(__name__)

Customer = tuple[float, float, str]
_gender = c.normalise_gender  # "  mALe " -> "Male"; None when not a gender
_CANONICAL = {g: g for g in c.GENDERS}  # the common spelling skips the call (the rule maps it to itself)
# The contract's domain as plain floats. Python compares an int with a float exactly, so one comparison
# serves both; an int inside the bounds then converts to float exactly (the bounds are far below 2**53).
_AGE_MIN, _AGE_MAX = c.DOMAIN[c.AGE]
_SALARY_MIN, _SALARY_MAX = c.DOMAIN[c.SALARY]
if {c.AGE} != c.EXCLUSIVE_MIN:  # the comparisons below hard-code which lower bound is exclusive
    raise ImportError("service.fast.fastpath expects only the age lower bound to be exclusive; update it")
_KEYS = 3  # age, salary, gender: exactly these, nothing else (unknown keys are refused)


def customer(body: Any) -> Customer | None:
    """(age, salary, gender) when the body is a valid customer, else None (the schema will explain)."""
    if type(body) is not dict or len(body) != _KEYS:
        return None
    age: Any = body.get("age")
    salary: Any = body.get("salary")
    gender: Any = body.get("gender")
    kind = type(age)
    if kind is float:
        if not _AGE_MIN < age <= _AGE_MAX:  # NaN and infinities fail every comparison or the bound
            return None
    elif kind is int:
        if not _AGE_MIN < age <= _AGE_MAX:  # exact int-float comparison, then an exact conversion
            return None
        age = float(age)
    else:  # bool, str, None, containers and a missing key
        return None
    kind = type(salary)
    if kind is float:
        if not _SALARY_MIN <= salary <= _SALARY_MAX:
            return None
    elif kind is int:
        if not _SALARY_MIN <= salary <= _SALARY_MAX:
            return None
        salary = float(salary)
    else:
        return None
    if type(gender) is not str:
        return None
    spelled = _CANONICAL.get(gender)
    if spelled is None:
        spelled = _gender(gender)
        if spelled is None:
            return None
    gender = spelled
    return age, salary, gender


def batch(body: Any) -> tuple[list[float], list[float], list[str]] | None:
    """Ages, salaries and genders when the body is a valid batch, else None (the schema will explain)."""
    if type(body) is not dict or len(body) != 1:
        return None
    customers = body.get("customers")
    if type(customers) is not list or not 0 < len(customers) <= MAX_BATCH:
        return None
    ages: list[float] = []
    salaries: list[float] = []
    genders: list[str] = []
    add_age, add_salary, add_gender = ages.append, salaries.append, genders.append
    check = customer
    for item in customers:
        row = check(item)
        if row is None:
            return None
        add_age(row[0])
        add_salary(row[1])
        add_gender(row[2])
    return ages, salaries, genders
