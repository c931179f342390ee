"""`python -m scoring.batch`: columns, value rules, formats, batch invariance, --max-invalid, --threshold."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from scoring.batch import main
from scoring.core import Scorer
from tests.scoring.conftest import BAD_ROWS, MODEL, write_csv_text

COLUMNS = ["probability", "prediction", "warnings", "error", "model_version"]


def score(input_path: Path, output: Path, *flags: str) -> pa.Table:
    """Run the CLI in process, require success, return the output table."""
    assert main(["--input", str(input_path), "--output", str(output), "--model", str(MODEL), *flags]) == 0
    return pq.read_table(output) if output.suffix == ".parquet" else pcsv.read_csv(output)


def bits(column: pa.ChunkedArray) -> np.ndarray:
    """A float64 column's bit patterns (NaN for nulls), for exact comparison."""
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64).view(np.int64)


def test_output_has_the_id_and_the_answers(
    tmp_path: Path, good_parquet: Path, good_table: pa.Table, scorer: Scorer
) -> None:
    table = score(good_parquet, tmp_path / "out.parquet")
    assert table.column_names == ["User ID", *COLUMNS]
    assert table.schema.field("probability").type == pa.float64()
    assert table.column("User ID").to_pylist() == good_table.column("User ID").to_pylist()
    assert set(table.column("prediction").to_pylist()) == {"Yes", "No"}
    assert table.column("error").null_count == table.num_rows
    assert set(table.column("model_version").to_pylist()) == {scorer.model_version}


def test_probabilities_are_the_predictors_bits_unrounded(
    tmp_path: Path, good_parquet: Path, good_table: pa.Table, scorer: Scorer
) -> None:
    table = score(good_parquet, tmp_path / "out.parquet")
    age = good_table.column("Age").to_numpy()
    salary = good_table.column("EstimatedSalary").to_numpy()
    gender = np.array(good_table.column("Gender").to_pylist(), dtype=object)
    expected, buys, warnings = scorer.predictor.predict_columns(age, salary, gender)
    assert np.array_equal(bits(table.column("probability")), expected.view(np.int64))
    assert table.column("prediction").to_pylist() == ["Yes" if b else "No" for b in buys]
    assert table.column("warnings").to_pylist() == [("; ".join(w) if w else None) for w in warnings]
    assert any(warnings) and not all(warnings)


def test_any_batch_size_gives_the_same_bits(tmp_path: Path, good_parquet: Path) -> None:
    whole = score(good_parquet, tmp_path / "whole.parquet")
    small = score(good_parquet, tmp_path / "small.parquet", "--batch-rows", "7")
    assert np.array_equal(bits(whole.column("probability")), bits(small.column("probability")))


def test_csv_and_parquet_inputs_and_outputs_agree(tmp_path: Path, good_parquet: Path, good_csv: Path) -> None:
    from_parquet = score(good_parquet, tmp_path / "a.parquet")
    from_csv = score(good_csv, tmp_path / "b.parquet")
    as_csv = score(good_csv, tmp_path / "c.csv")
    assert np.array_equal(bits(from_parquet.column("probability")), bits(from_csv.column("probability")))
    assert np.array_equal(bits(from_parquet.column("probability")), bits(as_csv.column("probability")))
    assert from_csv.column("prediction").to_pylist() == as_csv.column("prediction").to_pylist()


def test_every_invalid_row_stays_with_its_reason(tmp_path: Path, mixed_csv: Path) -> None:
    table = score(mixed_csv, tmp_path / "out.parquet", "--max-invalid", "0.5")
    rows = {r["user id"]: r for r in table.to_pylist()}
    assert len(rows) == 20 + len(BAD_ROWS)
    for row_id, *_, reason in BAD_ROWS:
        row = rows[row_id]
        assert reason in row["error"]
        assert row["probability"] is None and row["prediction"] is None
    assert sum(r["error"] is None for r in rows.values()) == 20
    assert table.column("user id").to_pylist()[:3] == ["0", "1", "2"]  # input order, header as written


