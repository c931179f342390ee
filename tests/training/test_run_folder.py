"""`python -m training.train --out RUN`: every output under RUN, nothing else written, progress on stderr."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from training import train
from training.candidates import FAMILIES

REPO = Path(__file__).resolve().parents[2]
RUN_FILES = {"purchase_pipeline.joblib", "training.json", "metrics.json", "report.html"}


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_train_out_writes_only_the_run_folder_and_shows_progress(customers_csv: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"  # the current directory: models/ and reports/ would land here
    work.mkdir()
    run = tmp_path / "runs" / "first"
    env = {**os.environ, "PYTHONPATH": str(REPO), "MPLCONFIGDIR": str(tmp_path / "mpl")}
    done = subprocess.run(
        [sys.executable, "-m", "training.train", "--data", str(customers_csv), "--fast", "--out", str(run)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert _files(run) == RUN_FILES
    assert _files(work) == set() and {p.name for p in tmp_path.iterdir()} == {"work", "runs", "mpl"}
    assert done.stdout == "", "progress and results go to stderr"
    progress = [line for line in done.stderr.splitlines() if "progress: " in line]
    for number, family in enumerate(FAMILIES, start=1):
        searched = (
            rf"\[{number}/{len(FAMILIES)}\] {family}: searching (\d+) candidates x 5 folds \((\d+) fits\)"
        )
        found = [re.search(searched, line) for line in progress]
        match = next(m for m in found if m)
        assert int(match[1]) * 5 == int(match[2])
        assert any(f"{family}: cross-validating" in line and "(2x5 = 10 fits)" in line for line in progress)
    for stage in ("calibration:", "final:", "fairness:", f"writing {run}"):
        assert any(stage in line for line in progress), stage
    elapsed = [float(m[1]) for line in progress if (m := re.search(r"\(elapsed (\d+\.\d)s\)$", line))]
    assert len(elapsed) == len(progress) and elapsed == sorted(elapsed)
    assert "\r" not in done.stderr, "no progress bar redrawing a line"
    assert f"next: make export RUN={run}" in done.stderr


def test_without_an_output_flag_a_new_run_folder_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = train.parse_args(["--model", "logreg"])
    assert args.out == args.out_dir == args.report_dir
    assert re.fullmatch(r"runs/\d{4}-\d\d-\d\dT\d{4}-logreg", args.out.as_posix()), args.out
    args.out.mkdir(parents=True)
    again = train.parse_args(["--model", "logreg"]).out
    assert again != args.out and again.name.startswith(args.out.name)


def test_out_dir_and_report_dir_keep_their_old_defaults() -> None:
    args = train.parse_args(["--out-dir", "elsewhere"])
    assert (args.out, args.out_dir, args.report_dir) == (None, Path("elsewhere"), Path("reports"))
    args = train.parse_args(["--out-dir", "models", "--report-dir", "reports"])  # make train COMMITTED=1
    assert (args.out_dir, args.report_dir) == (Path("models"), Path("reports"))


@pytest.mark.parametrize("flag", ["--out-dir", "--report-dir"])
def test_out_with_another_output_flag_is_one_line_and_exit_2(
    flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        train.parse_args(["--out", "runs/a", flag, "b"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "--out names the whole run folder" in err[-1]
