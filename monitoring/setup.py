"""Build a service's monitor from a model and settings values (store, key, profile), or say why not.

The configured store is the only store: one that cannot be opened at start is retried in the background
(counts wait in memory, /feedback and /monitoring/* answer 503), never replaced by a private one.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from monitoring.monitor import Monitor
from monitoring.profile import ProfileError, parse_profile
from monitoring.store import DEFAULT_TIMEOUT_S, Store, StoreUnavailable
from monitoring.tokens import TokenSigner
from runtime import contract as c
from runtime.predictor import Predictor

logger = logging.getLogger(__name__)

KEY_SUFFIX = ".key"


def open_store(target: str, timeout_s: float, wake: Callable[[], None]) -> Store:
    """The configured store, opened once now; if that fails (logged once by the store), the flusher is
    started so that it keeps retrying in the background."""
    store = Store(target, timeout_s)
    try:
        store.probe()
    except StoreUnavailable:
        wake()
    return store


def feedback_key(configured: str | None, store: Store) -> bytes:
    """The configured key, else one generated once beside the SQLite file (shared by every worker)."""
    if configured is not None:
        return configured.encode()
    if store.kind != "sqlite":
        return secrets.token_bytes(32)  # memory store: tokens are valid in this process only
    path = Path(store.target + KEY_SUFFIX)
    path.parent.mkdir(parents=True, exist_ok=True)
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
    predictor: Predictor,
    target: str,
    key: str | None,
    window_s: int,
    ttl_s: int,
    wake: Callable[[], None],
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Monitor | None:
    """A monitor for the predictor's model, or None (logged) when its file carries no reference profile or
    no feedback key can be made beside a SQLite store (a per-process key would be a private store)."""
    try:
        profile = parse_profile(predictor.metadata.extra.get(c.META_REFERENCE_PROFILE))
    except ProfileError as exc:
        logger.warning("drift monitoring is off: %s", exc)
        return None
    store = open_store(target, timeout_s, wake)
    try:
        signing_key = feedback_key(key, store)
    except OSError as exc:
        logger.error(
            "drift monitoring is off: no feedback key beside the SQLite store (%s: %s); make its folder "
            "writable or set PREDICT_MONITOR_KEY",
            type(exc).__name__,
            exc.strerror or exc,
        )
        return None
    signer = TokenSigner(signing_key, ttl_s)
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
