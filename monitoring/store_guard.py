"""How the monitoring store fails soft: whether it is up, when to try it again, and a deadline on every call.

`Health` is the store's up/down state. The first failure marks it down (one log line) and schedules the
next attempt with exponential backoff and jitter; callers that may reconnect (the background flush) wait
for that moment, callers that may not (request threads) are refused at once. The first success after an
outage marks it up again (one log line). Nothing here logs a traceback.

`Watchdog` bounds a store call in time from the client side. A frozen server (SIGSTOP) still has a kernel
that acknowledges packets, so neither TCP keepalives nor the server's statement_timeout fire; one thread
per process watches the call in flight and, past its deadline, aborts it (PostgreSQL: shuts the socket
down, so the blocked call fails at once; SQLite: `interrupt()`).
"""

from __future__ import annotations

import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)
_RANDOM = random.Random()  # its own generator: jitter must not move the global one (tests seed it)

FIRST_RETRY_S = 0.5
MAX_RETRY_S = 5.0
JITTER = 0.2  # each wait is scaled by a random factor in [1 - JITTER, 1 + JITTER]


class StoreUnavailable(Exception):
    """The store cannot be used now; `retry_after` is how many seconds a client should wait."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def reason(exc: BaseException) -> str:
    """A one-line, bounded description of a store error (its class and the first line of its message)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = text[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Health:
    """Up or down, when to try again, and the log lines of each change (one per change, none per retry)."""

    def __init__(
        self,
        name: str,
        on_change: Callable[[bool], None] = lambda up: None,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = lambda: _RANDOM.uniform(1 - JITTER, 1 + JITTER),
    ) -> None:
        self.name = name
        self.on_change = on_change
        self._clock, self._jitter = clock, jitter
        self.down_since: float | None = None
        self.failures = 0  # consecutive failed attempts in this outage
        self.retry_at = 0.0

    @property
    def up(self) -> bool:
        """True unless the last attempt failed."""
        return self.down_since is None

    def may_try(self, background: bool) -> bool:
        """Whether a call may use the store now: always when up; when down, a background caller once the
        backoff has elapsed, a request thread never (it answers 503 at once)."""
        return self.down_since is None or (background and self._clock() >= self.retry_at)

    def retry_now(self) -> None:
        """Let the next background call try the store at once (the last flush before exit)."""
        self.retry_at = 0.0

    def retry_after(self) -> int:
        """Whole seconds until the store is tried again (at least 1): the Retry-After of a 503."""
        if self.down_since is None:
            return 1
        return max(1, math.ceil(self.retry_at - self._clock()))

    def refused(self) -> StoreUnavailable:
        """The error for a call refused while the store is down."""
        return StoreUnavailable(f"the monitoring store ({self.name}) is unavailable", self.retry_after())

    def failed(self, exc: BaseException) -> StoreUnavailable:
        """Record a failed attempt (the first one is logged) and return the error to raise."""
        now = self._clock()
        self.failures += 1
        wait = min(MAX_RETRY_S, FIRST_RETRY_S * 2 ** (self.failures - 1)) * self._jitter()
        self.retry_at = now + wait
        if self.down_since is None:
            self.down_since = now
            logger.warning(
                "monitoring store (%s) is unavailable (%s); counts are kept in memory and written when it "
                "returns, /feedback and /monitoring/* answer 503 meanwhile; retrying every %.0f s at most",
                self.name,
                reason(exc),
                MAX_RETRY_S,
            )
            self.on_change(False)
        return StoreUnavailable(f"the monitoring store ({self.name}) is unavailable", self.retry_after())

    def succeeded(self) -> None:
        """Record a successful call (the first after an outage is logged)."""
        if self.down_since is None:
            return
        seconds = self._clock() - self.down_since
        self.down_since, self.failures, self.retry_at = None, 0, 0.0
        logger.info("monitoring store (%s) is back after %.1f s", self.name, seconds)
        self.on_change(True)


class Watchdog:
    """Aborts the store call in flight once it outlives its deadline (one thread per process)."""

    def __init__(self, abort: Callable[[], None]) -> None:
        self._abort = abort
        self._cond = threading.Condition()
        self._deadline: float | None = None
        self._started = False
        self.fired = 0  # calls aborted
        os.register_at_fork(after_in_child=self._forked)

    def _forked(self) -> None:
        """A forked child has no watchdog thread yet, and nothing in flight."""
        self._cond = threading.Condition()
        self._deadline, self._started = None, False

    def arm(self, seconds: float) -> None:
        """Start guarding a call that must end within `seconds` (the store's lock allows one at a time)."""
        with self._cond:
            if not self._started:
                try:
                    threading.Thread(
                        target=self._run, args=(self._cond,), name="monitoring-store-watchdog", daemon=True
                    ).start()
                except RuntimeError:  # no new threads at interpreter shutdown: the libpq timeouts remain
                    return
                self._started = True
            self._deadline = time.monotonic() + seconds
            self._cond.notify()

    def disarm(self) -> None:
        """The call ended (in time or not): nothing to abort."""
        with self._cond:
            self._deadline = None

    def _run(self, cond: threading.Condition) -> None:
        with cond:
            while True:
                if self._deadline is None:
                    cond.wait()
                    continue
                remaining = self._deadline - time.monotonic()
                if remaining > 0:
                    cond.wait(remaining)
                    continue
                self._deadline = None
                self.fired += 1
                try:
                    self._abort()
                except Exception as exc:  # an abort that fails leaves the call to its own timeouts
                    logger.debug("aborting a store call failed: %s", reason(exc))
