"""Loader: every accepted CSV variant normalises to the same frame; every bad file is refused precisely."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import pytest

from tests.runtime.test_gender_rule import SPELLINGS
from training.columns import parse_genders
from training.dataset_info import data_fingerprint
from training.errors import DataError
from training.load import load_customers


class Writer(Protocol):
    """The write_csv fixture: content (and a file name) in, the written path out."""

    def __call__(self, content: str | bytes, name: str = ...) -> Path: ...


ROWS = 60


def sample_rows(rows: int = ROWS) -> pd.DataFrame:
    """A small valid dataset in the source spelling (alternating labels, both genders)."""
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "User ID": np.arange(rows) + 15_000_000,
            "Gender": np.where(np.arange(rows) % 3 == 0, "Female", "Male"),
            "Age": rng.integers(18, 61, rows),
            "EstimatedSalary": rng.integers(15, 151, rows) * 1000,
            "Purchased": np.arange(rows) % 2,
        }
    )


def to_csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, lineterminator="\n")


def variant(kind: str) -> str:
    """The sample dataset in one of the accepted spellings."""
    frame = sample_rows()
    label_words = {
        "yes_no": ("no", "yes"),
        "true_false": ("False", "TRUE"),
        "purchased_words": ("Not Purchased", "Purchased"),
    }
    if kind == "header_case_spacing":
        frame.columns = [" user id ", "GENDER", " age", "Estimated Salary ", "purchased"]
    elif kind == "userid_no_space":
        frame = frame.rename(columns={"User ID": "UserID"})
    elif kind == "no_user_id":
        frame = frame.drop(columns="User ID")
    elif kind == "columns_reordered":
        frame = frame[["Purchased", "EstimatedSalary", "User ID", "Age", "Gender"]]
    elif kind in label_words:
        frame["Purchased"] = np.where(frame["Purchased"] == 1, label_words[kind][1], label_words[kind][0])
    elif kind == "gender_any_case":
        frame["Gender"] = np.where(frame["Gender"] == "Male", "mALE", " female ")
    elif kind == "gender_tabs_and_spaces":
        frame["Gender"] = np.where(frame["Gender"] == "Male", "\tMale  ", "  FEMALE\t")
    return to_csv(frame)


VARIANTS = [
    "plain",
    "header_case_spacing",
    "userid_no_space",
    "no_user_id",
    "columns_reordered",
    "yes_no",
    "true_false",
    "purchased_words",
    "gender_any_case",
    "gender_tabs_and_spaces",
]


def test_plain_file_loads_to_contract_frame(write_csv: Writer) -> None:
    frame = load_customers(write_csv(variant("plain"), "plain.csv")).frame
    assert list(frame.columns) == ["age", "salary", "gender", "purchased"]
    assert frame.dtypes.to_dict() == {
        "age": np.dtype("float64"),
        "salary": np.dtype("float64"),
        "gender": np.dtype("object"),
        "purchased": np.dtype("int64"),
    }
    source = sample_rows()
    assert frame["age"].tolist() == source["Age"].astype(float).tolist()
    assert frame["gender"].tolist() == source["Gender"].tolist()
    assert frame["purchased"].tolist() == source["Purchased"].tolist()


@pytest.mark.parametrize("kind", VARIANTS[1:])
def test_variant_normalises_to_same_frame_and_fingerprint(kind: str, write_csv: Writer) -> None:
    expected = load_customers(write_csv(variant("plain"), "plain.csv")).frame
    frame = load_customers(write_csv(variant(kind), f"{kind}.csv")).frame
    pd.testing.assert_frame_equal(frame, expected)
    assert data_fingerprint(frame) == data_fingerprint(expected)


def test_fingerprint_changes_when_a_value_changes(write_csv: Writer) -> None:
    frame = load_customers(write_csv(variant("plain"))).frame
    changed = frame.copy()
    changed["salary"] = changed["salary"].where(changed.index != 0, changed["salary"] + 1000)
    assert data_fingerprint(changed) != data_fingerprint(frame)


def _with_cell(row: int, column: str, value: str) -> str:
    frame = sample_rows().astype(str)
    frame.loc[row, column] = value
    return to_csv(frame)


BAD_FILES: dict[str, tuple[str | bytes, int | None, str | None, str]] = {
    "missing_column": (to_csv(sample_rows().drop(columns="Age")), 1, "Age", "missing column"),
    "non_numeric_age": (_with_cell(4, "Age", "forty"), 6, "Age", "not a finite number"),
    "missing_salary": (_with_cell(9, "EstimatedSalary", ""), 11, "EstimatedSalary", "missing value"),
    "negative_age": (_with_cell(2, "Age", "-3"), 4, "Age", "negative"),
    "negative_salary": (_with_cell(7, "EstimatedSalary", "-100"), 9, "EstimatedSalary", "negative"),
    "unknown_gender": (_with_cell(0, "Gender", "Robot"), 2, "Gender", "unknown gender"),
    "gender_initial": (
        _with_cell(1, "Gender", "M"),
        3,
        "Gender",
        "unknown gender (expected 'Female' or 'Male' (case and surrounding spaces are ignored))",
    ),
    "gender_inner_space": (_with_cell(5, "Gender", "Fe male"), 7, "Gender", "unknown gender"),
    "gender_other_language": (_with_cell(6, "Gender", "femme"), 8, "Gender", "unknown gender"),
    "unknown_label": (_with_cell(3, "Purchased", "maybe"), 5, "Purchased", "unknown label"),
    "wrong_field_count": (
        to_csv(sample_rows()).replace("\n15000005,", "\n15000005,1,", 1),
        7,
        None,
        "fields",
    ),
    "single_class": (to_csv(sample_rows().assign(Purchased=1)), None, "Purchased", "single class"),
    "too_few_rows": (to_csv(sample_rows(49)), None, None, "at least 50"),
    "empty": ("", 1, None, "empty"),
    "blank_lines_only": ("\n\n  \n", 1, None, "empty"),
    "html": ("<!doctype html><html><body>Not found</body></html>", 1, None, "HTML"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), 1, None, "binary"),
    "latin1_bytes": (b"Age,Gender\n" + b"\xff\xfe\xfa", 2, None, "UTF-8"),
    "plain_text": ("this is just a sentence\nnot a table\n", 1, "Age", "missing column"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_is_refused_naming_file_line_and_column(case: str, write_csv: Writer) -> None:
    content, line, column, message = BAD_FILES[case]
    path = write_csv(content, f"{case}.csv")
    with pytest.raises(DataError) as error:
        load_customers(path)
    assert error.value.file == str(path)
    assert error.value.line == line
    assert error.value.column == column
    assert message.lower() in str(error.value).lower()
    assert str(path) in str(error.value)


@pytest.mark.parametrize(
    ("value", "expected"), [(v, e) for v, e in SPELLINGS if isinstance(v, str)], ids=repr
)
def test_training_reads_a_gender_cell_by_the_contract_rule(value: str, expected: str | None) -> None:
    """The same table as the API's rule (tests/runtime/test_gender_rule.py): one rule everywhere."""
    (parsed,) = parse_genders(pd.Series([value], dtype=str)).tolist()
    assert parsed == expected if expected is not None else pd.isna(parsed)


