"""The model store: content-addressed validated models, current pointer, history; check --install; deploy."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from service import check, deploy
from service.model_store import HISTORY_SIZE, ModelStore, StoreError
from tests.onnx_factory import write_model


def test_install_makes_the_bytes_current_under_a_content_address(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "state")
    entry, changed = store.install(b"model-one", "v1+weird")
    assert changed and store.current() == entry and store.history() == [entry]
    path, data = store.read(entry)
    assert data == b"model-one" and path.name == entry.file and entry.file.startswith("v1_weird-")
    assert stat.S_IMODE(path.stat().st_mode) == 0o400
    assert store.install(b"model-one", "v1+weird") == (entry, False)
    assert store.previous() is None


@pytest.mark.parametrize("version", ["v/1 weird", "v1\r\nforged", "caf\u00e9", "v" * 65])
def test_install_refuses_a_version_outside_the_contract(tmp_path: Path, version: str) -> None:
    store = ModelStore(tmp_path)
    with pytest.raises(StoreError, match="is not 1 to 64 ASCII letters"):
        store.install(b"model", version)
    assert store.current() is None and not store.models.exists()


def test_history_keeps_the_last_few_and_prunes_their_files(tmp_path: Path) -> None:
    store = ModelStore(tmp_path)
    entries = [store.install(f"model-{i}".encode(), f"v{i}")[0] for i in range(HISTORY_SIZE + 2)]
    assert store.history() == entries[-HISTORY_SIZE:]
    assert sorted(p.name for p in store.models.iterdir()) == sorted(e.file for e in entries[-HISTORY_SIZE:])
    assert store.previous() == entries[-2]


def test_a_tampered_stored_file_is_refused(tmp_path: Path) -> None:
    store = ModelStore(tmp_path)
    entry, _ = store.install(b"model", "v1")
    path = store.models / entry.file
    path.chmod(0o600)
    path.write_bytes(b"other")
    with pytest.raises(StoreError, match="does not match its recorded hash"):
        store.read(entry)


def test_reload_outcomes_are_numbered(tmp_path: Path) -> None:
    store = ModelStore(tmp_path)
    assert store.last_reload() == {"seq": 0}
    store.record_reload(False, "v1", "bad file")
    store.record_reload(True, "v2", "")
    assert store.last_reload() == {"seq": 2, "ok": True, "version": "v2", "reason": ""}


def test_check_install_stores_only_a_model_that_passes(
    model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ModelStore(tmp_path / "state")
    monkeypatch.setenv("PREDICT_STATE_DIR", str(store.root))
    monkeypatch.setenv("PREDICT_MODEL_PATH", str(model_path))
    assert check.main(["--install"]) == 0
    first = store.current()
    assert first is not None and store.read(first)[1] == model_path.read_bytes()
    bad = write_model(tmp_path / "bad.onnx", {"threshold": "7"})
    monkeypatch.setenv("PREDICT_MODEL_PATH", str(bad))
    assert check.main(["--install"]) == check.EXIT_STARTUP
    assert "threshold must be a number strictly between 0 and 1" in capsys.readouterr().err
    assert store.current() == first and store.history() == [first]


def test_deploy_without_a_running_service_puts_the_file_in_place(
    model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    target = tmp_path / "served.onnx"
    monkeypatch.setenv("PREDICT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PREDICT_MODEL_PATH", str(target))
    assert deploy.main(["deploy", str(model_path)]) == 0
    assert target.read_bytes() == model_path.read_bytes()
    assert "no running service found" in caplog.text
    assert deploy.main(["rollback"]) == 1
    assert "no earlier model in the history" in caplog.text
    assert deploy.main(["deploy", str(tmp_path / "missing.onnx")]) == 1
    assert "not deployed: model file not found" in caplog.text
