"""Where window counts live: one SQLite file shared by every worker, or PostgreSQL shared by replicas.

Rows only ever add to counts (an upsert `n = n + excluded.n`), so any number of processes can flush into
one store and the totals stay exact. Feedback receipts (token nonces until they expire) guard against
replays. Nothing stored is a raw input.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
)
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


class Replayed(Exception):
    """A feedback token was already used."""


class Store:
    """A SQLite file (or ':memory:') or a `postgresql://` URL; one connection per process, one lock."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.postgres = target.startswith(("postgresql://", "postgres://"))
        self.kind = "postgresql" if self.postgres else "memory" if target == ":memory:" else "sqlite"
        self._lock = threading.Lock()
        self._conn: Any = None
        self._pid = -1
        with self._tx() as cur:
            for statement in SCHEMA:
                cur.execute(statement)

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.postgres else statement

    def _connection(self) -> Any:
        """This process's connection (a forked worker opens its own)."""
        if self._conn is None or self._pid != os.getpid():
            if self.postgres:
                import psycopg  # only deployments with a PostgreSQL store need it

                self._conn = psycopg.connect(self.target, connect_timeout=10)
            else:
                if self.target != ":memory:":
                    Path(self.target).parent.mkdir(parents=True, exist_ok=True)
                self._conn = sqlite3.connect(
                    self.target, timeout=30, isolation_level=None, check_same_thread=False
                )
                if self.target != ":memory:":
                    self._conn.execute("PRAGMA journal_mode=WAL")
                    os.chmod(self.target, 0o600)
            self._pid = os.getpid()
        return self._conn

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        """One transaction under the process lock; rolled back on any error."""
        with self._lock:
            conn = self._connection()
            cur = conn.cursor()
            if not self.postgres:
                cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def add(self, counts: CountBatch, sums: SumBatch) -> None:
        """Add counts and sums (one transaction)."""
        count_rows = [(*w, s, b, n) for w, batch in counts.items() for (s, b), n in batch.items() if n]
        sum_rows = [(*w, name, v) for w, batch in sums.items() for name, v in batch.items()]
        if not count_rows and not sum_rows:
            return
        with self._tx() as cur:
            if count_rows:
                cur.executemany(self._sql(ADD_COUNT), count_rows)
            if sum_rows:
                cur.executemany(self._sql(ADD_SUM), sum_rows)

    def add_feedback(
        self, nonces: list[tuple[str, int]], counts: CountBatch, sums: SumBatch, now: int
    ) -> None:
        """Record receipts and their label counts atomically; Replayed (nothing kept) if one was used."""
        with self._tx() as cur:
            cur.execute(self._sql("DELETE FROM monitor_receipts WHERE expires < ?"), (now,))
            for nonce, expires in nonces:
                cur.execute(
                    self._sql("INSERT INTO monitor_receipts VALUES (?, ?) ON CONFLICT DO NOTHING"),
                    (nonce, expires),
                )
                if cur.rowcount != 1:
                    raise Replayed(nonce)
            rows = [(*w, s, b, n) for w, batch in counts.items() for (s, b), n in batch.items() if n]
            cur.executemany(self._sql(ADD_COUNT), rows)
            sum_rows = [(*w, name, v) for w, batch in sums.items() for name, v in batch.items()]
            cur.executemany(self._sql(ADD_SUM), sum_rows)

    def windows(self, limit: int, model_version: str | None = None) -> list[WindowData]:
        """The most recent `limit` windows (per model version), oldest first."""
        where, params = ("WHERE model_version = ?", [model_version]) if model_version else ("", [])
        with self._tx() as cur:
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
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None
