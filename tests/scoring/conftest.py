"""Fixtures for batch scoring: the committed model, customer files with good and bad rows, a CLI runner."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from scoring.core import Scorer

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "models" / "purchase_model.onnx"
# Header spellings as a CRM exports them; training reads the same spellings.
HEADER = ["user id", " AGE ", "Estimated Salary", "gender", "Purchased"]
# (id, age, salary, gender, expected error fragment or None) — one of each kind of bad row.
BAD_ROWS = [
    ("900001", "", "50000", "Male", "age: missing value."),
    ("900002", "-4", "50000", "Male", "age: Must be a number greater than 0 and at most 120."),
    ("900003", "forty", "50000", "Male", "age: Must be a number, not text."),
    (
        "900004",
        "40",
        "50000",
        "M",
        "gender: Must be 'Female' or 'Male' (case and surrounding spaces are ignored).",
    ),
    ("900005", "NaN", "50000", "Female", "age: Must be a finite number (NaN and Infinity are not accepted)."),
    ("900006", "40", "2000000", "", "salary: Must be a number from 0 to 1000000. gender: missing value."),
]


def random_rows(n: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n valid rows across the whole domain (some outside the training range, so some warnings)."""
    rng = np.random.default_rng(seed)
    age = np.round(rng.uniform(0.5, 120, n), 2)
    salary = np.round(rng.uniform(0, 1_000_000, n), 2)
    salary[: n // 2] = np.round(rng.uniform(15_000, 150_000, n // 2))
    gender = rng.choice(np.array(["Female", "Male"], dtype=object), n)
    return age, salary, gender


def customers_table(n: int, seed: int = 3) -> pa.Table:
    """A typed table with the contract's inputs under CRM header spellings (ids are text)."""
    age, salary, gender = random_rows(n, seed)
    ids = [str(15_000_000 + i) for i in range(n)]
    return pa.table({"User ID": ids, "Age": age, "EstimatedSalary": salary, "Gender": gender.tolist()})


def write_csv_text(path: Path, rows: Sequence[Sequence[str]], header: list[str] = HEADER) -> Path:
    """Write rows as CSV text exactly as given (cells unquoted)."""
    lines = [",".join(header)] + [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def require_spark() -> None:
    """Skip only outside CI, and only when Java or pyspark is missing, naming the package."""
    missing = []
    if shutil.which("java") is None:
        missing.append("Java (Debian package default-jre-headless; `make setup-spark`)")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing.append("pyspark (requirements/spark.txt; `make setup-spark`)")
    if missing and os.environ.get("CI"):
        pytest.fail(f"CI must run the Spark tests, but these are missing: {', '.join(missing)}")
    if missing:
        pytest.skip(f"missing {', '.join(missing)}")


@pytest.fixture(scope="session")
def scorer() -> Scorer:
    """The committed model, self-tested."""
    return Scorer.from_path(MODEL)


@pytest.fixture(scope="session")
def good_table() -> pa.Table:
    """1,001 valid customers (an odd count, so the last batch has a tail)."""
    return customers_table(1001)


@pytest.fixture()
def good_parquet(tmp_path: Path, good_table: pa.Table) -> Path:
    """The valid customers as Parquet (small row groups, so several batches)."""
    path = tmp_path / "customers.parquet"
    pq.write_table(good_table, path, row_group_size=300)
    return path


@pytest.fixture()
def good_csv(tmp_path: Path, good_table: pa.Table) -> Path:
    """The valid customers as CSV (numbers written in shortest round-trip form)."""
    path = tmp_path / "customers.csv"
    pcsv.write_csv(good_table, path)
    return path


@pytest.fixture()
def mixed_csv(tmp_path: Path) -> Path:
    """Valid rows plus one row of every invalid kind, under messy header spellings."""
    good = [
        (f"{i}", str(20 + i), str(30_000 + 1000 * i), "Female" if i % 2 else "Male", "0") for i in range(20)
    ]
    bad = [(*row[:4], "1") for row in BAD_ROWS]
    return write_csv_text(tmp_path / "mixed.csv", good[:10] + bad + good[10:])


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m scoring.batch ARGS` in a subprocess (exit code and stderr as a user sees them)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "scoring.batch", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env=env,
        check=False,
    )
