"""`export --run RUN --out CANDIDATE`: a candidate and its card, the served model untouched; parity
against the model's own run before and after a deploy and a rollback."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import joblib
import pytest

from export.export import main as export_main
from export.parity import main as parity_main
from service.process import check, deploy
from tests.export.conftest import ESTIMATORS, make_bundle


def _run(folder: Path, family: str, trained_at: str) -> Path:
    """A run folder as `python -m training.train --out` leaves it (the bundle is what export reads)."""
    bundle = make_bundle(ESTIMATORS[family](), folder)
    content = joblib.load(bundle)
    content["training"]["trained_at"] = trained_at
    joblib.dump(content, bundle)
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two runs of different families, as two training runs would leave them."""
    root = tmp_path_factory.mktemp("runs")
    return (
        _run(root / "2026-12-01T1000-logreg", "logreg", "2026-12-01T10:00:00Z"),
        _run(root / "2026-12-01T1100-forest", "forest", "2026-12-01T11:00:00Z"),
    )


def _served(root: Path) -> dict[str, tuple[bytes, int]]:
    """The served folder's files, bytes and modification times."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.iterdir())}


def test_export_run_out_writes_the_candidate_and_its_card_and_leaves_models_alone(
    runs: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the defaults models/purchase_model.onnx and models/model_card.json are here
    models = tmp_path / "models"
    models.mkdir()
    for name in ("purchase_model.onnx", "model_card.json", "purchase_pipeline.joblib", "training.json"):
        (models / name).write_bytes(f"served {name}".encode())
    before = _served(models)
    candidate = tmp_path / "candidates" / "logreg.onnx"
    assert export_main(["--run", str(runs[0]), "--out", str(candidate), "--small"]) == 0
    assert _served(models) == before
    card = json.loads((candidate.parent / "model_card.json").read_text())
    assert card["sha256"] == hashlib.sha256(candidate.read_bytes()).hexdigest()
    assert card["bundle"] == (runs[0] / "purchase_pipeline.joblib").as_posix()
    assert card["model_file"] == "logreg.onnx" and all(r["passed"] for r in card["parity"])
    assert sorted(p.name for p in candidate.parent.iterdir()) == ["logreg.onnx", "model_card.json"]


def test_export_run_without_out_writes_into_the_run_folder(runs: tuple[Path, Path], tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "purchase_pipeline.joblib").write_bytes((runs[1] / "purchase_pipeline.joblib").read_bytes())
    assert export_main(["--run", str(run), "--small"]) == 0
    assert sorted(p.name for p in run.iterdir()) == [
        "model_card.json",
        "purchase_model.onnx",
        "purchase_pipeline.joblib",
    ]
    assert parity_main(["--run", str(run), "--small"]) == 0


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--run", "r", "--bundle", "b.joblib"], "give --run or --bundle, not both"),
        (["--out", "a.onnx", "--model", "b.onnx"], "--out and --model both name the file to write"),
    ],
)
def test_conflicting_flags_are_one_line_and_exit_2(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        export_main(flags)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err


def test_a_missing_run_folder_is_one_line_and_exit_1(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert export_main(["--run", str(tmp_path / "nope"), "--out", str(tmp_path / "c.onnx"), "--small"]) == 1
    assert "no such pipeline bundle" in caplog.text and not (tmp_path / "c.onnx").exists()


def test_parity_holds_for_the_served_model_after_deploy_and_rollback(
    runs: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    served = tmp_path / "models" / "purchase_model.onnx"
    first = tmp_path / "cand-1" / "purchase_model.onnx"
    second = tmp_path / "cand-2" / "purchase_model.onnx"
    assert export_main(["--run", str(runs[0]), "--out", str(served), "--small"]) == 0  # what is served now
    assert export_main(["--run", str(runs[0]), "--out", str(first), "--small"]) == 0
    assert export_main(["--run", str(runs[1]), "--out", str(second), "--small"]) == 0
    monkeypatch.setenv("PREDICT_MODEL_PATH", str(served))
    monkeypatch.setenv("PREDICT_STATE_DIR", str(tmp_path / "state"))
    assert check.main(["--install"]) == 0  # the service starts

    def parity_of_served() -> int:
        return parity_main(["--model", str(served), "--small"])  # no --bundle: the card names the run

    assert parity_of_served() == 0
    assert deploy.main(["deploy", str(second)]) == 0 and check.main(["--install"]) == 0
    assert served.read_bytes() == second.read_bytes()
    assert parity_of_served() == 0, "parity compares the new model with its own run"
    other_run = ["--bundle", str(runs[0] / "purchase_pipeline.joblib")]
    assert parity_main(["--model", str(served), "--small", *other_run]) == 1
    assert deploy.main(["rollback"]) == 0 and check.main(["--install"]) == 0
    assert served.read_bytes() == first.read_bytes()
    assert json.loads(served.with_name("model_card.json").read_text())["bundle"].endswith(
        "1000-logreg/purchase_pipeline.joblib"
    )
    assert parity_of_served() == 0, "after a rollback the card names the rolled-back model's run"
