"""Counts and sums a process holds until the store takes them: a failed write is merged back, not dropped.

Window counts and sums are additive, so what one flush could not write is added to what the next one
brings and written when the store returns: nothing is lost for an outage of any length while the process
lives. The memory it needs is bounded by windows x series x bins (a few hundred entries per window of
the outage), never by the number of rows.
"""

from __future__ import annotations

import threading

from monitoring.store import CountBatch, SumBatch
from monitoring.window import ROWS


def merge(counts: CountBatch, sums: SumBatch, more_counts: CountBatch, more_sums: SumBatch) -> None:
    """Add `more_counts` and `more_sums` into `counts` and `sums`."""
    for window, batch in more_counts.items():
        into = counts.setdefault(window, {})
        for key, n in batch.items():
            into[key] = into.get(key, 0) + n
    for window, totals in more_sums.items():
        into_sums = sums.setdefault(window, {})
        for name, value in totals.items():
            into_sums[name] = into_sums.get(name, 0.0) + value


class Pending:
    """A thread-safe, additive holding area for unwritten counts and sums."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: CountBatch = {}
        self._sums: SumBatch = {}

    def add(self, counts: CountBatch, sums: SumBatch) -> None:
        """Hold more counts and sums (a new flush's, or a failed write's put back)."""
        if counts or sums:
            with self._lock:
                merge(self._counts, self._sums, counts, sums)

    def take(self) -> tuple[CountBatch, SumBatch]:
        """Everything held, leaving nothing (the caller writes it or adds it back)."""
        with self._lock:
            counts, sums = self._counts, self._sums
            self._counts, self._sums = {}, {}
        return counts, sums

    def clear(self) -> None:
        """Drop everything held (a forked child's copy of its parent's)."""
        with self._lock:
            self._counts, self._sums = {}, {}

    @property
    def rows(self) -> int:
        """Scored rows held."""
        with self._lock:
            return sum(batch.get((ROWS, 0), 0) for batch in self._counts.values())

    @property
    def entries(self) -> int:
        """Distinct (window, series, bin) counts and (window, name) sums held: the memory used."""
        with self._lock:
            return sum(map(len, self._counts.values())) + sum(map(len, self._sums.values()))
