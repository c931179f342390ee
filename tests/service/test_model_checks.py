"""The service's side of the model checks: PREDICT_MAX_MODEL_BYTES, `service.process.check --install` refusing
a hostile model and falling back from a stored one that fails today's checks, and the deploy CLI's output."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict
from pathlib import Path

import pytest

from runtime.contract import DEFAULT_MAX_MODEL_BYTES
from service.http.errors import StartupError
from service.process import check, deploy
from service.process.model_store import Entry, ModelStore
from service.process.settings import Settings
from tests.onnx_factory import VERSION_CRLF, VERSION_NON_ASCII, write_model

GOOD = "logreg-test0000001"


def test_max_model_bytes_defaults_and_is_read_from_the_environment() -> None:
    assert Settings().max_model_bytes == DEFAULT_MAX_MODEL_BYTES == 64 * 1024 * 1024
    assert Settings.from_env({"PREDICT_MAX_MODEL_BYTES": " 1048576 "}).max_model_bytes == 1048576


@pytest.mark.parametrize("raw", ["lots", "1.5", "", "1023", str(2**31 + 1), "-5"])
def test_a_bad_max_model_bytes_is_one_line_naming_the_variable(raw: str) -> None:
    with pytest.raises(StartupError, match=r"^PREDICT_MAX_MODEL_BYTES must be an integer"):
        Settings.from_env({"PREDICT_MAX_MODEL_BYTES": raw})


def plant(store: ModelStore, data: bytes, version: str) -> Entry:
    """Put a model into the store the way a release without today's checks did (no validation)."""
    sha = hashlib.sha256(data).hexdigest()
    entry = Entry(version, sha, f"old-{sha[:16]}.onnx", 1.0)
    store.models.mkdir(parents=True, exist_ok=True)
    (store.models / entry.file).write_bytes(data)
    history = [*store.history(), entry]
    (store.root / "history.json").write_text(json.dumps([asdict(e) for e in history]))
    (store.root / "current.json").write_text(json.dumps(asdict(entry)))
    return entry


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelStore:
    """PREDICT_STATE_DIR and PREDICT_MODEL_PATH in tmp_path; the store."""
    monkeypatch.setenv("PREDICT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PREDICT_MODEL_PATH", str(tmp_path / "served.onnx"))
    return ModelStore(tmp_path / "state")


def test_check_refuses_a_hostile_model_and_keeps_the_store(
    env: ModelStore, model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "served.onnx").write_bytes(model_path.read_bytes())
    assert check.main(["--install"]) == 0
    first = env.current()
    write_model(tmp_path / "served.onnx", {"model_version": VERSION_CRLF})
    assert check.main(["--install"]) == check.EXIT_STARTUP
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "model_version must be" in err and "'logreg-1\\r\\nX-Forged: yes'" in err
    assert env.current() == first and env.history() == [first]


def test_check_falls_back_from_a_stored_model_that_fails_todays_checks(
    env: ModelStore, model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "served.onnx").write_bytes(model_path.read_bytes())
    assert check.main(["--install"]) == 0
    good = env.current()
    bad = write_model(tmp_path / "served.onnx", {"model_version": VERSION_NON_ASCII}).read_bytes()
    plant(env, bad, VERSION_NON_ASCII)  # what the measured `make deploy-model` left behind
    assert check.main(["--install"]) == check.EXIT_STARTUP
    err = capsys.readouterr().err
    assert err.isascii() and err.count("\n") == 2  # why the stored model fails, then the outcome
    assert err.startswith("stored model 'logreg-\\xe9t\\xe9' fails today's checks: model ")
    assert err.splitlines()[-1].endswith(f"(the stored model 'logreg-\\xe9t\\xe9' fails too; back to {GOOD})")
    assert env.current() == good


def test_check_serves_no_stored_model_when_none_passes(
    env: ModelStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write_model(tmp_path / "served.onnx", {"model_version": VERSION_CRLF}).read_bytes()
    plant(env, bad, VERSION_CRLF)
    assert check.main(["--install"]) == check.EXIT_STARTUP
    assert "and no earlier one passes" in capsys.readouterr().err
    assert env.current() is None


def test_deploy_refuses_a_hostile_model_in_one_escaped_line(
    env: ModelStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    hostile = write_model(tmp_path / "hostile.onnx", {"model_version": VERSION_CRLF})
    assert deploy.main(["deploy", str(hostile)]) == 1
    (record,) = caplog.records
    assert record.getMessage().startswith("not deployed: model ") and "\n" not in record.getMessage()
    assert not (tmp_path / "served.onnx").exists()


def test_deploy_history_and_rollback_escape_versions_from_an_old_store(
    env: ModelStore, model_path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    plant(env, model_path.read_bytes(), GOOD)
    plant(env, write_model(tmp_path / "x.onnx", {"model_version": VERSION_CRLF}).read_bytes(), VERSION_CRLF)
    plant(env, b"newest", "v3")
    assert deploy.main(["history"]) == 0
    assert deploy.main(["rollback"]) == 1  # the newest earlier model is the hostile one: checked, refused
    messages = [r.getMessage() for r in caplog.records]
    assert all(m.isascii() and "\n" not in m and "\r" not in m for m in messages), messages
    assert any("'logreg-1\\r\\nX-Forged: yes'" in m for m in messages)
    assert messages[-1].startswith("not rolled back: model ") and "model_version must be" in messages[-1]
