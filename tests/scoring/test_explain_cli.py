"""`score --explain`: the contribution columns in CSV and Parquet, bit for bit runtime/explain.py's, null on
invalid rows; a model without a background stops the run with one line (exit 3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from runtime import contract as c
from runtime.explain import Explainer
from scoring.core import CONTRIBUTION_FIELDS, Scorer
from tests.onnx_factory import write_model
from tests.scoring.conftest import BAD_ROWS, REPO, random_rows, run_cli

COLUMNS = [f.name for f in CONTRIBUTION_FIELDS]


def read(path: Path) -> pa.Table:
    """A scored output file, CSV or Parquet (CSV numbers parsed back to float64)."""
    if path.suffix == ".csv":
        types = {"User ID": pa.string(), "probability": pa.float64(), **dict.fromkeys(COLUMNS, pa.float64())}
        return pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types=types))
    return pq.read_table(path)


@pytest.fixture()
def customers(tmp_path: Path) -> tuple[Path, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """1,001 valid rows (batches of 300 and an odd tail) with every kind of invalid row among them."""
    age, salary, gender = random_rows(1001, seed=11)
    lines = ["User ID,Age,EstimatedSalary,Gender"]
    rows = zip(age.tolist(), salary.tolist(), gender.tolist(), strict=True)
    lines += [f"{i},{a!r},{s!r},{g}" for i, (a, s, g) in enumerate(rows)]
    lines += [",".join(row[:4]) for row in BAD_ROWS]
    path = tmp_path / "customers.csv"
    path.write_text("\n".join(lines) + "\n")
    return path, (age, salary, gender)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_explain_columns_equal_the_runtime_bits(
    tmp_path: Path,
    customers: tuple[Path, tuple[np.ndarray, np.ndarray, np.ndarray]],
    scorer: Scorer,
    suffix: str,
) -> None:
    path, (age, salary, gender) = customers
    out = tmp_path / f"explained{suffix}"
    result = run_cli(
        "--input", str(path), "--output", str(out), "--explain", "--batch-rows", "300", "--max-invalid", "0.5"
    )
    assert result.returncode == 0, result.stderr
    table = read(out)
    assert table.column_names[-3:] == COLUMNS
    expected = Explainer.of(scorer.predictor).explain(age, salary, gender)
    valid = len(age)
    for j, name in enumerate(COLUMNS):
        got = table.column(name).to_numpy(zero_copy_only=False)
        assert np.array_equal(got[:valid].view(np.int64), expected.contributions[:, j].view(np.int64)), name
        assert table.column(name).null_count == len(BAD_ROWS)
    probability = table.column("probability").to_numpy(zero_copy_only=False)[:valid]
    assert np.array_equal(probability.view(np.int64), expected.probabilities.view(np.int64))
    manifest = json.loads(out.with_name(out.name + ".manifest.json").read_text())
    assert manifest["explain"] is True


def test_without_explain_there_are_no_contribution_columns(tmp_path: Path, good_csv: Path) -> None:
    out = tmp_path / "scored.parquet"
    assert run_cli("--input", str(good_csv), "--output", str(out)).returncode == 0
    assert not set(COLUMNS) & set(pq.read_schema(out).names)


def test_a_model_without_background_stops_an_explain_run(tmp_path: Path, good_csv: Path) -> None:
    model = write_model(tmp_path / "old.onnx")
    out = tmp_path / "scored.csv"
    result = run_cli("--input", str(good_csv), "--output", str(out), "--model", str(model), "--explain")
    assert result.returncode == 3
    assert "carries no explanation background" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
    assert run_cli("--input", str(good_csv), "--output", str(out), "--model", str(model)).returncode == 0


def test_purchase_predictor_score_explain(tmp_path: Path, good_csv: Path) -> None:
    out = tmp_path / "explained.csv"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "purchase_predictor",
            "score",
            "--input",
            str(good_csv),
            "--output",
            str(out),
            "--explain",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    table = read(out)
    total = np.sum([table.column(name).to_numpy() for name in COLUMNS], axis=0)
    base = Explainer.of(Scorer.from_path(REPO / "models" / "purchase_model.onnx").predictor).base
    assert np.abs(total - (table.column("probability").to_numpy() - base)).max() <= 1e-12
    assert c.INPUT_NAMES == ("age", "salary", "gender")
