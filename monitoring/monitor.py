"""The service's monitor: rows become bin indices in memory on the request path, a background flush adds
them to the store, feedback tokens credit labels to the prediction's own window.

The request path does a few bisects and one deque append (atomic, no lock, no system call); the owner's
flusher calls `flush` every few hundred milliseconds. Raw inputs never leave the request: only bin
indices, the model's probability and decision are queued. While the store is down a flush keeps what it
could not write (monitoring.pending) and the next one retries; the flush also sweeps expired feedback
receipts now and then, off the request path.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from monitoring.documents import DriftDocument, ShadowStatus
from monitoring.evaluate import evaluate_series, service_document
from monitoring.pending import Pending
from monitoring.profile import ReferenceProfile
from monitoring.shadow import Shadow, add_sections
from monitoring.store import CountBatch, Replayed, Store, StoreUnavailable, SumBatch
from monitoring.tokens import Receipt, TokenError, TokenSigner
from monitoring.window import (
    DECISION,
    GENDER_SERIES,
    LABEL,
    OUT_OF_RANGE,
    OUTCOME,
    REJECT_FIELDS,
    REJECTED,
    ROWS,
    SCORE,
    SUM_BRIER,
    SUM_BRIER_SQ,
    SUM_P_NO,
    SUM_P_YES,
    SUM_VAR,
    Key,
    WindowData,
    add_rows,
    row_bins,
    score_key,
    window_start,
)
from runtime import contract as c

logger = logging.getLogger(__name__)
_RANDOM = random.Random()  # its own generator: jitter must not move the global one (tests seed it)

Queued = tuple[Any, ...]
SWEEP_INTERVAL_S = 60.0  # how often each process deletes expired feedback receipts
SWEEP_BATCH = 1000  # receipts per delete (one short transaction each)
SWEEP_BATCHES = 10  # deletes per sweep at most


class FeedbackError(Exception):
    """Feedback that cannot be accepted: HTTP status, message and the item's index."""

    def __init__(self, status: int, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.index = status, message, index


class Monitor:
    """Per-process accumulator in front of a shared store."""

    def __init__(
        self,
        profile: ReferenceProfile,
        store: Store,
        signer: TokenSigner,
        model_version: str,
        threshold: float,
        training_ranges: dict[str, tuple[float, float]],
        window_s: int = 86_400,
        wake: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.profile, self.store, self.signer = profile, store, signer
        self.model_version, self.threshold, self.window_s = model_version, threshold, window_s
        self.training_ranges = training_ranges
        self._wake, self.clock = wake, clock
        self._queue: deque[Queued] = deque()
        self._age_range, self._salary_range = training_ranges[c.AGE], training_ranges[c.SALARY]
        self.pending = Pending()  # what failed flushes could not write, retried by the next ones
        self._flushing = threading.Lock()  # one flush at a time: the last one at exit waits for the flusher's
        self.on_status: Callable[[bool, int], None] = lambda up, pending_rows: None  # gauges
        self.on_lost: Callable[[int], None] = lambda rows: None  # rows unwritten at exit
        self._reported: tuple[bool, int] | None = None
        self._next_sweep = time.monotonic() + _RANDOM.uniform(0, SWEEP_INTERVAL_S)
        self.shadow: Shadow | None = None  # a candidate scored beside the model (monitoring.shadow)
        self.shadow_status: ShadowStatus | None = None

    # --- request path -------------------------------------------------------------------------------
    def observe_one(self, age: float, salary: float, gender: str, probability: float, buy: bool) -> str:
        """Queue one scored row as bins; return its feedback token."""
        now = self.clock()
        start = window_start(now, self.window_s)
        a_lo, a_hi = self._age_range
        s_lo, s_hi = self._salary_range
        outside = (not a_lo <= age <= a_hi, not s_lo <= salary <= s_hi)
        bins = row_bins(self.profile, age, salary, gender, probability)
        self._queue.append((start, *bins, probability, buy, outside))
        if self.shadow is not None:  # shadow scoring (monitoring.shadow)
            self.shadow.observe_one(start, age, salary, gender, probability, buy)
        self._wake()
        return self.signer.issue(start, now, probability, buy, self.model_version)

    def observe_many(
        self, columns: tuple[Any, Any, Any], probabilities: Any, tokens: bool = True
    ) -> list[str]:
        """Queue a batch's aggregated bins and sums; return one feedback token per row (if asked)."""
        now = self.clock()
        start = window_start(now, self.window_s)
        counts: dict[Key, int] = {}
        sums: dict[str, float] = {}
        add_rows(counts, sums, self.profile, columns, probabilities, self.threshold, self.training_ranges)
        self._queue.append((start, counts, sums))
        if self.shadow is not None:  # shadow scoring (monitoring.shadow)
            self.shadow.observe_many(start, columns, probabilities, self.threshold)
        self._wake()
        if not tokens:
            return []
        p = np.asarray(probabilities, dtype=np.float64).tolist()
        return [self.signer.issue(start, now, v, v >= self.threshold, self.model_version) for v in p]

    def observe_rejected(self, fields: list[str]) -> None:
        """Count one rejected request by the fields that failed validation (names only, never values)."""
        counts: dict[Key, int] = {}
        for name in set(fields) or {"other"}:
            index = REJECT_FIELDS.index(name) if name in REJECT_FIELDS else len(REJECT_FIELDS) - 1
            counts[(REJECTED, index)] = counts.get((REJECTED, index), 0) + 1
        self._queue.append((window_start(self.clock(), self.window_s), counts, {}))
        self._wake()

    # --- background ---------------------------------------------------------------------------------
    def flush(self, background: bool = True) -> None:
        """Aggregate the queue and add it, with anything a failed flush left, to the store in one
        transaction; on failure keep it all for the next flush (never raises StoreUnavailable).
        `background` (the flusher) may reconnect to a store that is down and sweeps expired receipts."""
        if not self._flushing.acquire(timeout=-1 if background else self.store.timeout_s):
            return  # a request does not wait long for the flusher's write (it is what it would do)
        try:
            self.pending.add(*self._drain())
            if self.shadow is not None:
                self.pending.add(*self.shadow.drain(self.window_s, self.model_version))
            counts, sums = self.pending.take()
            try:
                if counts or sums:
                    self.store.add(counts, sums, background)
                elif background and not self.store.up:
                    self.store.probe()  # nothing to write, but see whether the store is back
            except StoreUnavailable:
                self.pending.add(counts, sums)
            if background:
                self._sweep()
                self.report()
        finally:
            self._flushing.release()

    def _drain(self) -> tuple[CountBatch, SumBatch]:
        """The queued rows as counts and sums per window."""
        counts: CountBatch = {}
        sums: SumBatch = {}
        queue = self._queue
        while queue:
            item = queue.popleft()
            key = (item[0], item[0] + self.window_s, self.model_version)
            batch, totals = counts.setdefault(key, {}), sums.setdefault(key, {})
            if len(item) == 3:  # a batch or a rejection, already aggregated
                for k, n in item[1].items():
                    batch[k] = batch.get(k, 0) + n
                for name, v in item[2].items():
                    totals[name] = totals.get(name, 0.0) + v
                continue
            _, age_bin, salary_bin, gender, score_bin, p, buy, outside = item
            for k in (
                (c.AGE, age_bin),
                (c.SALARY, salary_bin),
                (GENDER_SERIES, gender),
                (SCORE, score_bin),
                (DECISION, int(buy)),
                (ROWS, 0),
            ):
                batch[k] = batch.get(k, 0) + 1
            for index, out in enumerate(outside):
                if out:
                    batch[(OUT_OF_RANGE, index)] = batch.get((OUT_OF_RANGE, index), 0) + 1
            name = SUM_P_YES if buy else SUM_P_NO
            totals[name] = totals.get(name, 0.0) + p
            totals[SUM_VAR] = totals.get(SUM_VAR, 0.0) + p * (1 - p)
        return counts, sums

    def _sweep(self) -> None:
        """Every SWEEP_INTERVAL_S, delete expired receipts in small batches (they only guarded replays of
        tokens that verification now refuses as expired)."""
        if time.monotonic() < self._next_sweep or not self.store.up:
            return
        self._next_sweep = time.monotonic() + SWEEP_INTERVAL_S
        try:
            for _ in range(SWEEP_BATCHES):
                if self.store.sweep_receipts(int(self.clock()), SWEEP_BATCH) < SWEEP_BATCH:
                    break
        except StoreUnavailable:
            pass  # the next flush retries the writes; the next sweep the receipts

    def report(self) -> None:
        """Pass the store's state and the rows held in memory to `on_status` when they changed."""
        status = (self.store.up, self.pending.rows)
        if status != self._reported:
            self._reported = status
            self.on_status(*status)

    def at_exit(self) -> None:
        """At exit: one more try whatever the backoff, then log and count what the store could not take
        (it is lost)."""
        if self.pending.entries and not self.store.up:
            self.store.health.retry_now()
            self.flush()
        rows, entries = self.pending.rows, self.pending.entries
        if entries:
            logger.warning(
                "monitoring store (%s) unavailable at exit: %d scored rows (%d counts) of this process "
                "were not written",
                self.store.kind,
                rows,
                entries,
            )
            self.on_lost(rows)

    def discard(self) -> None:
        """Drop queued and held rows (a forked child's copy of its parent's)."""
        self._queue.clear()
        self.pending.clear()
        if self.shadow is not None:
            self.shadow.discard()
        self._flushing = threading.Lock()

    # --- feedback -----------------------------------------------------------------------------------
    def feedback(self, items: list[tuple[object, object]]) -> int:
        """Credit (token, purchased) pairs to their windows, all or nothing; FeedbackError otherwise,
        StoreUnavailable while the store is down (nothing kept: the client retries)."""
        now = self.clock()
        receipts: list[tuple[Receipt, int]] = []
        for index, (token, purchased) in enumerate(items):
            if not isinstance(purchased, bool):
                raise FeedbackError(400, "purchased must be true or false", index)
            try:
                receipts.append((self.signer.verify(token, now), int(purchased)))
            except TokenError as exc:
                raise FeedbackError(exc.status, str(exc), index) from None
        counts: CountBatch = {}
        sums: SumBatch = {}
        nonces = []
        for receipt, label in receipts:
            key = (receipt.window, receipt.window + self.window_s, receipt.model_version)
            batch, totals = counts.setdefault(key, {}), sums.setdefault(key, {})
            for k in (
                (OUTCOME, int(receipt.buy) + 2 * label),
                (LABEL, score_key(receipt.probability) * 2 + label),
            ):
                batch[k] = batch.get(k, 0) + 1
            error = (receipt.probability - label) ** 2
            totals[SUM_BRIER] = totals.get(SUM_BRIER, 0.0) + error
            totals[SUM_BRIER_SQ] = totals.get(SUM_BRIER_SQ, 0.0) + error * error
            nonces.append((receipt.nonce.hex(), self.signer.expires(receipt)))
        if len({n for n, _ in nonces}) != len(nonces):
            raise FeedbackError(409, "the same feedback_token appears twice in this request")
        try:
            self.store.add_feedback(nonces, counts, sums)
        except StoreUnavailable:
            self._wake()  # make sure the flusher runs here: it is what retries a store that is down
            raise
        except Replayed as exc:
            index = next(i for i, (n, _) in enumerate(nonces) if n == exc.args[0])
            raise FeedbackError(409, "this feedback_token was already used", index) from None
        return len(receipts)

    # --- reading ------------------------------------------------------------------------------------
    def windows(self, limit: int = 30) -> list[WindowData]:
        """The latest windows of every model version, this process's queue flushed first;
        StoreUnavailable while the store is down."""
        self.flush(background=False)
        try:
            return self.store.windows(limit)
        except StoreUnavailable:
            self._wake()
            raise

    def drift(self, limit: int = 30) -> DriftDocument:
        """The /monitoring/drift document: evaluated windows, newest last, and whether each is closed."""
        now = self.clock()
        windows = self.windows(limit)
        entries = evaluate_series(self.profile, windows, now)
        add_sections(entries, windows, self.shadow)  # each window's "shadow" section (monitoring.shadow)
        version, status = self.model_version, self.shadow_status
        return service_document(self.window_s, self.store.kind, version, entries, status)
