"""Start-up check, run in a fresh process: settings valid, model loadable, golden examples reproduced.

`python -m service.check` exits 0 when the service could start, or 3 with one line on stderr saying why.
The gunicorn master runs it before binding, so the master itself never loads onnxruntime (a runtime
initialised before fork() makes workers abort at exit).
"""

from __future__ import annotations

import logging
import sys

from runtime.errors import ModelError
from runtime.predictor import Predictor
from service.errors import StartupError
from service.settings import Settings

logger = logging.getLogger(__name__)

EXIT_STARTUP = 3  # gunicorn halts, instead of respawning workers forever, when a worker exits with 3


def main() -> int:
    """Run every start-up check; print one line and return EXIT_STARTUP on failure."""
    try:
        settings = Settings.from_env()
        Predictor.from_path(settings.model_path, settings.threshold)
    except (StartupError, ModelError) as exc:
        sys.stderr.write(f"purchase-predictor: cannot start: {exc}\n")
        sys.stderr.flush()
        return EXIT_STARTUP
    return 0


if __name__ == "__main__":
    sys.exit(main())
