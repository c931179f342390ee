"""`make deploy-model MODEL=path.onnx`, `make rollback`, `make model-history`: safe model updates by hand.

deploy: check the candidate here (contract, signature, golden self-test), copy it over PREDICT_MODEL_PATH
atomically, send SIGHUP to the gunicorn master (found through the pidfile in PREDICT_STATE_DIR) and wait
for the master's own check to finish. rollback: the same with the newest earlier model of the store's
history (a second rollback goes forward again). Exit status 0 when the service serves what was asked
(or no service is running and the file is in place for its next start), 1 otherwise.

What it prints never holds a raw string from a model file or the store: versions go through
runtime.contract.shown and reasons through runtime.contract.printable (a newline in a version cannot
forge a log line).
"""

from __future__ import annotations

import argparse
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
from service.errors import StartupError
from service.model_store import ModelStore, StoreError, write_atomically
from service.settings import Settings

logger = logging.getLogger(__name__)

WAIT_S = 180


class DeployError(Exception):
    """The update cannot be made; the message says why."""


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
    pid = master_pid(store)
    if pid is None:
        logger.info("%s is in place at %s; no running service found (%s), it is served at the next start",
                    shown(version), settings.model_path, store.pidfile)  # fmt: skip
        return
    seq, old_workers = store.last_reload().get("seq", 0), children(pid)
    os.kill(pid, signal.SIGHUP)
    deadline = time.monotonic() + timeout
    while (outcome := store.last_reload()).get("seq", 0) == seq:
        if time.monotonic() > deadline:
            raise DeployError(f"the service did not finish its reload within {timeout:g} s")
        time.sleep(0.2)
    if not outcome.get("ok"):
        raise DeployError(f"the service refused the model and still serves {shown(outcome.get('version'))}: "
                          f"{outcome.get('reason')}")  # fmt: skip
    while old_workers & children(pid):  # the switch is complete once every old worker has drained
        if time.monotonic() > deadline:
            raise DeployError(f"the old workers did not exit within {timeout:g} s")
        time.sleep(0.2)
    logger.info("the service now serves %s", shown(outcome.get("version")))


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


def deploy(settings: Settings, store: ModelStore, candidate: Path, timeout: float) -> None:
    """Check a model file and switch the service to it."""
    try:
        data = read_model_bytes(candidate, settings.max_model_bytes)
        predictor = Predictor.from_path(candidate, settings.threshold, data, settings.max_model_bytes)
    except ModelError as exc:
        raise DeployError(f"not deployed: {exc}") from None
    version = predictor.model_version
    logger.info("%s passed its checks; deploying", shown(version))
    switch(settings, store, data, version, timeout)


def rollback(settings: Settings, store: ModelStore, timeout: float) -> None:
    """Switch the service back to the newest earlier model of the history."""
    entry = store.previous()
    if entry is None:
        raise DeployError("no earlier model in the history to roll back to")
    path, data = store.read(entry)
    try:  # a store written by an older release may hold a model today's checks refuse
        Predictor.from_path(path, settings.threshold, data, settings.max_model_bytes)
    except ModelError as exc:
        raise DeployError(f"not rolled back: {exc}") from None
    logger.info("rolling back to %s", shown(entry.version))
    switch(settings, store, data, entry.version, timeout)


def show_history(store: ModelStore) -> None:
    """Log the deployed models, newest first; `*` marks the one served."""
    current = store.current()
    for entry in reversed(store.history()):
        mark = "*" if current is not None and entry.sha256 == current.sha256 else " "
        when = datetime.fromtimestamp(entry.deployed_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        logger.info("%s %s  %s  sha256:%s", mark, when, shown(entry.version), shown(entry.sha256[:16]))


def main(argv: list[str] | None = None) -> int:
    """Run one command; 0 on success, 1 with one line saying why otherwise."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    parser = argparse.ArgumentParser(prog="python -m service.deploy")
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
            show_history(store)
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
