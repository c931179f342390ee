"""The store's schema on a real PostgreSQL: processes that open a fresh database together all succeed (the
advisory lock), receipts carry an index on expiry, and expired receipts are swept in batches off the
request path."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from monitoring.store import Store

OPENERS = 8


def fresh_database(url: str, name: str) -> str:
    """A new, empty database on the server; its URL."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + "/" + name


@pytest.mark.parametrize("round_", range(3))
def test_stores_opened_together_on_a_fresh_database_all_succeed(postgres_url: str, round_: int) -> None:
    url = fresh_database(postgres_url, f"together{round_}")
    stores = [Store(url) for _ in range(OPENERS)]
    barrier, errors = threading.Barrier(OPENERS), []

    def open_one(store: Store) -> None:
        barrier.wait()
        try:
            store.probe()
        except Exception as exc:  # collected: the assertion below names it
            errors.append(repr(exc))

    threads = [threading.Thread(target=open_one, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    try:
        assert errors == [] and all(s.up for s in stores)
    finally:
        for store in stores:
            store.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_receipts_have_an_expiry_index_and_are_swept_in_batches(
    postgres_url: str, tmp_path: Path, kind: str
) -> None:
    target = fresh_database(postgres_url, "sweep") if kind == "postgresql" else str(tmp_path / "m.sqlite3")
    store = Store(target)
    try:
        store.add_feedback([(f"old{i}", 100 + i) for i in range(2500)], {}, {})
        store.add_feedback([(f"new{i}", 10_000) for i in range(10)], {}, {})
        store.add_feedback([("new-later", 20_000)], {}, {})  # feedback no longer deletes anything
        with store._tx() as cur:
            if kind == "postgresql":
                cur.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'monitor_receipts'")
            else:
                cur.execute("SELECT sql FROM sqlite_master WHERE tbl_name = 'monitor_receipts'")
            definitions = " ".join(str(row[0]) for row in cur.fetchall() if row[0])
            cur.execute("SELECT count(*) FROM monitor_receipts")
            assert cur.fetchone()[0] == 2511
        assert "(expires)" in definitions
        assert [store.sweep_receipts(5_000, 1000) for _ in range(4)] == [1000, 1000, 500, 0]
        with store._tx() as cur:
            cur.execute("SELECT nonce FROM monitor_receipts ORDER BY nonce")
            assert [r[0] for r in cur.fetchall()] == sorted([f"new{i}" for i in range(10)] + ["new-later"])
    finally:
        store.close()
