"""deploy, deploy, rollback, rollback on a real gunicorn: one served entry in the history each time, the
served file's card beside it, and /model naming the same version."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.conftest import ServerFactory
from tests.faults.helpers import FIRST_VERSION, deploy, served_version
from tests.onnx_factory import write_model

pytestmark = pytest.mark.integration


def _candidate(folder: Path, version: str) -> Path:
    """A model and the card `make export` writes beside it."""
    model = write_model(folder / "purchase_model.onnx", {"model_version": version})
    card = {
        "model_file": model.name,
        "metadata": {"model_version": version},
        "sha256": hashlib.sha256(model.read_bytes()).hexdigest(),
    }
    (folder / "model_card.json").write_text(json.dumps(card))
    return model


@pytest.mark.parametrize("module", ["service.process.deploy", "purchase_predictor"])  # the command make runs
def test_deploy_deploy_rollback_rollback_keeps_one_served_entry_and_its_card(
    start_server: ServerFactory, live_model: Path, tmp_path: Path, module: str
) -> None:
    b = _candidate(tmp_path / "run-b", "logreg-test000000b")
    c = _candidate(tmp_path / "run-c", "logreg-test000000c")
    served_card = live_model.with_name("model_card.json")
    with start_server(workers=1) as server:
        for command, expected, source in [
            (("deploy", str(b)), "logreg-test000000b", b),
            (("deploy", str(c)), "logreg-test000000c", c),
            (("rollback",), "logreg-test000000b", b),
            (("rollback",), "logreg-test000000c", c),
        ]:
            done = deploy(live_model, server.state_dir, *command, module=module)
            assert done.returncode == 0, done.stderr
            assert served_version(server) == expected
            assert live_model.read_bytes() == source.read_bytes()
            assert served_card.read_bytes() == source.with_name("model_card.json").read_bytes()
            history = deploy(live_model, server.state_dir, "history", module=module).stderr.splitlines()
            marked = [line for line in history if line.startswith("*")]
            assert len(marked) == 1 and expected in marked[0], history
            assert not any(line.startswith("note:") for line in history), history
        newest_first = ["logreg-test000000c", "logreg-test000000b"] * 2 + [FIRST_VERSION]
        assert [line[2:].split()[3] for line in history] == newest_first
