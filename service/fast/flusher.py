"""One background thread per process that writes out queued observability data (access lines, metrics).

Request threads only append to in-memory queues (atomic deque appends, no lock, no system call). Writing
to stderr or to prometheus_client's shared files costs system calls and locks, and every system call
releases the GIL: under load each release hands the interpreter to another thread and back, which costs
more than the work itself. The thread writes every INTERVAL_S and once more at interpreter exit, so a
process killed outright (SIGKILL) loses at most the last INTERVAL_S of access lines and metric updates.
A target that keeps failing is logged once with its traceback, then once when it works again: never a
traceback per round (a target that can fail softly, like the monitoring store, does not raise at all).
After the last flush at exit, targets with an `at_exit` method report what they could not write.
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
        self._failing: set[Queued] = set()  # targets whose last flush raised (logged once)
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

    def _flush_each(self) -> None:
        """One round of the thread: every target, each failure logged once per run of failures."""
        for target in list(self._targets):
            try:
                target.flush()
            except Exception:  # never let the thread die: the next round retries
                if target not in self._failing:
                    self._failing.add(target)
                    logger.exception("flushing %s failed; retrying quietly", type(target).__name__)
                continue
            if target in self._failing:
                self._failing.discard(target)
                logger.info("flushing %s works again", type(target).__name__)

    def at_exit(self) -> None:
        """The last flush at interpreter exit, then each target's `at_exit` (what it could not write)."""
        for target in list(self._targets):
            try:
                target.flush()
            except Exception:
                logger.exception("flushing %s at exit failed", type(target).__name__)
            report = getattr(target, "at_exit", None)
            if report is not None:
                try:
                    report()
                except Exception:
                    logger.exception("reporting what %s could not write failed", type(target).__name__)

    def _forked(self) -> None:
        """In a new child: no thread yet, and the parent's queued data is the parent's to write."""
        for target in self._targets:
            target.discard()
        self._lock = threading.Lock()
        self._running = False
        self._failing = set()

    def _run(self) -> None:
        while True:
            time.sleep(INTERVAL_S)
            self._flush_each()


FLUSHER = Flusher()
flush_all = FLUSHER.flush_all
atexit.register(FLUSHER.at_exit)
