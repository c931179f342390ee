"""Offline drift check: `python -m monitoring.drift --current FILE` compares a customer file (CSV or Parquet)
with the model's reference profile and writes the same JSON and HTML as /monitoring/drift and /report.

The file is one window. Columns: age, salary, gender (or the training file's Age, EstimatedSalary,
Gender; gender in any case, surrounding spaces ignored). Invalid rows are counted as rejected per field
and never scored. Nothing from the file is written except counts.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import logging
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from monitoring.documents import DriftDocument
from monitoring.offline import OfflineWindow
from monitoring.profile import ProfileError
from monitoring.report import clean, render
from runtime import contract as c
from runtime.columns import HEADER_ALIASES, map_header
from runtime.errors import ModelError
from runtime.predictor import Predictor
from runtime.validation import normalise_genders, number_problems

logger = logging.getLogger(__name__)


class InputFileError(ValueError):
    """The customer file cannot be read or lacks a column."""


def read_columns(path: Path) -> dict[str, list[Any]]:
    """age, salary and gender columns of a CSV or Parquet file."""
    if not path.is_file():
        raise InputFileError(f"{path} does not exist")
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq  # offline only

        try:
            table = pq.read_table(path)
        except Exception as exc:  # pyarrow raises several types for unreadable files
            raise InputFileError(f"{path} is not a readable Parquet file ({type(exc).__name__})") from None
        raw = {name: table.column(name).to_pylist() for name in table.column_names}
    else:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            raw = {name: [r.get(name) for r in rows] for name in reader.fieldnames or []}
    names = list(raw)
    positions = map_header(names)  # the same header rules as training and batch scoring
    columns: dict[str, list[Any]] = {}
    for name in c.INPUT_NAMES:
        if name not in positions:
            spellings = ", ".join(HEADER_ALIASES[name])
            raise InputFileError(f"{path} has no {name!r} column (headers like: {spellings})")
        columns[name] = raw[names[positions[name]]]
    return columns


def _floats(values: list[Any]) -> np.ndarray:
    """Numbers, NaN where a cell is not one."""
    out = np.full(len(values), math.nan)
    for i, v in enumerate(values):
        with contextlib.suppress(TypeError, ValueError):
            out[i] = float(v)
    return out


def check_file(model_path: Path, current: Path) -> DriftDocument:
    """The drift document for one file against the model's reference profile."""
    predictor = Predictor.from_path(model_path)
    window = OfflineWindow(predictor)
    cols = read_columns(current)
    age, salary = _floats(cols[c.AGE]), _floats(cols[c.SALARY])
    # The contract's gender rule, as everywhere: "  mALe " counts as Male, "M" or an empty cell is rejected.
    gender, bad_gender = normalise_genders(cols[c.GENDER])
    bad = {
        c.AGE: number_problems(c.AGE, age),
        c.SALARY: number_problems(c.SALARY, salary),
        c.GENDER: bad_gender,
    }
    window.add_rejected(bad)
    valid = ~(bad[c.AGE] | bad[c.SALARY] | bad[c.GENDER])
    if valid.any():
        columns = (age[valid], salary[valid], gender[valid])
        window.add_scored(*columns, predictor.probabilities(*columns))
    return window.document(current.name)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m monitoring.drift`."""
    parser = argparse.ArgumentParser(prog="python -m monitoring.drift", description=__doc__)
    parser.add_argument("--current", type=Path, required=True, help="customer file (CSV or Parquet)")
    parser.add_argument("--model", type=Path, default=Path("models/purchase_model.onnx"))
    parser.add_argument("--json", type=Path, help="JSON output (default: FILE.drift.json)")
    parser.add_argument("--html", type=Path, help="HTML output (default: FILE.drift.html)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stderr)
    try:
        doc = clean(check_file(args.model, args.current))
    except (InputFileError, ProfileError, ModelError) as exc:
        logger.error("error: %s", exc)
        return 2
    json_path = args.json or args.current.with_suffix(".drift.json")
    html_path = args.html or args.current.with_suffix(".drift.html")
    try:
        json_path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        html_path.write_text(render(doc, f"Drift report — {args.current.name}"), encoding="utf-8")
    except OSError as exc:
        logger.error("error: cannot write output: %s", exc.strerror or type(exc).__name__)
        return 1
    level = doc["windows"][0]["level"]
    logger.info("wrote %s and %s; level %s", json_path, html_path, level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
