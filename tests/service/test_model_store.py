"""The model store: content-addressed validated models, current pointer, history; check --install; deploy."""

from __future__ import annotations

import hashlib
import json
import logging
import stat
from pathlib import Path

import pytest

from service.process import check, deploy
from service.process.model_store import HISTORY_SIZE, ModelStore, StoreError
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


def _served_marks(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The history lines `make model-history` marks as served."""
    lines = [r.getMessage() for r in caplog.records if r.name == "service.process.deploy"]
    return [line for line in lines if line.startswith("*")]


def test_history_marks_one_served_entry_after_a_model_comes_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    store = ModelStore(tmp_path)
    first, _ = store.install(b"model-a", "va")
    store.install(b"model-b", "vb")
    back, changed = store.install(b"model-a", "va")  # what a rollback to the first model installs
    assert changed and back.sha256 == first.sha256 and back != first
    deploy.show_history(store)
    marks = _served_marks(caplog)
    assert len(marks) == 1 and "va" in marks[0], marks
    assert next(r.getMessage() for r in caplog.records).startswith("*"), "the served entry is the newest"


def _with_card(folder: Path, version: str, card_has_hash: bool = True) -> Path:
    """A model and the card `make export` writes beside it (older cards name only the version)."""
    model = write_model(folder / "purchase_model.onnx", {"model_version": version})
    card: dict[str, object] = {"metadata": {"model_version": version}, "model_file": model.name}
    if card_has_hash:
        card["sha256"] = hashlib.sha256(model.read_bytes()).hexdigest()
    (folder / "model_card.json").write_text(json.dumps(card))
    return model


def test_deploy_deploy_rollback_rollback_marks_one_served_entry_and_carries_its_card(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    served = tmp_path / "models" / "purchase_model.onnx"
    served.parent.mkdir()
    committed = _with_card(served.parent, "logreg-a", card_has_hash=False)  # the committed card's format
    b = _with_card(tmp_path / "run-b", "logreg-b")
    c = _with_card(tmp_path / "run-c", "logreg-c")
    store = ModelStore(tmp_path / "state")
    monkeypatch.setenv("PREDICT_STATE_DIR", str(store.root))
    monkeypatch.setenv("PREDICT_MODEL_PATH", str(served))
    cards = {
        v: (f.parent / "model_card.json").read_bytes()
        for v, f in (("logreg-a", committed), ("logreg-b", b), ("logreg-c", c))
    }
    assert check.main(["--install"]) == 0  # `make serve` starts on the committed model

    def step(*command: str) -> str:
        """One deploy/rollback, then the master's reload (what SIGHUP runs); the served version."""
        assert deploy.main(list(command)) == 0, caplog.text
        assert check.main(["--install"]) == 0
        caplog.clear()
        assert deploy.main(["history"]) == 0
        marks = _served_marks(caplog)
        assert len(marks) == 1, marks
        current = store.current()
        assert current is not None and current.version in marks[0]
        assert current.sha256 == hashlib.sha256(served.read_bytes()).hexdigest()
        assert (served.parent / "model_card.json").read_bytes() == cards[current.version]
        assert "note:" not in caplog.text, caplog.text
        return current.version

    assert step("deploy", str(b)) == "logreg-b"
    assert step("deploy", str(c)) == "logreg-c"
    assert step("rollback") == "logreg-b"
    assert step("rollback") == "logreg-c"
    assert [e.version for e in store.history()] == [
        "logreg-a",
        "logreg-b",
        "logreg-c",
        "logreg-b",
        "logreg-c",
    ]


def test_rollback_to_the_first_model_restores_its_card_and_a_cardless_model_leaves_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    served = tmp_path / "models" / "purchase_model.onnx"
    served.parent.mkdir()
    _with_card(served.parent, "logreg-a", card_has_hash=False)
    committed_card = (served.parent / "model_card.json").read_bytes()
    bare = write_model(tmp_path / "bare" / "m.onnx", {"model_version": "logreg-bare"})
    monkeypatch.setenv("PREDICT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PREDICT_MODEL_PATH", str(served))
    assert check.main(["--install"]) == 0
    assert deploy.main(["deploy", str(bare)]) == 0 and check.main(["--install"]) == 0
    assert (
        f"{bare.with_name('model_card.json')} is missing; the model is deployed without a card" in caplog.text
    )
    assert not (served.parent / "model_card.json").exists(), "no card describing another model"
    assert deploy.main(["rollback"]) == 0 and check.main(["--install"]) == 0
    assert (served.parent / "model_card.json").read_bytes() == committed_card
    caplog.clear()
    assert deploy.main(["history"]) == 0
    assert [m.split()[4] for m in _served_marks(caplog)] == ["logreg-a"]


def test_history_says_when_the_file_at_the_model_path_is_not_served_yet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    served = _with_card(tmp_path / "models", "logreg-a")
    monkeypatch.setenv("PREDICT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PREDICT_MODEL_PATH", str(served))
    assert check.main(["--install"]) == 0
    other = _with_card(tmp_path / "c", "logreg-c")
    (other.parent / "model_card.json").write_text(json.dumps({"sha256": "0" * 64}))  # another model's card
    assert deploy.main(["deploy", str(other)]) == 0  # no service running: the file waits for the next start
    assert "model_card.json describes another model; the model is deployed without a card" in caplog.text
    assert deploy.main(["deploy", str(_with_card(tmp_path / "b", "logreg-b"))]) == 0
    caplog.clear()
    assert deploy.main(["history"]) == 0
    assert "is not the served model; it is checked and served at the next reload or start" in caplog.text
    assert "describes another model than the served one" in caplog.text
