"""Hostile model files against the real components: export's writer, `make deploy-model` against a running
gunicorn, a SIGHUP reload, a restart (with the bad file at PREDICT_MODEL_PATH or in the model store) and
the batch CLI. Each is refused with one escaped line, and the service keeps answering /predict and
/health with the old model (200, the right X-Model-Version)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import requests
from sklearn.linear_model import LogisticRegression

from bench.harness.gunicorn import REPO, Gunicorn, server_env
from export import export as export_module
from export.export import main as export_main
from monitoring.report import render
from runtime.model import load_model
from service.process.model_store import Entry, ModelStore
from tests.conftest import ServerFactory
from tests.export.conftest import make_bundle
from tests.faults.helpers import (
    FIRST_VERSION,
    deploy,
    last_reload,
    metric,
    reload_and_wait,
    replace_atomically,
)
from tests.onnx_factory import (
    VERSION_64,
    VERSION_65,
    VERSION_CRLF,
    VERSION_LF,
    VERSION_NON_ASCII,
    write_external_model,
    write_model,
)

CAP = 1024 * 1024  # PREDICT_MAX_MODEL_BYTES for every server here: the oversize model is 2 MiB
CAP_ENV = {"PREDICT_MAX_MODEL_BYTES": str(CAP)}
ROW: dict[str, Any] = {"age": 40, "salary": 50000, "gender": "Male"}

# what each hostile file is refused for (part of the one-line reason)
REASONS = {
    "crlf": "metadata model_version must be 1 to 64 ASCII letters",
    "lf": "metadata model_version must be 1 to 64 ASCII letters",
    "non-ascii": "metadata model_version must be 1 to 64 ASCII letters",
    "65 bytes": "metadata model_version must be 1 to 64 ASCII letters",
    "external data": "keeps tensor w in an external file",
    "oversize": f"over the limit of {CAP} bytes",
}


def hostile_model(name: str, folder: Path) -> Path:
    """Write one hostile model file into `folder` (an external-data model with its data file beside it)."""
    versions = {
        "crlf": VERSION_CRLF,
        "lf": VERSION_LF,
        "non-ascii": VERSION_NON_ASCII,
        "65 bytes": VERSION_65,
    }
    if name in versions:
        return write_model(folder / "hostile.onnx", {"model_version": versions[name]})
    if name == "external data":
        return write_external_model(folder / "hostile.onnx", "weights.bin")
    return write_model(folder / "hostile.onnx", pad_bytes=2 * CAP)


def assert_serves(server: Gunicorn, version: str) -> None:
    """/health and /predict answer 200 with `version` in X-Model-Version (every worker, a few tries)."""
    for _ in range(6):
        health = requests.get(f"{server.url}/health", timeout=10)
        answer = requests.post(f"{server.url}/predict", json=ROW, timeout=10)
        assert (health.status_code, answer.status_code) == (200, 200), (health.text, answer.text)
        assert health.headers["X-Model-Version"] == answer.headers["X-Model-Version"] == version
        assert answer.json()["model_version"] == version


def assert_clean_lines(text: str) -> None:
    """No forged line and nothing outside printable ASCII from a model string."""
    assert text.isascii(), text
    assert "\r" not in text
    lines = text.splitlines()
    assert not any(line.startswith(("X-Forged", "model reload: serving forged")) for line in lines), text


def logged(server: Gunicorn, part: str) -> list[str]:
    """The messages of the server's JSON log lines that contain `part`."""
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    return [line["msg"] for line in lines if part in line.get("msg", "")]


def deploy_cli(server: Gunicorn, *args: str) -> subprocess.CompletedProcess[str]:
    """`make deploy-model MODEL=...` as the Makefile runs it, against this server's state directory."""
    return deploy(server.model, server.state_dir, *args, **CAP_ENV)


# --- export -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def logreg_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small fitted logistic-regression bundle (the quickest family to export)."""
    return make_bundle(LogisticRegression(), tmp_path_factory.mktemp("bundle"))


