"""One background thread per process that writes out queued observability data (access lines, metrics).

Request threads only append to in-memory queues (atomic deque appends, no lock, no system call). Writing
to stderr or to prometheus_client's shared files costs system calls and locks, and every system call
releases the GIL: under load each release hands the interpreter to another thread and back, which costs
more than the work itself. The thread writes every INTERVAL_S and once more at interpreter exit, so a
process killed outright (SIGKILL) loses at most the last INTERVAL_S of access lines and metric updates.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from typing import Protocol

logger = logging.getLogger(__name__)

INTERVAL_S = 0.2


class Queued(Protocol):
    """Something holding queued data: `flush` writes it out, `discard` drops it (in a forked child)."""

    def flush(self) -> None: ...

    def discard(self) -> None: ...


class Flusher:
    """Calls `flush` on every registered target every INTERVAL_S from one daemon thread, started on demand."""

    def __init__(self) -> None:
        self._targets: set[Queued] = set()  # strong references: queued data outlives its owner
        self._lock = threading.Lock()
        self._running = False
        os.register_at_fork(after_in_child=self._forked)

    def register(self, target: Queued) -> None:
        """Flush `target` from now on (its owner calls `ensure_running` when it queues something)."""
        with self._lock:
            self._targets.add(target)

    def ensure_running(self) -> None:
        """Start the thread in this process unless it runs (one attribute check on the hot path)."""
        if self._running:
            return
        with self._lock:
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="observability-flusher", daemon=True).start()

    def flush_all(self) -> None:
        """Write out everything queued in this process now."""
        for target in list(self._targets):
            target.flush()

    def _forked(self) -> None:
        """In a new child: no thread yet, and the parent's queued data is the parent's to write."""
        for target in self._targets:
            target.discard()
        self._lock = threading.Lock()
        self._running = False

    def _run(self) -> None:
        while True:
            time.sleep(INTERVAL_S)
            try:
                self.flush_all()
            except Exception:  # never let the thread die: the next round retries
                logger.exception("flushing observability data failed")


FLUSHER = Flusher()
flush_all = FLUSHER.flush_all
atexit.register(flush_all)
