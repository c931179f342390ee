"""Progress: a one-line bar on a terminal (rows, rows/s, ETA), plain log lines every few seconds otherwise."""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

logger = logging.getLogger(__name__)

LOG_EVERY_SECONDS = 10.0
BAR_EVERY_SECONDS = 0.2
BAR_WIDTH = 24


def _duration(seconds: float) -> str:
    """12:34 or 1:02:03."""
    whole = max(int(seconds), 0)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """Reports rows done against an estimated total; a bar when `stream` is a terminal."""

    def __init__(self, total: int, stream: TextIO | None = None, clock: float | None = None) -> None:
        self.total = max(total, 1)
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty()
        self.start = time.monotonic() if clock is None else clock
        self.rows = 0
        self._last = self.start

    def line(self, now: float) -> str:
        """rows, rows/s and ETA (from the estimated total) as one line."""
        elapsed = max(now - self.start, 1e-9)
        rate = self.rows / elapsed
        share = min(self.rows / self.total, 1.0)
        eta = (self.total - self.rows) / rate if rate > 0 and self.rows < self.total else 0.0
        return f"{self.rows:,} rows  {rate:,.0f} rows/s  {share:5.1%}  ETA {_duration(eta)}"

    def advance(self, rows: int) -> None:
        """Count rows and redraw (terminal) or log (otherwise) when it is time."""
        self.rows += rows
        now = time.monotonic()
        if now - self._last < (BAR_EVERY_SECONDS if self.tty else LOG_EVERY_SECONDS):
            return
        self._last = now
        if self.tty:
            filled = int(BAR_WIDTH * min(self.rows / self.total, 1.0))
            self.stream.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {self.line(now)}\x1b[K")
            self.stream.flush()
        else:
            logger.info("progress: %s", self.line(now))

    def finish(self) -> None:
        """End the bar's line on a terminal."""
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
