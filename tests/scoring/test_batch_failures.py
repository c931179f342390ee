"""Broken inputs, bad flags, interrupted runs: one clear line, non-zero exit, nothing that looks finished."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scoring import batch
from scoring.core import Scorer
from scoring.outputs import AtomicWriter
from tests.scoring.conftest import MODEL, REPO, run_cli, write_csv_text
from training.generate import write_csv


def assert_one_line_failure(result: subprocess.CompletedProcess[str], code: int, fragment: str) -> None:
    """Exit code, the message, and no traceback."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert fragment in result.stderr


def only_inputs_left(folder: Path, *inputs: Path) -> None:
    """Nothing but the inputs in the folder: no output, no manifest, no partial file."""
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in inputs)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "is empty"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "is not a CSV file"),
        (b"Age;Salary;Gender\n30;4000;Male\n", "has no column for"),
        (b"User ID,Age,EstimatedSalary\n1,30,40000\n", "has no column for gender"),
        (b"User ID,Age,EstimatedSalary,Gender\n1,30,40000,Male\n2,31\n", "different number of fields"),
        (b"Age,Salary,Gender\n\xff\xfe\xfa,1,Male\n", "not a UTF-8 CSV"),
    ],
    ids=["empty", "binary", "wrong-separator", "missing-column", "ragged-row", "not-utf8"],
)
def test_broken_csv_is_refused_in_one_line(tmp_path: Path, content: bytes, fragment: str) -> None:
    bad = tmp_path / "in.csv"
    bad.write_bytes(content)
    result = run_cli("--input", str(bad), "--output", str(tmp_path / "out.parquet"))
    assert_one_line_failure(result, 4, fragment)
    only_inputs_left(tmp_path, bad)


def test_a_file_named_parquet_that_is_not_one_is_refused(tmp_path: Path) -> None:
    bad = write_csv_text(tmp_path / "in.parquet", [("1", "30", "40000", "Male", "0")])
    assert_one_line_failure(
        run_cli("--input", str(bad), "--output", str(tmp_path / "o.parquet")), 4, "Parquet"
    )


def test_a_missing_input_is_refused(tmp_path: Path) -> None:
    result = run_cli("--input", str(tmp_path / "nope.csv"), "--output", str(tmp_path / "o.parquet"))
    assert_one_line_failure(result, 4, "does not exist")


@pytest.mark.parametrize(
    ("model_bytes", "fragment"),
    [(None, "model file not found"), (b"not an onnx model", "not a loadable ONNX model")],
    ids=["missing", "garbage"],
)
def test_a_bad_model_file_is_refused(
    tmp_path: Path, mixed_csv: Path, model_bytes: bytes | None, fragment: str
) -> None:
    model = tmp_path / "model.onnx"
    if model_bytes is not None:
        model.write_bytes(model_bytes)
    result = run_cli(
        "--input", str(mixed_csv), "--output", str(tmp_path / "o.parquet"), "--model", str(model)
    )
    assert_one_line_failure(result, 3, fragment)
    assert not (tmp_path / "o.parquet").exists()


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (["--max-invalid", "2"], "--max-invalid"),
        (["--max-invalid", "lots"], "--max-invalid"),
        (["--threshold", "1.5"], "--threshold"),
        (["--batch-rows", "0"], "--batch-rows"),
        (["--output", "out.txt"], "cannot tell the output format"),
        (["--output", "/no/such/folder/out.parquet"], "does not exist"),
    ],
)
def test_bad_flags_exit_2_with_the_flag_named(mixed_csv: Path, flags: list[str], fragment: str) -> None:
    args = ["--input", str(mixed_csv), "--output", str(mixed_csv.with_name("o.parquet")), *flags]
    assert_one_line_failure(run_cli(*args), 2, fragment)


