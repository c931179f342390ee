"""Progress of a training run: one plain log line per stage with counts and the time since the start.

Lines go through logging to stderr, never a progress bar: a scheduled job's log gets one readable line
per stage, the same on a terminal and in a file.
"""

from __future__ import annotations

import logging
import time

logger = logging.getLogger("training.progress")


class Progress:
    """Log `progress: <stage>  (elapsed Ns)` lines measured from the run's start."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self.started

    def step(self, message: str, *args: object) -> None:
        """One progress line (printf-style arguments, like logging)."""
        logger.info("progress: " + message + "  (elapsed %.1fs)", *args, self.elapsed())
