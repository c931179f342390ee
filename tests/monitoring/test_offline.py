"""`python -m monitoring.drift --current FILE`: CSV and Parquet in, the same JSON and HTML out."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from monitoring.drift import main
from tests.monitoring.conftest import COMMITTED_MODEL, Customers, customers


def write_csv(path: Path, data: Customers, extra: list[list[str]] | None = None) -> None:
    """The training file's column names, plus optional raw rows."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["User ID", "Gender", "Age", "EstimatedSalary", "Purchased"])
        for i in range(len(data.age)):
            writer.writerow([i, data.gender[i], int(data.age[i]), int(data.salary[i]), data.purchased[i]])
        writer.writerows(extra or [])


def run(path: Path) -> dict:
    """Run the command; return its JSON."""
    assert main(["--current", str(path), "--model", str(COMMITTED_MODEL)]) == 0
    assert "<svg" in path.with_suffix(".drift.html").read_text()
    doc: dict = json.loads(path.with_suffix(".drift.json").read_text())
    return doc


def test_csv_without_drift_counts_rows_and_rejects_bad_ones(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    write_csv(path, customers(np.random.default_rng(4), 500), [["x", "Male", "-3", "1000", "0"]])
    (window,) = run(path)["windows"]
    assert window["rows"] == 500 and window["data_quality"]["rejected"]["age"] == 1
    assert set(window["features"]) == {"age", "salary", "gender"}


def test_parquet_with_older_customers_warns(tmp_path: Path) -> None:
    data = customers(np.random.default_rng(5), 2000, age_shift=8)
    path = tmp_path / "older.parquet"
    pq.write_table(pa.table({"age": data.age, "salary": data.salary, "gender": list(data.gender)}), path)
    (window,) = run(path)["windows"]
    assert window["features"]["age"]["alarm"] and window["level"] == "warning"


def test_missing_column_exits_2_with_its_name(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("age,salary\n30,1000\n")
    assert main(["--current", str(path), "--model", str(COMMITTED_MODEL)]) == 2
    assert "'gender'" in caplog.text