def _export(bundle: Path, models: Path, family: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """Run `make export` in-process with the converter naming the family `family`."""
    monkeypatch.setattr(export_module, "describe", lambda _model: (family, "none"))
    return export_main(
        [
            "--bundle",
            str(bundle),
            "--model",
            str(models / "m.onnx"),
            "--card",
            str(models / "card.json"),
            "--small",
        ]
    )


@pytest.mark.parametrize(
    "family",
    [
        "logreg\r\nX-Forged: yes",
        "l\u00f6greg",
        "f" * 52,
    ],  # versions: CR/LF, non-ASCII, 52 + 1 + 12 = 65 bytes
    ids=["crlf", "non-ascii", "65 bytes"],
)
def test_export_refuses_to_write_a_model_with_a_hostile_version(
    family: str,
    logreg_bundle: Path,
    model_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    models = tmp_path / "models"
    models.mkdir()
    shutil.copyfile(model_path, models / "m.onnx")  # the previous model must stay
    assert _export(logreg_bundle, models, family, monkeypatch) == 1
    assert sorted(p.name for p in models.iterdir()) == ["m.onnx"]  # no card, no temp file
    assert (models / "m.onnx").read_bytes() == model_path.read_bytes()
    (message,) = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert message.startswith("export: metadata model_version must be 1 to 64 ASCII letters")
    assert message.endswith("; no model file written")
    assert_clean_lines(message)


def test_export_writes_a_version_of_exactly_64_bytes(
    logreg_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models = tmp_path / "models"
    models.mkdir()
    assert _export(logreg_bundle, models, "f" * 51, monkeypatch) == 0
    version = load_model(models / "m.onnx").metadata.model_version
    assert len(version) == 64 and version.startswith("f" * 51 + "-")


# --- make deploy-model ------------------------------------------------------------------------------
def test_deploy_refuses_hostile_models_while_the_service_keeps_serving(
    start_server: ServerFactory, live_model: Path, tmp_path: Path
) -> None:
    good = write_model(tmp_path / "v64" / "m.onnx", {"model_version": VERSION_64})
    with start_server(1, **CAP_ENV) as server:
        assert_serves(server, FIRST_VERSION)
        deployed = deploy_cli(server, "deploy", str(good))  # the exact maximum length deploys
        assert deployed.returncode == 0, deployed.stderr
        assert f"the service now serves {VERSION_64}" in deployed.stderr
        assert_serves(server, VERSION_64)
        served_bytes, seq = live_model.read_bytes(), last_reload(server)["seq"]
        for name, reason in REASONS.items():
            refused = deploy_cli(server, "deploy", str(hostile_model(name, tmp_path / name)))
            assert refused.returncode == 1, (name, refused.stderr)
            assert refused.stderr.startswith("not deployed: model") and reason in refused.stderr, (
                refused.stderr
            )
            assert refused.stderr.count("\n") == 1, refused.stderr  # one line: nothing forged
            assert_clean_lines(refused.stderr)
            assert live_model.read_bytes() == served_bytes and last_reload(server)["seq"] == seq
            assert_serves(server, VERSION_64)
        history = deploy_cli(server, "history")
        assert history.returncode == 0 and VERSION_64 in history.stderr
        assert_clean_lines(history.stderr)


# --- SIGHUP and restart -----------------------------------------------------------------------------
def test_sighup_with_hostile_models_at_the_model_path_keeps_the_old_model(
    start_server: ServerFactory, live_model: Path
) -> None:
    with start_server(1, **CAP_ENV) as server:
        for count, (name, reason) in enumerate(REASONS.items(), start=1):
            folder = live_model.parent / name  # an external-data model's file lies beside the served path
            folder.mkdir()
            hostile = hostile_model(name, folder)
            if name == "external data":
                shutil.copyfile(folder / "weights.bin", live_model.parent / "weights.bin")
            replace_atomically(live_model, hostile)
            outcome = reload_and_wait(server)
            assert outcome["ok"] is False and outcome["version"] == FIRST_VERSION, outcome
            assert reason in outcome["reason"], outcome
            assert_clean_lines(outcome["reason"])
            assert_serves(server, FIRST_VERSION)
            assert metric(server, "predict_model_reload_failures_total") == count
        log = server.log()
    assert_clean_lines(log)
    assert log.count("model reload refused, still serving logreg-test0000001") == len(REASONS)


def test_a_restart_with_a_hostile_model_at_the_model_path_serves_the_stored_one(
    start_server: ServerFactory, live_model: Path, tmp_path: Path
) -> None:
    with start_server(1, **CAP_ENV):
        pass
    replace_atomically(live_model, hostile_model("crlf", tmp_path / "crlf"))
    with start_server(1, **CAP_ENV) as server:
        assert_serves(server, FIRST_VERSION)
        (line,) = logged(server, "serving the previously validated")
        assert REASONS["crlf"] in line and "'logreg-1\\r\\nX-Forged: yes'" in line
    assert_clean_lines(server.log())


def plant(store: ModelStore, source: Path, version: str) -> None:
    """Make `source` the store's current model the way a release without today's checks did."""
    data = source.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    entry = Entry(version, sha, f"old-{sha[:16]}.onnx", 1.0)
    (store.models / entry.file).write_bytes(data)
    history = [*store.history(), entry]
    (store.root / "history.json").write_text(json.dumps([asdict(e) for e in history]))
    (store.root / "current.json").write_text(json.dumps(asdict(entry)))


def test_a_hostile_model_in_the_store_is_not_served_after_a_restart_or_a_sighup(
    start_server: ServerFactory, live_model: Path, tmp_path: Path
) -> None:
    hostile = hostile_model("non-ascii", tmp_path / "old")
    with start_server(1, **CAP_ENV) as server:
        store = ModelStore(server.state_dir)
    plant(store, hostile, VERSION_NON_ASCII)  # the measured failure: deployed, stored, current
    replace_atomically(live_model, hostile)
    with start_server(1, **CAP_ENV) as server:
        assert_serves(server, FIRST_VERSION)
        assert store.current() is not None and store.current().version == FIRST_VERSION  # type: ignore[union-attr]
        (line,) = logged(server, "serving the previously validated")
        assert f"(the stored model 'logreg-\\xe9t\\xe9' fails too; back to {FIRST_VERSION})" in line
        plant(store, hostile, VERSION_NON_ASCII)  # again, under the running service, then SIGHUP
        outcome = reload_and_wait(server)
        assert outcome["ok"] is False and outcome["version"] == FIRST_VERSION, outcome
        assert f"back to {FIRST_VERSION}" in outcome["reason"]
        assert_serves(server, FIRST_VERSION)
    assert_clean_lines(server.log())


# --- batch CLI and HTML -----------------------------------------------------------------------------
def test_the_batch_cli_refuses_hostile_models_with_exit_3(model_path: Path, tmp_path: Path) -> None:
    rows = tmp_path / "in.csv"
    rows.write_text("age,salary,gender\n40,50000,Male\n")
    cases = {
        "crlf": (hostile_model("crlf", tmp_path / "crlf"), [], REASONS["crlf"]),
        "external data": (hostile_model("external data", tmp_path / "ext"), [], REASONS["external data"]),
        "cap": (model_path, ["--max-model-bytes", "1024"], "over the limit of 1024 bytes"),
    }
    for name, (model, flags, reason) in cases.items():
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "scoring.batch",
                "--input",
                str(rows),
                "--output",
                str(tmp_path / "o.csv"),
                "--model",
                str(model),
                *flags,
            ],
            cwd=tmp_path / "ext",
            env=server_env(model, tmp_path / "state"),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )  # cwd holds weights.bin: loaded from bytes, onnxruntime would look there
        assert result.returncode == 3, (name, result.stderr)
        assert reason in result.stderr and result.stderr.count("\n") == 1, result.stderr
        assert_clean_lines(result.stderr)
        assert not (tmp_path / "o.csv").exists()


def test_the_drift_report_and_the_page_show_model_strings_as_text() -> None:
    page = render(
        {"windows": [{"start": 0, "rows": 3, "model_version": "<script>x</script>", "status": "x"}]}
    )
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    scripts = "".join(p.read_text() for p in (REPO / "service" / "http" / "page").glob("*.js"))
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
        assert sink not in scripts  # every model string reaches the page through text nodes
