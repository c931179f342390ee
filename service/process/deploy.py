"""`make deploy-model MODEL=path.onnx`, `make rollback`, `make model-history`: safe model updates by hand.

deploy: check the candidate here (contract, signature, golden self-test), copy it over PREDICT_MODEL_PATH
atomically, send SIGHUP to the gunicorn master (found through the pidfile in PREDICT_STATE_DIR) and wait
for the master's own check to finish. rollback: the same with the newest earlier model of the store's
history (a second rollback goes forward again). Exit status 0 when the service serves what was asked
(or no service is running and the file is in place for its next start), 1 otherwise.

The model card travels with the model: `model_card.json` beside the candidate (what `make export` writes),
if it names the candidate's SHA-256, is kept in the store under that hash and written beside the served
path once the service serves the model; a rollback restores the card of the model it goes back to. A model
that comes without its card leaves no card beside the served path, rather than one describing another
model. The history marks exactly one entry as served: the deployment the store's current.json names.

What it prints never holds a raw string from a model file or the store: versions go through
runtime.contract.shown and reasons through runtime.contract.printable (a newline in a version cannot
forge a log line).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from runtime.contract import printable, shown
from runtime.errors import ModelError
from runtime.model import read_model_bytes
from runtime.predictor import Predictor
from service.process import shadow_slot
from service.process.model_store import ModelStore, StoreError, write_atomically
from service.process.settings import Settings
from service.process.startup_errors import StartupError

logger = logging.getLogger(__name__)

WAIT_S = 180
CARD_NAME = "model_card.json"  # beside every model file (export/cli.py writes it under the same name)
MAX_CARD_BYTES = 1 << 20


class DeployError(Exception):
    """The update cannot be made; the message says why."""


class CandidateRefused(DeployError):
    """The model to deploy fails its checks: nothing was switched (the command's exit 3, not 5)."""


def master_pid(store: ModelStore) -> int | None:
    """The running gunicorn master's pid from the pidfile, or None when no master runs."""
    try:
        pid = int(store.pidfile.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"gunicorn" in cmdline else None  # a stale pidfile may name an unrelated process


def switch(settings: Settings, store: ModelStore, data: bytes, version: str, timeout: float) -> None:
    """Put `data` at the model path atomically, trigger the master's reload and wait for its outcome."""
    write_atomically(settings.model_path, data, 0o644)
    served = reload_service(store, timeout)
    if served is None:
        logger.info(
            "%s is in place at %s; no running service found (%s), it is served at the next start",
            shown(version),
            settings.model_path,
            store.pidfile,
        )
    else:
        logger.info("the service now serves %s", shown(served))


def reload_service(store: ModelStore, timeout: float) -> str | None:
    """SIGHUP the running master, wait for its check's outcome and for every old worker to drain; the
    version served, or None when no service runs. DeployError when the service refused the model."""
    pid = master_pid(store)
    if pid is None:
        return None
    seq, old_workers = store.last_reload().get("seq", 0), children(pid)
    os.kill(pid, signal.SIGHUP)
    deadline = time.monotonic() + timeout
    while (outcome := store.last_reload()).get("seq", 0) == seq:
        if time.monotonic() > deadline:
            raise DeployError(f"the service did not finish its reload within {timeout:g} s")
        time.sleep(0.2)
    if not outcome.get("ok"):
        raise DeployError(
            f"the service refused the model and still serves {shown(outcome.get('version'))}: "
            f"{outcome.get('reason')}"
        )
    while old_workers & children(pid):  # the switch is complete once every old worker has drained
        if time.monotonic() > deadline:
            raise DeployError(f"the old workers did not exit within {timeout:g} s")
        time.sleep(0.2)
    return str(outcome.get("version"))


def children(parent: int) -> set[int]:
    """Pids of the processes whose parent is `parent` (read from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.add(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def card_path(model: Path) -> Path:
    """Where a model file's card is: model_card.json in the same folder."""
    return model.with_name(CARD_NAME)


def matching_card(path: Path, sha256: str, version: str) -> bytes | None:
    """The card at `path` if it describes the model with these bytes (its `sha256`; a card exported before
    cards carried the hash: its model_version), else None."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CARD_BYTES + 1)
        card = json.loads(data) if len(data) <= MAX_CARD_BYTES else None
    except (OSError, ValueError):
        return None
    if not isinstance(card, dict):
        return None
    if "sha256" in card:
        return data if card["sha256"] == sha256 else None
    metadata = card.get("metadata")
    return data if isinstance(metadata, dict) and metadata.get("model_version") == version else None


def keep_served_card(settings: Settings, store: ModelStore) -> None:
    """Before a switch: keep the served model's card in the store, so a rollback can bring it back."""
    current = store.current()
    if current is not None and store.card(current.sha256) is None:
        card = matching_card(card_path(settings.model_path), current.sha256, current.version)
        if card is not None:
            store.put_card(current.sha256, card)


def place_card(settings: Settings, card: bytes | None) -> None:
    """After a switch: the served model's card beside the served path, or no card at all."""
    target = card_path(settings.model_path)
    if card is not None:
        write_atomically(target, card, 0o644)
        logger.info("its model card is at %s", target)
    elif target.exists():
        target.unlink()
        logger.info("removed %s: it described another model and this one came without a card", target)


def checked_candidate(settings: Settings, candidate: Path) -> tuple[bytes, Predictor]:
    """The candidate's bytes and model through every check of a deploy; CandidateRefused otherwise."""
    try:
        data = read_model_bytes(candidate, settings.max_model_bytes)
        return data, Predictor.from_path(candidate, settings.threshold, data, settings.max_model_bytes)
    except ModelError as exc:
        raise CandidateRefused(f"not deployed: {exc}") from None


def candidate_card(candidate: Path, sha256: str, version: str) -> bytes | None:
    """The card beside the candidate if it describes it, else None (and one warning line)."""
    card = matching_card(card_path(candidate), sha256, version)
    if card is None:
        problem = "describes another model" if card_path(candidate).exists() else "is missing"
        logger.warning(
            "%s %s; the model is deployed without a card", printable(str(card_path(candidate))), problem
        )
    return card


def deploy(settings: Settings, store: ModelStore, candidate: Path, timeout: float) -> None:
    """Check a model file and switch the service to it, with the card beside it."""
    data, predictor = checked_candidate(settings, candidate)
    version, sha256 = predictor.model_version, hashlib.sha256(data).hexdigest()
    card = candidate_card(candidate, sha256, version)
    logger.info("%s passed its checks; deploying", shown(version))
    deploy_checked(settings, store, data, version, card, timeout)


def deploy_checked(
    settings: Settings, store: ModelStore, data: bytes, version: str, card: bytes | None, timeout: float
) -> None:
    """Switch the service to checked model bytes and their card (deploy, and promote of a shadow)."""
    keep_served_card(settings, store)
    if card is not None:
        store.put_card(hashlib.sha256(data).hexdigest(), card)
    switch(settings, store, data, version, timeout)
    place_card(settings, card)


def rollback(settings: Settings, store: ModelStore, timeout: float) -> None:
    """Switch the service back to the newest earlier model of the history, and its card."""
    entry = store.previous()
    if entry is None:
        raise DeployError("no earlier model in the history to roll back to")
    path, data = store.read(entry)
    try:  # a store written by an older release may hold a model today's checks refuse
        Predictor.from_path(path, settings.threshold, data, settings.max_model_bytes)
    except ModelError as exc:
        raise DeployError(f"not rolled back: {exc}") from None
    logger.info("rolling back to %s", shown(entry.version))
    keep_served_card(settings, store)
    switch(settings, store, data, entry.version, timeout)
    place_card(settings, store.card(entry.sha256))


def show_history(store: ModelStore, settings: Settings | None = None) -> None:
    """Log the deployed models, newest first; `*` marks the one served (exactly one entry); with settings,
    also say when the file at the model path or its card is not the served model."""
    history, served = store.history(), store.served_index()
    for index in reversed(range(len(history))):
        entry = history[index]
        when = datetime.fromtimestamp(entry.deployed_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        card = "card" if store.card(entry.sha256) is not None else "no card"
        logger.info(
            "%s %s  %s  sha256:%s  %s",
            "*" if index == served else " ",
            when,
            shown(entry.version),
            shown(entry.sha256[:16]),
            card,
        )

    if (shadow := shadow_slot.describe(store.root)) is not None:
        logger.info("%s", shadow)
    current = store.current()
    if settings is None or current is None:
        return
    try:
        on_disk = hashlib.sha256(settings.model_path.read_bytes()).hexdigest()
    except OSError:
        on_disk = None
    if on_disk != current.sha256:
        logger.info(
            "note: %s is not the served model; it is checked and served at the next reload or start",
            printable(str(settings.model_path)),
        )
    served_card = card_path(settings.model_path)
    if served_card.exists() and matching_card(served_card, current.sha256, current.version) is None:
        logger.info("note: %s describes another model than the served one", printable(str(served_card)))


def main(argv: list[str] | None = None) -> int:
    """Run one command; 0 on success, 1 with one line saying why otherwise."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    parser = argparse.ArgumentParser(prog="python -m service.process.deploy")
    parser.add_argument("command", choices=["deploy", "rollback", "history"])
    parser.add_argument("model", nargs="?", type=Path, help="the .onnx file to deploy")
    parser.add_argument("--timeout", type=float, default=WAIT_S, help="seconds to wait for the reload")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        if settings.state_dir is None:
            raise DeployError("PREDICT_STATE_DIR must name the running service's state directory")
        store = ModelStore(settings.state_dir)
        if args.command == "deploy":
            if args.model is None:
                raise DeployError("name the model to deploy: make deploy-model MODEL=path.onnx")
            deploy(settings, store, args.model, args.timeout)
        elif args.command == "rollback":
            rollback(settings, store, args.timeout)
        else:
            show_history(store, settings)
    except (DeployError, StartupError, StoreError) as exc:
        logger.error("%s", printable(str(exc)))
        return 1
    except OSError as exc:
        logger.error("%s: %s", printable(str(exc.filename or "file")), exc.strerror)
        return 1
    return 0


if __name__ == "__main__":
    logging.getLogger("runtime").setLevel(logging.WARNING)  # this command says itself what it checked
    sys.exit(main())
