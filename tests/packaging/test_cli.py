"""`purchase-predictor` in-process (click's runner): every subcommand's bad input is one line and its code."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from purchase_predictor import __version__
from purchase_predictor.cli import cli
from purchase_predictor.exit_codes import Exit
from runtime.predictor import Predictor

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "models" / "purchase_model.onnx"
SUBCOMMANDS = [
    "train",
    "export",
    "parity",
    "serve",
    "score",
    "drift",
    "deploy",
    "rollback",
    "history",
    "promote",
    "discard",
    "spark",
]
GOOD_CSV = "User ID,Age,EstimatedSalary,Gender\n1,30,40000,Male\n2,50,90000,Female\n"


@pytest.fixture(autouse=True)
def _no_outside_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each case sets what it needs: no model path, state folder or port from the caller's environment."""
    for name in ("PREDICT_MODEL_PATH", "PREDICT_STATE_DIR", "PORT", "PREDICT_HOST"):
        monkeypatch.delenv(name, raising=False)


def invoke(args: list[str], env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, args, env=env, catch_exceptions=False)


def error_lines(output: str) -> list[str]:
    """Lines that report a failure: the command's own and a wrapped module's logged ERROR."""
    return [line for line in output.splitlines() if ": error: " in line or line.startswith("ERROR ")]


