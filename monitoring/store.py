"""Where window counts live: one SQLite file shared by every worker, or PostgreSQL shared by replicas.

Rows only ever add to counts (an upsert `n = n + excluded.n`), so any number of processes can flush into
one store and the totals stay exact. Feedback receipts (token nonces until they expire) guard against
replays. Nothing stored is a raw input.

One connection per process, opened on first use and again after any error (a psycopg connection that
failed is closed for good): the schema is created on each new connection under an advisory lock
(PostgreSQL) or a write lock (SQLite), so replicas that start together never race. Every call is bounded
in time (connect_timeout, statement_timeout and a client-side watchdog) and fails with StoreUnavailable;
monitoring.store_guard decides when the store is tried again.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from monitoring.store_guard import Health, StoreUnavailable, Watchdog
from monitoring.window import Key, WindowData

logger = logging.getLogger(__name__)

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS monitor_counts (window_start BIGINT NOT NULL, window_end BIGINT NOT NULL,
    model_version TEXT NOT NULL, series TEXT NOT NULL, bin INTEGER NOT NULL, n BIGINT NOT NULL,
    PRIMARY KEY (window_start, window_end, model_version, series, bin))""",
    """CREATE TABLE IF NOT EXISTS monitor_sums (window_start BIGINT NOT NULL, window_end BIGINT NOT NULL,
    model_version TEXT NOT NULL, name TEXT NOT NULL, value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (window_start, window_end, model_version, name))""",
    "CREATE TABLE IF NOT EXISTS monitor_receipts (nonce TEXT PRIMARY KEY, expires BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS monitor_receipts_expires ON monitor_receipts (expires)",
)
SCHEMA_LOCK = 0x5052_4544_4D4F_4E  # pg_advisory_xact_lock key held while the schema is created ("PREDMON")
SWEEP = (
    "DELETE FROM monitor_receipts WHERE nonce IN "
    "(SELECT nonce FROM monitor_receipts WHERE expires < ? LIMIT ?)"
)
DEFAULT_TIMEOUT_S = 3.0
ADD_COUNT = (
    "INSERT INTO monitor_counts VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT "
    "(window_start, window_end, model_version, series, bin) DO UPDATE SET n = monitor_counts.n + excluded.n"
)
ADD_SUM = (
    "INSERT INTO monitor_sums VALUES (?, ?, ?, ?, ?) ON CONFLICT (window_start, window_end, model_version, "
    "name) DO UPDATE SET value = monitor_sums.value + excluded.value"
)
# (window_start, window_end, model_version) -> counts / sums of that window
CountBatch = dict[tuple[int, int, str], dict[Key, int]]
SumBatch = dict[tuple[int, int, str], dict[str, float]]

__all__ = ["CountBatch", "Replayed", "Store", "StoreUnavailable", "SumBatch"]


class Replayed(Exception):
    """A feedback token was already used."""


def count_rows(counts: CountBatch) -> list[tuple[int, int, str, str, int, int]]:
    """Rows of monitor_counts (zero counts left out)."""
    return [(*w, s, b, n) for w, batch in counts.items() for (s, b), n in batch.items() if n]


def sum_rows(sums: SumBatch) -> list[tuple[int, int, str, str, float]]:
    """Rows of monitor_sums."""
    return [(*w, name, v) for w, batch in sums.items() for name, v in batch.items()]


