"""The batch CLI counts invalid rows per reason (the input that broke its rule): in the one-line refusal
on --max-invalid, in the summary of a run with invalid rows and in the manifest. A CRM export whose
genders are lower case is valid (issue 22's "3 of 3 rows are invalid … nothing written")."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from scoring.batch import main
from scoring.manifest import Counts
from tests.scoring.conftest import MODEL, run_cli, write_csv_text

CRM_HEADER = ["User ID", "Gender", "Age", "EstimatedSalary"]
LOWER_CASE_EXPORT = [
    ("1", "male", "40", "50000"),
    ("2", "female", "30", "40000"),
    ("3", "MALE", "44", "1000"),
]


def error_lines(stderr: str) -> list[str]:
    """The ERROR lines a user sees."""
    return [line for line in stderr.splitlines() if " ERROR " in line]


def test_a_lower_case_crm_export_scores_fully(tmp_path: Path) -> None:
    path = write_csv_text(tmp_path / "crm.csv", LOWER_CASE_EXPORT, header=CRM_HEADER)
    out = tmp_path / "scored.parquet"
    done = run_cli("--input", str(path), "--output", str(out), "--model", str(MODEL), "--max-invalid", "0")
    assert done.returncode == 0, done.stderr
    assert "scored 3 rows" in done.stderr and "(0 invalid)" in done.stderr
    rows = pq.read_table(out).to_pylist()
    assert [r["error"] for r in rows] == [None] * 3 and all(r["probability"] is not None for r in rows)


def test_a_refused_run_prints_the_count_per_reason_in_one_line(tmp_path: Path) -> None:
    rows = [("1", "M", "40", "50000"), ("2", "femme", "30", "40000"), ("3", "male", "-4", "1000")]
    path = write_csv_text(tmp_path / "crm.csv", rows, header=CRM_HEADER)
    out = tmp_path / "scored.parquet"
    done = run_cli("--input", str(path), "--output", str(out), "--model", str(MODEL))
    assert done.returncode == 5
    (line,) = error_lines(done.stderr)
    assert "3 of 3 rows are invalid (gender: 2, age: 1); " in line and "nothing written" in line
    assert "Traceback" not in done.stderr and "femme" not in done.stderr  # never quotes a cell
    assert list(tmp_path.glob("scored*")) == []


def test_the_summary_and_the_manifest_count_every_reason(tmp_path: Path, mixed_csv: Path) -> None:
    """mixed_csv: 20 good rows and BAD_ROWS (4 bad ages, 1 bad salary, 2 bad genders; one row has two)."""
    manifests = []
    for rows_per_batch in ("1000", "2"):  # per-reason counts add up over batches
        out = tmp_path / f"out-{rows_per_batch}.parquet"
        done = run_cli(
            "--input",
            str(mixed_csv),
            "--output",
            str(out),
            "--model",
            str(MODEL),
            "--max-invalid",
            "0.5",
            "--batch-rows",
            rows_per_batch,
        )
        assert done.returncode == 0, done.stderr
        (summary,) = [line for line in done.stderr.splitlines() if "scored 26 rows" in line]
        assert summary.endswith("; 6 of 26 rows are invalid (age: 4, gender: 2, salary: 1)")
        manifests.append(json.loads(out.with_name(out.name + ".manifest.json").read_text()))
    for manifest in manifests:
        assert manifest["rows_invalid"] == 6
        assert manifest["rows_invalid_by_field"] == {"age": 4, "salary": 1, "gender": 2}


def test_in_process_the_refusal_is_the_same_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write_csv_text(tmp_path / "in.csv", [("1", "", "40", "1")], header=CRM_HEADER)
    assert main(["--input", str(path), "--output", str(tmp_path / "o.parquet"), "--model", str(MODEL)]) == 5
    messages = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert messages and messages[0].startswith("1 of 1 rows are invalid (gender: 1); ")


def test_reasons_are_ordered_by_count_then_by_input() -> None:
    counts = Counts()
    assert counts.reasons() == "" and counts.invalid_summary() == "0 of 0 rows are invalid"
    counts.add(5000, 4000, 1000, 0, 0, {"age": 1, "salary": 1, "gender": 1})
    assert counts.reasons() == "age: 1, salary: 1, gender: 1"
    counts.add(5000, 4000, 1000, 0, 0, {"gender": 1500, "salary": 1})
    assert counts.invalid_summary() == "2,000 of 10,000 rows are invalid (gender: 1,501, salary: 2, age: 1)"
