"""The one gender rule (runtime.contract.normalise_gender) and its column form (runtime.validation)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from runtime import contract as c
from runtime.validation import MESSAGES, gender_problems, normalise_genders, row_errors

SPELLINGS: list[tuple[Any, str | None]] = [
    ("Female", "Female"),
    ("Male", "Male"),
    ("female", "Female"),
    ("MALE", "Male"),
    ("fEmAlE", "Female"),
    ("  mALe ", "Male"),
    (" Male", "Male"),
    ("Female ", "Female"),
    ("\tfemale\n", "Female"),
    ("\r\nMALE\r\n", "Male"),
    ("\u00a0Male\u3000", "Male"),  # no-break and ideographic spaces are whitespace too (str.strip)
    ("M", None),
    ("F", None),
    ("m", None),
    ("femme", None),
    ("Femal", None),
    ("Males", None),
    ("Fe male", None),  # inside the word is not "surrounding"
    ("fe-male", None),
    ("", None),
    ("   ", None),
    ("Male\x00", None),
    ("\u200bMale", None),  # a zero-width space is not whitespace
    ("Ｍａｌｅ", None),  # full-width letters are other letters
    ("Other", None),
    (None, None),
    (1, None),
    (True, None),
    (b"Male", None),
    (["Male"], None),
]


@pytest.mark.parametrize(("value", "expected"), SPELLINGS, ids=repr)
def test_normalise_gender(value: Any, expected: str | None) -> None:
    assert c.normalise_gender(value) == expected


def test_the_model_only_ever_sees_the_contract_spellings() -> None:
    accepted = {c.normalise_gender(value) for value, _ in SPELLINGS} - {None}
    assert accepted == set(c.GENDERS) == {"Female", "Male"}


def test_the_rule_reads_as_the_error_messages_say() -> None:
    assert c.GENDER_RULE == "'Female' or 'Male' (case and surrounding spaces are ignored)"
    assert (
        MESSAGES["gender"] == "gender: Must be 'Female' or 'Male' (case and surrounding spaces are ignored)."
    )


def test_a_column_is_normalised_value_by_value() -> None:
    values = [value for value, _ in SPELLINGS]
    column = np.empty(len(values), dtype=object)
    column[:] = values
    normalised, bad = normalise_genders(column)
    for i, (value, expected) in enumerate(SPELLINGS):
        assert bad[i] == (expected is None), value
        if expected is None:  # left as sent, so a message can tell a missing value from a wrong one
            assert normalised[i] is value
        else:
            assert normalised[i] == expected and type(normalised[i]) is str
    assert gender_problems(column).tolist() == bad.tolist()
    assert normalise_genders(values)[1].tolist() == bad.tolist()  # a plain list works too


def test_row_messages_accept_any_spelling_and_tell_missing_from_wrong() -> None:
    gender = np.array([" male", "M", None, "FEMALE"], dtype=object)
    errors = row_errors(np.full(4, 40.0), np.full(4, 1000.0), gender)
    assert errors == [None, MESSAGES["gender"], "gender: missing value.", None]
