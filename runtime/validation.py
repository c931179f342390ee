"""Row validation by the contract's rules, for columns of any length (batch files, Spark, V2).

`POST /predict` validates the same rules from JSON (service/fast/fastpath.py and service/http/schemas.py,
bounds and `normalise_gender` from runtime.contract); this module does it for columns already parsed into
NumPy arrays, where a missing or unparsable number is NaN and a missing gender is None. A gender column goes
through `normalise_genders` first: the predictor only ever sees 'Female' and 'Male'.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from runtime import contract as c

FloatArray = npt.NDArray[np.float64]
ObjectArray = npt.NDArray[np.object_]
BoolArray = npt.NDArray[np.bool_]

MESSAGES = {
    "missing": "{name}: missing value.",
    "not_finite": "{name}: Must be a finite number (NaN and Infinity are not accepted).",
    "range": "{name}: Must be a number {rule}.",
    "gender": f"{c.GENDER}: Must be {c.GENDER_RULE}.",
}


def number_problems(name: str, values: FloatArray) -> npt.NDArray[np.bool_]:
    """Which values break the domain of a numeric input (NaN and infinities included)."""
    low, high = c.DOMAIN[name]
    with np.errstate(invalid="ignore"):
        inside = (values > low) if name in c.EXCLUSIVE_MIN else (values >= low)
        inside &= values <= high
    return ~inside


def normalise_genders(values: ObjectArray | Sequence[object]) -> tuple[ObjectArray, BoolArray]:
    """`contract.normalise_gender` over a column: every accepted spelling replaced by 'Female' or 'Male',
    and a mask of the values that are not a gender (those stay as they were, so messages can tell a
    missing value, None, from a wrong one).

    The rule runs once per distinct value (a file or request holds a handful), then maps the column.
    """
    cells = values.reshape(-1).tolist() if isinstance(values, np.ndarray) else list(values)
    try:
        spelled = {cell: c.normalise_gender(cell) for cell in set(cells)}
        found = [spelled[cell] for cell in cells]
    except TypeError:  # an unhashable cell (a list from a decoder): one call per cell
        found = [c.normalise_gender(cell) for cell in cells]
    bad = np.fromiter((g is None for g in found), bool, len(found))
    spelt = (cell if g is None else g for cell, g in zip(cells, found, strict=True))
    return np.fromiter(spelt, dtype=object, count=len(found)), bad


def gender_problems(values: ObjectArray) -> BoolArray:
    """Which values are not a gender by `contract.normalise_gender`."""
    return normalise_genders(values)[1]


def range_message(name: str, value: float) -> str:
    """The message for one bad number, naming the field (never the value)."""
    if np.isnan(value):
        return MESSAGES["missing"].format(name=name)
    if not np.isfinite(value):
        return MESSAGES["not_finite"].format(name=name)
    return MESSAGES["range"].format(name=name, rule=c.RANGE_RULES[name])


Masks = tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]


def row_problems(age: FloatArray, salary: FloatArray, gender: ObjectArray) -> Masks:
    """Which rows break the rules of age, of salary and of gender (three masks, vectorised)."""
    return number_problems(c.AGE, age), number_problems(c.SALARY, salary), gender_problems(gender)


def row_error(i: int, masks: Masks, age: FloatArray, salary: FloatArray, gender: ObjectArray) -> str:
    """Every problem of row `i` as one line ('age: …; gender: …'), naming fields, never values."""
    bad_age, bad_salary, bad_gender = masks
    problems = []
    if bad_age[i]:
        problems.append(range_message(c.AGE, float(age[i])))
    if bad_salary[i]:
        problems.append(range_message(c.SALARY, float(salary[i])))
    if bad_gender[i]:
        missing = gender[i] is None
        problems.append(MESSAGES["missing"].format(name=c.GENDER) if missing else MESSAGES["gender"])
    return " ".join(problems)


def first_row_error(
    age: FloatArray, salary: FloatArray, gender: ObjectArray
) -> tuple[int, str, int, Masks] | None:
    """(first bad row, its problems, how many rows are bad, the masks), or None when every row is valid.

    Only the first bad row's message is built: refusing N bad rows costs the vectorised checks only."""
    masks = row_problems(age, salary, gender)
    bad = masks[0] | masks[1] | masks[2]
    count = int(np.count_nonzero(bad))
    if not count:
        return None
    first = int(np.argmax(bad))
    return first, row_error(first, masks, age, salary, gender), count, masks


def row_errors(age: FloatArray, salary: FloatArray, gender: ObjectArray) -> list[str | None]:
    """Per row: None when the row is valid, else every problem as one line ('age: …; gender: …')."""
    masks = row_problems(age, salary, gender)
    errors: list[str | None] = [None] * len(age)
    for i in np.flatnonzero(masks[0] | masks[1] | masks[2]).tolist():
        errors[i] = row_error(i, masks, age, salary, gender)
    return errors
