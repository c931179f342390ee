"""Fixtures for the training tests: generated CSVs, a CSV writer and one fast training run."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from training import generate, train
from training.documents import TrainingInfo

# ../shared/data next to the repository; REFERENCE_CSV in the environment points elsewhere (e.g. a worktree)
REFERENCE_CSV = Path(
    os.environ.get("REFERENCE_CSV")
    or Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "Social_Network_Ads.csv"
)
FIXED_EPOCH = "1767225600"  # 2026-01-01T00:00:00Z


@pytest.fixture(scope="session")
def customers_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default generated dataset (400 rows, default seed) in a temp folder."""
    path = tmp_path_factory.mktemp("data") / "customers.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        generate.write_csv(stream, generate.DEFAULT_ROWS, generate.DEFAULT_SEED)
    return path


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[[str | bytes, str], Path]:
    """Write text or bytes to a temp file and return its path."""

    def write(content: str | bytes, name: str = "input.csv") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def reference_csv() -> Path:
    """The real public dataset; tests using it are skipped when it is absent."""
    if not REFERENCE_CSV.is_file():
        pytest.skip(f"{REFERENCE_CSV} is absent")
    return REFERENCE_CSV


def run_fast(data: Path, out: Path, *extra: str) -> TrainingInfo:
    """Run the training CLI's ``run`` in fast mode into ``out``; return its training info."""
    args = train.parse_args(
        ["--data", str(data), "--fast", "--out-dir", str(out), "--report-dir", str(out), *extra]
    )
    return train.run(args)


@pytest.fixture(scope="session")
def fast_run(customers_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TrainingInfo]:
    """One fast training run of the default forest on the generated data, with a fixed clock."""
    out = tmp_path_factory.mktemp("run")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", FIXED_EPOCH)
        info = run_fast(customers_csv, out)
    assert json.loads((out / "training.json").read_text()) == info
    return out, info