class Store:
    """A SQLite file (or ':memory:') or a `postgresql://` URL; one connection per process, one lock.

    `background` calls (the flusher's writes and sweeps) may reconnect once the backoff has elapsed;
    request calls (feedback, reading windows) are refused at once while the store is down.
    """

    def __init__(
        self,
        target: str,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        on_change: Callable[[bool], None] = lambda up: None,
    ) -> None:
        self.target = target
        self.postgres = target.startswith(("postgresql://", "postgres://"))
        self.kind = "postgresql" if self.postgres else "memory" if target == ":memory:" else "sqlite"
        self.timeout_s = timeout_s
        self.health = Health(self.kind, on_change)
        self._lock = threading.Lock()
        self._conn: Any = None
        self._abort_socket: socket.socket | None = None  # a duplicate of the PostgreSQL socket
        self._pid = -1
        self._watchdog = Watchdog(self._abort)
        self._errors: tuple[type[BaseException], ...] = (sqlite3.Error, OSError)
        if self.postgres:
            import psycopg  # only deployments with a PostgreSQL store need it

            self._errors += (psycopg.Error,)
            # psycopg warns again about a connection this store already reports lost ("error ignored
            # terminating <psycopg.Pipeline [BAD]>"): one line per outage is the store's own
            logging.getLogger("psycopg").setLevel(logging.ERROR)

    @property
    def up(self) -> bool:
        """False from a failed call until the next successful one."""
        return self.health.up

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.postgres else statement

    def _connect(self) -> Any:
        """A new connection, with its timeouts (the schema is created by the caller)."""
        if self.postgres:
            import psycopg

            millis = int(self.timeout_s * 1000)
            pg = psycopg.connect(
                self.target,
                connect_timeout=max(2, math.ceil(self.timeout_s)),  # libpq's minimum is 2 s
                keepalives=1,
                keepalives_idle=5,
                keepalives_interval=2,
                keepalives_count=2,
                tcp_user_timeout=millis,
                options=f"-c statement_timeout={millis}",
                application_name="purchase-predictor-monitoring",
            )
            self._abort_socket = socket.socket(fileno=os.dup(pg.fileno()))
            return pg
        if self.target != ":memory:":
            Path(self.target).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.target, timeout=self.timeout_s, isolation_level=None, check_same_thread=False
        )
        if self.target != ":memory:":
            conn.execute("PRAGMA journal_mode=WAL")
            os.chmod(self.target, 0o600)
        return conn

    def _create_schema(self, conn: Any) -> None:
        """Create the tables once per new connection; concurrent creators wait for each other."""
        cur = conn.cursor()
        if self.postgres:  # CREATE ... IF NOT EXISTS races in PostgreSQL (UniqueViolation): serialize it
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        else:
            cur.execute("BEGIN IMMEDIATE")
        for statement in SCHEMA:
            cur.execute(statement)
        conn.commit()

    def _drop(self) -> None:
        """Forget this process's connection after an error (a new one is opened on the next try)."""
        conn, self._conn = self._conn, None
        sock, self._abort_socket = self._abort_socket, None
        for resource in (conn, sock):
            if resource is not None:
                try:
                    resource.close()
                except Exception as exc:  # already broken: nothing more to release
                    logger.debug("closing a failed store connection: %s", exc)

    def _abort(self) -> None:
        """Make the call in flight fail now (the watchdog's deadline passed)."""
        if self._abort_socket is not None:
            self._abort_socket.shutdown(socket.SHUT_RDWR)
        elif self._conn is not None and not self.postgres:
            self._conn.interrupt()

    @contextmanager
    def _tx(self, background: bool = True) -> Iterator[Any]:
        """One transaction under the process lock, within the deadline; StoreUnavailable on any store
        error (the connection is dropped), the caller's own exceptions after a rollback."""
        if not background and not self.health.up:  # refused at once: no wait behind a reconnect attempt
            raise self.health.refused()
        if not self._lock.acquire(timeout=self.timeout_s):  # another thread's call is stuck
            raise StoreUnavailable("the monitoring store is busy", math.ceil(self.timeout_s))
        try:
            if not self.health.may_try(background):
                raise self.health.refused()
            try:
                if self._conn is None or self._pid != os.getpid():
                    self._conn, self._abort_socket, self._pid = None, None, os.getpid()  # not a parent's
                    conn = self._connect()
                    self._conn = conn
                    self._watchdog.arm(self.timeout_s)
                    try:
                        self._create_schema(conn)
                    finally:
                        self._watchdog.disarm()
                conn = self._conn
                self._watchdog.arm(self.timeout_s)
                try:
                    cur = conn.cursor()
                    if not self.postgres:
                        cur.execute("BEGIN IMMEDIATE")
                    try:
                        yield cur
                    except self._errors:
                        raise
                    except BaseException:
                        conn.rollback()
                        raise
                    conn.commit()
                finally:
                    self._watchdog.disarm()
            except self._errors as exc:
                self._drop()
                raise self.health.failed(exc) from None
            self.health.succeeded()
        finally:
            self._lock.release()

    def probe(self, background: bool = True) -> None:
        """Open the store (creating its schema) or raise StoreUnavailable."""
        with self._tx(background):
            pass

    def add(self, counts: CountBatch, sums: SumBatch, background: bool = True) -> None:
        """Add counts and sums (one transaction)."""
        counts_, sums_ = count_rows(counts), sum_rows(sums)
        if not counts_ and not sums_:
            return
        with self._tx(background) as cur:
            if counts_:
                cur.executemany(self._sql(ADD_COUNT), counts_)
            if sums_:
                cur.executemany(self._sql(ADD_SUM), sums_)

    def add_feedback(self, nonces: list[tuple[str, int]], counts: CountBatch, sums: SumBatch) -> None:
        """Record receipts and their label counts atomically; Replayed (nothing kept) if one was used."""
        with self._tx(background=False) as cur:
            for nonce, expires in nonces:
                cur.execute(
                    self._sql("INSERT INTO monitor_receipts VALUES (?, ?) ON CONFLICT DO NOTHING"),
                    (nonce, expires),
                )
                if cur.rowcount != 1:
                    raise Replayed(nonce)
            cur.executemany(self._sql(ADD_COUNT), count_rows(counts))
            cur.executemany(self._sql(ADD_SUM), sum_rows(sums))

    def sweep_receipts(self, now: int, batch: int = 1000) -> int:
        """Delete up to `batch` expired receipts (one short transaction, by the expiry index); how many."""
        with self._tx() as cur:
            cur.execute(self._sql(SWEEP), (now, batch))
            return max(0, int(cur.rowcount))

    def windows(self, limit: int, model_version: str | None = None) -> list[WindowData]:
        """The most recent `limit` windows (per model version), oldest first; refused while down."""
        where, params = ("WHERE model_version = ?", [model_version]) if model_version else ("", [])
        with self._tx(background=False) as cur:
            cur.execute(
                self._sql(
                    "SELECT DISTINCT window_start, window_end, model_version FROM monitor_counts "
                    f"{where} ORDER BY window_start DESC, model_version LIMIT ?"
                ),
                (*params, limit),
            )
            keys = [(int(a), int(b), str(v)) for a, b, v in cur.fetchall()]
            if not keys:
                return []
            oldest = min(k[0] for k in keys)
            result = {k: WindowData(*k) for k in keys}
            cur.execute(self._sql("SELECT * FROM monitor_counts WHERE window_start >= ?"), (oldest,))
            for start, end, version, series, index, n in cur.fetchall():
                window = result.get((int(start), int(end), str(version)))
                if window is not None:
                    window.counts.setdefault(series, {})[int(index)] = int(n)
            cur.execute(self._sql("SELECT * FROM monitor_sums WHERE window_start >= ?"), (oldest,))
            for start, end, version, name, value in cur.fetchall():
                window = result.get((int(start), int(end), str(version)))
                if window is not None:
                    window.sums[str(name)] = float(value)
        return sorted(result.values(), key=lambda w: (w.start, w.model_version))

    def close(self) -> None:
        """Close this process's connection."""
        with self._lock:
            if self._pid == os.getpid():
                self._drop()
            self._conn, self._abort_socket = None, None