def test_an_unknown_id_column_is_refused(tmp_path: Path, mixed_csv: Path) -> None:
    result = run_cli(
        "--input", str(mixed_csv), "--output", str(tmp_path / "o.parquet"), "--id-column", "crm_key"
    )
    assert_one_line_failure(result, 4, "no id column 'crm_key'")


def test_a_failure_mid_run_leaves_no_output(
    tmp_path: Path, good_parquet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    real_write = AtomicWriter.write

    def failing_write(self: AtomicWriter, batch_: pa.RecordBatch) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        real_write(self, batch_)

    monkeypatch.setattr(AtomicWriter, "write", failing_write)
    out = tmp_path / "out" / "scored.parquet"
    out.parent.mkdir()
    code = batch.main(
        ["--input", str(good_parquet), "--output", str(out), "--batch-rows", "100", "--model", str(MODEL)]
    )
    assert code == 1 and calls["n"] == 3
    assert list(out.parent.iterdir()) == []


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,200,000 generated customers: long enough to interrupt a run with small batches (300,000 were
    scored whole within the test's 0.2 s once the forest table read buckets)."""
    path = tmp_path_factory.mktemp("big") / "customers.csv"
    with path.open("w", newline="") as stream:
        write_csv(stream, 1_200_000, 5)
    return path


@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=["term", "int", "kill"]
)
def test_an_interrupted_run_leaves_nothing_that_looks_finished(
    tmp_path: Path, big_csv: Path, signum: signal.Signals
) -> None:
    out = tmp_path / "scored.parquet"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = ["--input", str(big_csv), "--output", str(out), "--batch-rows", "500", "--model", str(MODEL)]
    process = subprocess.Popen(
        [sys.executable, "-m", "scoring.batch", *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(".scored.parquet.*.partial")) and time.monotonic() < deadline:
            assert process.poll() is None, "the run ended before it could be interrupted"
            time.sleep(0.02)
        time.sleep(0.2)  # mid-way: some batches written
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode != 0
    assert not out.exists() and not out.with_name("scored.parquet.manifest.json").exists()
    leftovers = [p.name for p in tmp_path.iterdir()]
    if signum == signal.SIGKILL:  # nothing can clean up after SIGKILL: at most a hidden .partial file
        assert all(name.startswith(".") and name.endswith(".partial") for name in leftovers)
    else:
        assert leftovers == [] and "interrupted" in stderr and "Traceback" not in stderr


def scored_manifest(source: Path, out: Path) -> dict[str, Any]:
    """Score `source` into `out` with the CLI (must succeed) and read the manifest beside it."""
    args = ["--input", str(source), "--output", str(out), "--max-invalid", "0.3", "--model", str(MODEL)]
    assert batch.main(args) == 0
    return json.loads(out.with_name(out.name + ".manifest.json").read_text())


def test_manifest_records_the_run(tmp_path: Path, mixed_csv: Path, scorer: Scorer) -> None:
    out = tmp_path / "scored.parquet"
    manifest = scored_manifest(mixed_csv, out)
    table = pq.read_table(out)
    yes = table.column("prediction").to_pylist().count("Yes")
    assert manifest["status"] == "complete"
    assert (manifest["rows_read"], manifest["rows_scored"], manifest["rows_invalid"]) == (26, 20, 6)
    assert manifest["yes_count"] == yes
    assert manifest["threshold"] == 0.6 and manifest["threshold_source"] == "model metadata"
    assert manifest["model_version"] == scorer.model_version  # the committed model's
    assert manifest["input_fingerprint"].startswith("sha256:") and len(manifest["input_fingerprint"]) == 71
    assert manifest["duration_seconds"] > 0 and manifest["peak_rss_bytes"] > manifest["arrow_peak_bytes"] > 0
    mixed_csv.write_text(mixed_csv.read_text().replace("Female", "Male", 1))
    other = scored_manifest(mixed_csv, tmp_path / "again.parquet")
    assert other["input_fingerprint"] != manifest["input_fingerprint"]
