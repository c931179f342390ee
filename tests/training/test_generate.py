"""Dataset checks: the generated data shows the documented facts and is reproducible."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from training import generate

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def default_frame(customers_csv: Path) -> pd.DataFrame:
    """The default 400-row file as written."""
    return pd.read_csv(customers_csv)


@pytest.fixture(scope="module")
def large_frame() -> pd.DataFrame:
    """200,000 generated rows: enough for population-level facts."""
    return pd.concat(generate.generate_chunks(200_000, seed=7, chunk_rows=50_000), ignore_index=True)


def test_default_file_has_the_contract_columns_and_400_rows(default_frame: pd.DataFrame) -> None:
    assert list(default_frame.columns) == generate.COLUMNS
    assert len(default_frame) == 400


def test_default_file_has_36_to_39_percent_buyers(default_frame: pd.DataFrame) -> None:
    assert 0.36 <= default_frame["Purchased"].mean() <= 0.39


def test_population_buy_rate_is_36_to_39_percent(large_frame: pd.DataFrame) -> None:
    assert 0.36 <= large_frame["Purchased"].mean() <= 0.39


@pytest.mark.parametrize("name", ["default_frame", "large_frame"])
def test_values_are_in_documented_ranges(name: str, request: pytest.FixtureRequest) -> None:
    frame: pd.DataFrame = request.getfixturevalue(name)
    assert frame["Age"].between(18, 60).all()
    assert frame["EstimatedSalary"].between(15_000, 150_000).all()
    assert (frame["EstimatedSalary"] % 1000 == 0).all()
    assert set(frame["Gender"]) == {"Female", "Male"}
    assert set(frame["Purchased"]) == {0, 1}
    assert frame["User ID"].is_unique


@pytest.mark.parametrize("name", ["default_frame", "large_frame"])
def test_buyers_are_more_common_aged_40_to_55_and_above_80k(
    name: str, request: pytest.FixtureRequest
) -> None:
    frame: pd.DataFrame = request.getfixturevalue(name)
    overall = frame["Purchased"].mean()
    assert frame.loc[frame["Age"].between(40, 55), "Purchased"].mean() > overall
    assert frame.loc[frame["EstimatedSalary"] > 80_000, "Purchased"].mean() > overall


def test_buy_rate_rises_steeply_after_40_and_gender_is_nearly_neutral(large_frame: pd.DataFrame) -> None:
    by_age = large_frame.groupby(pd.cut(large_frame["Age"], [17, 30, 40, 50, 60]), observed=True)["Purchased"]
    rates = by_age.mean().to_numpy()
    assert rates[2] - rates[1] > 3 * abs(rates[1] - rates[0])
    by_gender = large_frame.groupby("Gender")["Purchased"].mean()
    assert abs(by_gender["Female"] - by_gender["Male"]) < 0.05


def test_labels_are_noisy_so_no_model_can_be_perfect(large_frame: pd.DataFrame) -> None:
    young_poor = large_frame[(large_frame["Age"] < 30) & (large_frame["EstimatedSalary"] < 50_000)]
    old_rich = large_frame[(large_frame["Age"] > 55) & (large_frame["EstimatedSalary"] > 120_000)]
    assert 0 < young_poor["Purchased"].mean() < 0.15
    assert 0.85 < old_rich["Purchased"].mean() < 1


def test_same_seed_gives_identical_csv_and_other_seed_differs() -> None:
    def text(seed: int) -> str:
        stream = io.StringIO()
        generate.write_csv(stream, 1000, seed)
        return stream.getvalue()

    assert text(3) == text(3)
    assert text(3) != text(4)


def test_chunks_stream_all_rows_with_one_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generate, "CHUNK_ROWS", 1000)
    out = tmp_path / "big.csv"
    assert generate.main(["--out", str(out), "--rows", "3500", "--seed", "1"]) == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 3501
    assert lines.count(",".join(generate.COLUMNS)) == 1
    assert np.array_equal(pd.read_csv(out)["User ID"].diff().dropna().unique(), [1])


def test_out_dash_writes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert generate.main(["--out", "-", "--rows", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ",".join(generate.COLUMNS)
    assert len(lines) == 6


@pytest.mark.parametrize("flags", [["--rows", "-1"], ["--rows", "ten"], ["--seed", "x"], []])
def test_bad_flags_exit_with_code_2(flags: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        generate.main(["--out", "-", *flags] if flags else [])
    assert exit_info.value.code == 2
    assert "error" in capsys.readouterr().err