def test_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read"):
        load_customers(tmp_path / "absent.csv")


def test_drop_invalid_skips_bad_rows_and_reports_which(write_csv: Writer) -> None:
    frame = sample_rows(70).astype(str)
    frame.loc[2, "Age"] = "x"
    frame.loc[10, "Gender"] = "?"
    frame.loc[20, "EstimatedSalary"] = "-5"
    loaded = load_customers(write_csv(to_csv(frame)), drop_invalid=True)
    assert len(loaded.frame) == 67
    assert [(p.line, p.column) for p in loaded.dropped] == [
        (4, "Age"),
        (12, "Gender"),
        (22, "EstimatedSalary"),
    ]
    assert 4 not in loaded.lines
    assert len(loaded.lines) == 67


def test_drop_invalid_still_refuses_when_too_few_rows_remain(write_csv: Writer) -> None:
    frame = sample_rows(55).astype(str)
    frame.loc[:10, "Age"] = "bad"
    with pytest.raises(DataError, match="at least 50"):
        load_customers(write_csv(to_csv(frame)), drop_invalid=True)


def test_line_numbers_are_physical_lines_despite_blank_lines(write_csv: Writer) -> None:
    text = to_csv(sample_rows()).replace("\n", "\n\n", 3)
    lines = text.splitlines()
    bad_line = 10
    lines[bad_line - 1] = lines[bad_line - 1].replace("Male", "Mole").replace("Female", "Mole")
    with pytest.raises(DataError) as error:
        load_customers(write_csv("\n".join(lines) + "\n"))
    assert (error.value.line, error.value.column) == (bad_line, "Gender")


def test_cli_reports_bad_data_in_one_line_without_traceback(write_csv: Writer) -> None:
    path = write_csv(_with_cell(4, "Age", "forty"))
    result = subprocess.run(
        [sys.executable, "-m", "training.train", "--data", str(path), "--fast"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1
    assert f"{path}, line 6, column 'Age'" in errors[0]