def test_version_is_the_package_version() -> None:
    result = invoke(["--version"])
    assert result.exit_code == 0 and result.stdout == f"purchase-predictor {__version__}\n"


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_help_shows_an_example(command: str) -> None:
    result = invoke([command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.stdout and f"purchase-predictor {command}" in result.stdout


def test_the_group_help_names_every_subcommand() -> None:
    result = invoke(["--help"])
    assert all(command in result.stdout for command in SUBCOMMANDS)


def _case(kind: str, folder: Path) -> tuple[list[str], dict[str, str], Exit, str]:
    """Arguments, environment, expected code and message fragment for one bad input."""
    good = folder / "good.csv"
    good.write_text(GOOD_CSV)
    garbage = folder / "garbage.onnx"
    garbage.write_bytes(b"not an onnx model")
    state = folder / "state"
    state.mkdir()
    out = str(folder / "out.csv")
    cases: dict[str, tuple[list[str], dict[str, str], Exit, str]] = {
        "unknown subcommand": (["predict"], {}, Exit.USAGE, "No such command"),
        "unknown flag": (["score", "--speed", "3"], {}, Exit.USAGE, "No such option"),
        "score: no --input": (["score", "--output", out], {}, Exit.USAGE, "Missing option '--input'"),
        "score: missing file": (
            ["score", "--input", str(folder / "nope.csv"), "--output", out, "--model", str(MODEL)],
            {},
            Exit.INPUT,
            "does not exist",
        ),
        "score: bad model": (
            ["score", "--input", str(good), "--output", out, "--model", str(garbage)],
            {},
            Exit.CONFIG,
            "not a loadable ONNX model",
        ),
        "score: bad model from the variable": (
            ["score", "--input", str(good), "--output", out],
            {"PREDICT_MODEL_PATH": str(garbage)},
            Exit.CONFIG,
            "not a loadable ONNX model",
        ),
        "score: threshold": (
            ["score", "--input", str(good), "--output", out, "--threshold", "1.5"],
            {},
            Exit.USAGE,
            "--threshold",
        ),
        "score: no output folder": (
            ["score", "--input", str(good), "--output", str(folder / "no" / "o.csv"), "--model", str(MODEL)],
            {},
            Exit.USAGE,
            "does not exist",
        ),
        "score: too many invalid": (
            ["score", "--input", str(_invalid(folder)), "--output", out, "--model", str(MODEL)],
            {},
            Exit.REFUSED,
            "rows are invalid",
        ),
        "drift: missing file": (
            ["drift", "--current", str(folder / "nope.csv"), "--model", str(MODEL)],
            {},
            Exit.INPUT,
            "does not exist",
        ),
        "drift: bad model": (
            ["drift", "--current", str(good), "--model", str(garbage)],
            {},
            Exit.CONFIG,
            "not a loadable ONNX model",
        ),
        "drift: level": (
            ["drift", "--current", str(good), "--fail-on", "sometimes"],
            {},
            Exit.USAGE,
            "--fail-on",
        ),
        "drift: drifted": (
            ["drift", "--current", str(_drifted(folder)), "--model", str(MODEL), "--fail-on", "warning"],
            {},
            Exit.DRIFT,
            "reaches --fail-on warning",
        ),
        "serve: port flag": (["serve", "--port", "http"], {}, Exit.USAGE, "port number"),
        "serve: port variable": (["serve"], {"PORT": "99999"}, Exit.CONFIG, "PORT must be"),
        "deploy: no candidate": (["deploy"], {}, Exit.USAGE, "Missing argument"),
        "deploy: no state folder": (["deploy", str(MODEL)], {}, Exit.CONFIG, "PREDICT_STATE_DIR"),
        "deploy: bad candidate": (
            ["deploy", str(garbage), "--state-dir", str(state), "--model", str(folder / "served.onnx")],
            {},
            Exit.CONFIG,
            "not deployed",
        ),
        "deploy: bad variable": (
            ["deploy", str(MODEL), "--state-dir", str(state)],
            {"PREDICT_THRESHOLD": "2"},
            Exit.CONFIG,
            "PREDICT_THRESHOLD",
        ),
        "rollback: nothing earlier": (
            ["rollback", "--model", str(folder / "served.onnx")],
            {"PREDICT_STATE_DIR": str(state)},
            Exit.REFUSED,
            "no earlier model",
        ),
        "history: no state folder": (["history"], {}, Exit.CONFIG, "PREDICT_STATE_DIR"),
        "deploy --shadow: bad candidate": (
            ["deploy", "--shadow", str(garbage), "--state-dir", str(state), "--model", str(folder / "s")],
            {},
            Exit.CONFIG,
            "not deployed",
        ),
        "promote: no shadow": (
            ["promote", "--model", str(folder / "served.onnx")],
            {"PREDICT_STATE_DIR": str(state)},
            Exit.REFUSED,
            "no shadow model to promote",
        ),
        "discard: no shadow": (["discard", "--state-dir", str(state)], {}, Exit.REFUSED, "no shadow model"),
        "train: missing data": (
            ["train", "--data", str(folder / "nope.csv"), "--out-dir", str(folder)],
            {},
            Exit.INPUT,
            "nope.csv",
        ),
        "train: family": (["train", "--family", "deep"], {}, Exit.USAGE, "--family"),
        "train: threshold policy": (["train", "--threshold", "precision>=2"], {}, Exit.USAGE, "precision"),
        "export: missing bundle": (
            ["export", "--bundle", str(folder / "nope.joblib"), "--model", str(folder / "m.onnx")],
            {},
            Exit.INPUT,
            "nope.joblib",
        ),
        "parity: missing model": (
            ["parity", "--model", str(folder / "nope.onnx")],
            {},
            Exit.CONFIG,
            "nope.onnx",
        ),
        "spark: bad model": (
            ["spark", "--input", str(good), "--output", str(folder / "scored"), "--model", str(garbage)],
            {},
            Exit.CONFIG,
            "not a loadable ONNX model",
        ),
        "spark: missing input": (
            [
                "spark",
                "--input",
                str(folder / "nope.csv"),
                "--output",
                str(folder / "scored"),
                "--model",
                str(MODEL),
            ],
            {},
            Exit.INPUT,
            "does not exist",
        ),
    }
    return cases[kind]


def _invalid(folder: Path) -> Path:
    path = folder / "invalid.csv"
    path.write_text("User ID,Age,EstimatedSalary,Gender\n1,-3,40000,Male\n2,50,90000,Robot\n3,30,1,Female\n")
    return path


def _drifted(folder: Path) -> Path:
    """400 customers all aged 70-90 earning ~145,000: far from the training population."""
    rows = "".join(f"{70 + i % 21},{140_000 + 25 * i},Male\n" for i in range(400))
    path = folder / "drifted.csv"
    path.write_text("Age,EstimatedSalary,Gender\n" + rows)
    return path


BAD_INPUTS = [
    "unknown subcommand",
    "unknown flag",
    "score: no --input",
    "score: missing file",
    "score: bad model",
    "score: bad model from the variable",
    "score: threshold",
    "score: no output folder",
    "score: too many invalid",
    "drift: missing file",
    "drift: bad model",
    "drift: level",
    "drift: drifted",
    "serve: port flag",
    "serve: port variable",
    "deploy: no candidate",
    "deploy: no state folder",
    "deploy: bad candidate",
    "deploy: bad variable",
    "rollback: nothing earlier",
    "history: no state folder",
    "deploy --shadow: bad candidate",
    "promote: no shadow",
    "discard: no shadow",
    "train: missing data",
    "train: family",
    "train: threshold policy",
    "export: missing bundle",
    "parity: missing model",
    "spark: bad model",
    "spark: missing input",
]


@pytest.mark.parametrize("kind", BAD_INPUTS)
def test_bad_input_is_one_line_and_its_documented_code(kind: str, tmp_path: Path) -> None:
    args, env, code, fragment = _case(kind, tmp_path)
    result = invoke(args, env)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    errors = error_lines(result.output)
    assert len(errors) == 1 and fragment in errors[0], result.output
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["score", "--input", "nope.csv", "--output", "out.csv"], Exit.INPUT, "does not exist"),
        (["drift", "--current", "nope.csv"], Exit.INPUT, "does not exist"),
        (["serve", "--port", "0"], Exit.USAGE, "port number"),
        (["rollback"], Exit.CONFIG, "PREDICT_STATE_DIR"),
    ],
)
def test_a_real_process_prints_one_line_and_exits_with_the_code(
    args: list[str], code: Exit, fragment: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREDICT_")}
    env |= {"PYTHONPATH": str(REPO), "PREDICT_MODEL_PATH": str(MODEL)}
    result = subprocess.run(
        [sys.executable, "-m", "purchase_predictor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    errors = error_lines(result.stderr)
    assert len(errors) == 1 and fragment in errors[0], result.stderr


def test_a_file_scored_through_the_command_has_the_runtimes_answers(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(GOOD_CSV)
    result = invoke(
        ["score", "--input", str(source), "--output", str(tmp_path / "out.csv")],
        {"PREDICT_MODEL_PATH": str(MODEL)},
    )
    assert result.exit_code == 0, result.output
    with (tmp_path / "out.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected = Predictor.from_path(MODEL).probabilities(
        np.array([30.0, 50.0]), np.array([40_000.0, 90_000.0]), np.array(["Male", "Female"], dtype=object)
    )
    assert [row["User ID"] for row in rows] == ["1", "2"]
    assert [float(row["probability"]) for row in rows] == pytest.approx(list(expected), abs=1e-12)
