"""Start-up and reload check in a fresh process: settings valid, model loadable, golden examples reproduced.

`python -m service.process.check` exits 0 when the service could start, or 3 with one line on stderr saying
why (4 when the reason is a bad setting: the master then refuses to start even if it holds a validated model).
`python -m service.process.check --install` also copies the validated bytes into the model store
(PREDICT_STATE_DIR, service.process.model_store), where workers load them from; on failure it writes only the
reason and leaves the store as it was, unless the store's current model fails the same checks (a store
written before a rule was added): then the newest model of the history that passes becomes current again,
or none does and no stored model is served. The gunicorn master runs it before binding and on every SIGHUP,
so the master itself never loads onnxruntime (a runtime initialised before fork() makes workers abort at
exit) and no worker ever opens an unchecked file.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from runtime.contract import printable, shown
from runtime.errors import ModelError
from runtime.model import read_model_bytes
from runtime.predictor import Predictor
from service.process.model_store import Entry, ModelStore, StoreError
from service.process.settings import Settings
from service.process.startup_errors import StartupError

logger = logging.getLogger(__name__)

EXIT_STARTUP = 3  # gunicorn halts, instead of respawning workers forever, when a worker exits with 3
EXIT_SETTINGS = 4  # a PREDICT_* variable is bad (service.process.reload.EXIT_SETTINGS): no model can help


def validated(settings: Settings, path: Path, data: bytes | None = None) -> Predictor:
    """The model at `path` (or its bytes), through every check of the contract; raises ModelError."""
    if data is None:
        data = read_model_bytes(path, settings.max_model_bytes)
    return Predictor.from_path(path, settings.threshold, data, settings.max_model_bytes)


def install(settings: Settings) -> str:
    """Validate the model at the model path and make it the store's current model; returns its version."""
    if settings.state_dir is None:
        raise StartupError("PREDICT_STATE_DIR must be set to install a model")
    store = ModelStore(settings.state_dir)
    try:
        data = read_model_bytes(settings.model_path, settings.max_model_bytes)
        predictor = validated(settings, settings.model_path, data)
    except ModelError as exc:
        raise ModelError(f"{exc}{keep_servable(settings, store)}") from None
    entry, changed = store.install(data, predictor.model_version)
    logger.info("model installed" if changed else "model unchanged", extra={"model_version": entry.version})
    return entry.version


def keep_servable(settings: Settings, store: ModelStore) -> str:
    """After a refused candidate: leave a current model that passes today's checks, or none; what was done
    ("" when the current model passes)."""
    current = store.current()
    reason = None if current is None else _passes(settings, store, current)
    if current is None or reason is None:
        return ""
    sys.stderr.write(f"stored model {shown(current.version)} fails today's checks: {printable(reason)}\n")
    for entry in reversed(store.history()):
        if entry.sha256 != current.sha256 and _passes(settings, store, entry) is None:
            store.restore(entry)
            return f" (the stored model {shown(current.version)} fails too; back to {entry.version})"
    store.forget_current()
    return f" (the stored model {shown(current.version)} fails too and no earlier one passes)"


def _passes(settings: Settings, store: ModelStore, entry: Entry) -> str | None:
    """None when a stored model passes every check, else why not."""
    try:
        path, data = store.read(entry)
        predictor = validated(settings, path, data)
    except (ModelError, StoreError) as exc:
        return str(exc)
    if predictor.model_version != entry.version:
        return f"it says it is {shown(predictor.model_version)}, the store says {shown(entry.version)}"
    return None


def main(argv: list[str] | None = None) -> int:
    """Run every start-up check (and install the model when asked); one line and EXIT_STARTUP on failure."""
    parser = argparse.ArgumentParser(prog="python -m service.process.check")
    parser.add_argument("--install", action="store_true", help="copy the validated model into the store")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except StartupError as exc:
        reason = printable(str(exc))
        sys.stderr.write(f"{reason}\n" if args.install else f"purchase-predictor: cannot start: {reason}\n")
        sys.stderr.flush()
        return EXIT_SETTINGS
    try:
        if args.install:
            install(settings)
        else:
            validated(settings, settings.model_path)
    except (StartupError, ModelError, StoreError, OSError) as exc:
        reason = printable(str(exc)) if not isinstance(exc, OSError) else f"state directory: {exc.strerror}"
        sys.stderr.write(reason + "\n" if args.install else f"purchase-predictor: cannot start: {reason}\n")
        sys.stderr.flush()
        return EXIT_STARTUP
    return 0


if __name__ == "__main__":
    sys.exit(main())
