"""Build a service's monitor from a model and settings values (store, key, profile), or say why not."""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from monitoring.monitor import Monitor
from monitoring.profile import ProfileError, parse_profile
from monitoring.store import Store
from monitoring.tokens import TokenSigner
from runtime import contract as c
from runtime.predictor import Predictor

logger = logging.getLogger(__name__)

KEY_SUFFIX = ".key"


def open_store(target: str) -> Store:
    """The configured store, or a per-process in-memory one (logged) when it cannot be opened."""
    try:
        return Store(target)
    except (OSError, sqlite3.Error) as exc:
        reason = type(exc).__name__
    except Exception as exc:  # psycopg's errors: a PostgreSQL store that is down or refuses us
        reason = type(exc).__name__
    logger.error("monitoring store cannot be opened (%s); counting in this process's memory only", reason)
    return Store(":memory:")


def feedback_key(configured: str | None, store: Store) -> bytes:
    """The configured key, else one generated once beside the SQLite file (shared by every worker)."""
    if configured is not None:
        return configured.encode()
    if store.kind != "sqlite":
        return secrets.token_bytes(32)  # memory store: tokens are valid in this process only
    path = Path(store.target + KEY_SUFFIX)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another worker is writing it
            key = path.read_bytes()
            if len(key) >= 32:
                return key
            time.sleep(0.01)
        raise OSError(f"feedback key file {path} is incomplete") from None
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def build_monitor(
    predictor: Predictor, target: str, key: str | None, window_s: int, ttl_s: int, wake: Callable[[], None]
) -> Monitor | None:
    """A monitor for the predictor's model, or None (logged) when its file carries no reference profile."""
    try:
        profile = parse_profile(predictor.metadata.extra.get(c.META_REFERENCE_PROFILE))
    except ProfileError as exc:
        logger.warning("drift monitoring is off: %s", exc)
        return None
    store = open_store(target)
    signer = TokenSigner(feedback_key(key, store), ttl_s)
    return Monitor(
        profile,
        store,
        signer,
        predictor.model_version,
        predictor.threshold,
        predictor.metadata.training_ranges,
        window_s,
        wake,
    )
