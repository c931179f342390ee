"""Load any customer CSV into the contract's frame (age, salary, gender, purchased) or refuse it."""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from runtime import contract
from training.columns import REQUIRED, SOURCE_NAMES, map_header, parse_genders, parse_labels, parse_numbers
from training.errors import DataError

logger = logging.getLogger(__name__)

MIN_ROWS = 50
AGE_RANGE = contract.DOMAIN[contract.AGE]  # 0 < age <= 120, the contract's input domain
SALARY_RANGE = contract.DOMAIN[contract.SALARY]  # 0 <= salary <= 1,000,000
FEATURES = ["age", "salary", "gender"]
LABEL = "purchased"


@dataclass(frozen=True)
class Problem:
    """One invalid cell or row: physical CSV line, column and what is wrong."""

    line: int
    column: str | None
    message: str


@dataclass
class LoadedData:
    """The normalised frame plus the physical line of each row and the rows skipped."""

    frame: pd.DataFrame
    lines: np.ndarray
    dropped: list[Problem] = field(default_factory=list)


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(path, None, None, f"cannot read file: {exc.strerror or exc}") from None
    if not raw.strip():
        raise DataError(path, 1, None, "file is empty")
    if b"\x00" in raw[:65536]:
        raise DataError(path, 1, None, "binary content, not a CSV text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(path, line, None, "not UTF-8 text (binary content?), not a CSV file") from None
    if text.lstrip().startswith("<"):
        raise DataError(path, 1, None, "looks like HTML/XML, not a CSV file")
    return text


def _read_rows(path: Path, text: str) -> tuple[list[str], list[list[str]], list[int], list[Problem]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = record
                continue
            if len(record) != len(header):
                message = f"expected {len(header)} fields, found {len(record)}"
                problems.append(Problem(reader.line_num, None, message))
                continue
            rows.append(record)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise DataError(path, reader.line_num, None, f"malformed CSV: {exc}") from None
    if header is None:
        raise DataError(path, 1, None, "file is empty")
    return header, rows, lines, problems


def _validate(raw: pd.DataFrame, lines: np.ndarray) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse and check each column; return the parsed frame and every problem found (row order)."""
    parsed = pd.DataFrame(index=raw.index)
    bad: dict[int, Problem] = {}

    def flag(mask: pd.Series, column: str, message: str) -> None:
        for position in np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False)):
            bad.setdefault(int(position), Problem(int(lines[position]), SOURCE_NAMES[column], message))

    for column, (low, high) in (("age", AGE_RANGE), ("salary", SALARY_RANGE)):
        values = parse_numbers(raw[column])
        empty = raw[column].str.strip() == ""
        flag(empty, column, "missing value")
        flag(values.isna() & ~empty, column, "not a finite number")
        flag(values < 0, column, "negative value")
        too_small = values <= low if column == "age" else values < low
        flag(too_small & (values >= 0), column, f"must be > {low:g}")
        flag(values > high, column, f"must be <= {high:,.0f}")
        parsed[column] = values
    genders = parse_genders(raw["gender"])
    flag(genders.isna(), "gender", f"unknown gender (expected {contract.GENDER_RULE})")
    parsed["gender"] = genders
    labels = parse_labels(raw["purchased"])
    flag(labels.isna(), "purchased", "unknown label (expected 0/1, yes/no, true/false, Purchased)")
    parsed[LABEL] = labels
    return parsed, [bad[position] for position in sorted(bad)]


def load_customers(path: str | Path, drop_invalid: bool = False) -> LoadedData:
    """Read a customer CSV, normalise it to the contract's frame and refuse (or skip) bad rows."""
    path = Path(path)
    header, rows, lines, problems = _read_rows(path, _read_text(path))
    positions = map_header(header)
    missing = [SOURCE_NAMES[column] for column in REQUIRED if column not in positions]
    if missing:
        raise DataError(path, 1, missing[0], f"missing column(s) {', '.join(missing)} in header")
    if problems and not drop_invalid:
        raise DataError(path, problems[0].line, problems[0].column, problems[0].message)
    raw = pd.DataFrame({column: [row[positions[column]] for row in rows] for column in REQUIRED}, dtype=str)
    line_numbers = np.asarray(lines, dtype=np.int64)
    parsed, invalid = _validate(raw, line_numbers)
    if invalid and not drop_invalid:
        raise DataError(path, invalid[0].line, invalid[0].column, invalid[0].message)
    keep = np.ones(len(parsed), dtype=bool)
    keep[[np.searchsorted(line_numbers, problem.line) for problem in invalid]] = False
    frame = parsed.loc[keep].reset_index(drop=True)
    frame = frame.astype({"age": "float64", "salary": "float64", "gender": "object", LABEL: "int64"})
    dropped = sorted(problems + invalid, key=lambda problem: problem.line)
    if len(frame) < MIN_ROWS:
        raise DataError(path, None, None, f"only {len(frame)} valid rows; at least {MIN_ROWS} are needed")
    if frame[LABEL].nunique() < 2:
        only = int(frame[LABEL].iloc[0])
        raise DataError(path, None, SOURCE_NAMES[LABEL], f"a single class (every label is {only})")
    if dropped:
        logger.warning("%s: skipped %d invalid rows", path, len(dropped))
        for problem in dropped[:20]:
            logger.warning("  line %d, column %s: %s", problem.line, problem.column, problem.message)
        if len(dropped) > 20:
            logger.warning("  ... and %d more", len(dropped) - 20)
    return LoadedData(frame=frame[[*FEATURES, LABEL]], lines=line_numbers[keep], dropped=dropped)