def test_error_messages_never_quote_the_cells(tmp_path: Path) -> None:
    secret = "Jane-Doe-555"
    path = write_csv_text(
        tmp_path / "in.csv", [("1", secret, "1000", secret, "0"), ("2", "30", "40000", "Male", "0")]
    )
    table = score(path, tmp_path / "out.parquet", "--max-invalid", "1")
    assert secret not in json.dumps(table.to_pylist())


def test_more_invalid_rows_than_allowed_fails_and_writes_nothing(tmp_path: Path, mixed_csv: Path) -> None:
    out = tmp_path / "out.parquet"
    code = main(["--input", str(mixed_csv), "--output", str(out), "--model", str(MODEL)])
    assert code == 5
    assert list(tmp_path.glob("out*")) == [] and list(tmp_path.glob(".out*")) == []


def test_threshold_flag_changes_decisions_and_is_recorded(tmp_path: Path, good_parquet: Path) -> None:
    default = score(good_parquet, tmp_path / "a.parquet")
    low = score(good_parquet, tmp_path / "b.parquet", "--threshold", "0.2")
    p = np.asarray(low.column("probability").to_numpy())
    assert low.column("prediction").to_pylist() == ["Yes" if v >= 0.2 else "No" for v in p]
    assert low.column("prediction").to_pylist().count("Yes") > default.column("prediction").to_pylist().count(
        "Yes"
    )
    manifest = json.loads((tmp_path / "b.parquet.manifest.json").read_text())
    assert manifest["threshold"] == 0.2 and manifest["threshold_source"] == "--threshold"


def test_a_folder_of_files_is_scored_in_name_order(tmp_path: Path, good_table: pa.Table) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    pq.write_table(good_table.slice(0, 500), folder / "part-1.parquet")
    pcsv.write_csv(good_table.slice(500), folder / "part-2.csv")
    table = score(folder, tmp_path / "out.parquet")
    assert table.column("User ID").to_pylist() == good_table.column("User ID").to_pylist()


def test_id_column_flag_and_row_numbers_without_an_id(tmp_path: Path) -> None:
    rows = [("a1", "30", "40000", "Male"), ("a2", "50", "90000", "Female")]
    path = write_csv_text(tmp_path / "in.csv", rows, ["Customer Key", "Age", "Salary", "Sex"])
    assert score(path, tmp_path / "a.parquet").column("row_number").to_pylist() == [0, 1]
    keyed = score(path, tmp_path / "b.parquet", "--id-column", "customer_key")
    assert keyed.column("Customer Key").to_pylist() == ["a1", "a2"]


def test_drift_flag_writes_the_offline_drift_documents(tmp_path: Path, mixed_csv: Path) -> None:
    from monitoring.drift import check_file

    output = tmp_path / "out.parquet"
    table = score(mixed_csv, output, "--drift", "--max-invalid", "1")
    doc = json.loads((tmp_path / "out.parquet.drift.json").read_text())
    html = (tmp_path / "out.parquet.drift.html").read_text()
    manifest = json.loads((tmp_path / "out.parquet.manifest.json").read_text())
    assert manifest["drift"]["json"].endswith("out.parquet.drift.json") and "<svg" in html
    (window,) = doc["windows"]
    assert window["rows"] == table.column("error").null_count
    rejected = window["data_quality"]["rejected"]
    errors = [e for e in table.column("error").to_pylist() if e]
    for field in ("age", "salary", "gender"):
        assert rejected[field] == sum(f"{field}: " in e for e in errors)
    offline = check_file(MODEL, mixed_csv)["windows"][0]  # the same rows through monitoring.drift
    assert window["rows"] == offline["rows"]
    assert window["features"]["age"]["p_value"] == offline["features"]["age"]["p_value"]
