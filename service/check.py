"""Start-up and reload check in a fresh process: settings valid, model loadable, golden examples reproduced.

`python -m service.check` exits 0 when the service could start, or 3 with one line on stderr saying why
(4 when the reason is a bad setting: the master then refuses to start even if it holds a validated model).
`python -m service.check --install` also copies the validated bytes into the model store
(PREDICT_STATE_DIR, service.model_store), where workers load them from; on failure it writes only the
reason and leaves the store untouched. The gunicorn master runs it before binding and on every SIGHUP,
so the master itself never loads onnxruntime (a runtime initialised before fork() makes workers abort at
exit) and no worker ever opens an unchecked file.
"""

from __future__ import annotations

import argparse
import logging
import sys

from runtime.errors import ModelError
from runtime.model import read_model_bytes
from runtime.predictor import Predictor
from service.errors import StartupError
from service.model_store import ModelStore, StoreError
from service.settings import Settings

logger = logging.getLogger(__name__)

EXIT_STARTUP = 3  # gunicorn halts, instead of respawning workers forever, when a worker exits with 3
EXIT_SETTINGS = 4  # a PREDICT_* variable is bad (service.reload.EXIT_SETTINGS): no model can help


def install(settings: Settings) -> str:
    """Validate the model at the model path and make it the store's current model; returns its version."""
    if settings.state_dir is None:
        raise StartupError("PREDICT_STATE_DIR must be set to install a model")
    data = read_model_bytes(settings.model_path)
    predictor = Predictor.from_path(settings.model_path, settings.threshold, data)
    entry, changed = ModelStore(settings.state_dir).install(data, predictor.model_version)
    logger.info("model installed" if changed else "model unchanged", extra={"model_version": entry.version})
    return entry.version


def main(argv: list[str] | None = None) -> int:
    """Run every start-up check (and install the model when asked); one line and EXIT_STARTUP on failure."""
    parser = argparse.ArgumentParser(prog="python -m service.check")
    parser.add_argument("--install", action="store_true", help="copy the validated model into the store")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except StartupError as exc:
        sys.stderr.write(f"{exc}\n" if args.install else f"purchase-predictor: cannot start: {exc}\n")
        sys.stderr.flush()
        return EXIT_SETTINGS
    try:
        if args.install:
            install(settings)
        else:
            Predictor.from_path(settings.model_path, settings.threshold)
    except (StartupError, ModelError, StoreError, OSError) as exc:
        reason = str(exc) if not isinstance(exc, OSError) else f"state directory: {exc.strerror}"
        sys.stderr.write(reason + "\n" if args.install else f"purchase-predictor: cannot start: {reason}\n")
        sys.stderr.flush()
        return EXIT_STARTUP
    return 0


if __name__ == "__main__":
    sys.exit(main())
