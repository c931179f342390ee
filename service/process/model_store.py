"""The private model store in PREDICT_STATE_DIR: validated model bytes by version, the current one, history.

Layout: `models/<version>-<sha256[:16]>.onnx` (content-addressed, written once), `cards/<sha256>.json` (the
model card that came with those bytes, kept by `service.process.deploy` so a rollback restores it),
`current.json` (the model workers load), `history.json` (the last HISTORY_SIZE deployments, newest last; a
model deployed again appears again), `reload.json` (the outcome of the last reload, for
`service.process.deploy`), `master.pid` (gunicorn's pidfile). Only the master's check
process and the master write here; workers only read. Every write is a temporary file + os.replace.
Standard library only (and runtime.contract, which is): the gunicorn master imports it. Versions come
from validated models, and install() refuses one that breaks the contract's rule all the same; versions
read back from an older store may not, so whoever prints them escapes them (runtime.contract.shown).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from runtime.contract import TOKEN_RULE, shown, valid_token

logger = logging.getLogger(__name__)

HISTORY_SIZE = 5
PIDFILE = "master.pid"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class StoreError(Exception):
    """The store cannot be read or written, or a stored file does not match its hash."""


@dataclass(frozen=True)
class Entry:
    """One validated model in the store."""

    version: str
    sha256: str
    file: str  # name inside models/
    deployed_at: float = 0.0


def write_atomically(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write `data` to `path` so readers see either the old or the whole new file, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_checked(path: Path, sha256: str, what: str) -> bytes:
    """A stored file's bytes, checked against its recorded hash; StoreError naming `what` otherwise."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise StoreError(f"{what} {path} cannot be read: {reason}") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise StoreError(f"{what} {path} does not match its recorded hash")
    return data


class ModelStore:
    """Read and write the state directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.models = root / "models"
        self.cards = root / "cards"

    @property
    def pidfile(self) -> Path:
        """Where gunicorn writes the master's pid."""
        return self.root / PIDFILE

    def _read_json(self, name: str, default: Any) -> Any:
        """A JSON file of the store, or `default` when it does not exist yet."""
        try:
            return json.loads((self.root / name).read_text())
        except FileNotFoundError:
            return default
        except (OSError, ValueError) as exc:
            raise StoreError(f"state file {self.root / name} cannot be read: {type(exc).__name__}") from None

    def _write_json(self, name: str, value: Any) -> None:
        """Replace a JSON file of the store atomically."""
        write_atomically(self.root / name, json.dumps(value, indent=1).encode())

    def current(self) -> Entry | None:
        """The model workers must load, or None before the first install."""
        raw = self._read_json("current.json", None)
        return None if raw is None else Entry(**raw)

    def history(self) -> list[Entry]:
        """The last deployments, oldest first (the last one is the current model)."""
        return [Entry(**raw) for raw in self._read_json("history.json", [])]

    def served_index(self) -> int | None:
        """Which one history entry is the current model: the deployment current.json names (after a
        rollback the same bytes appear twice and only the newer one is served), else the newest such bytes."""
        current, history = self.current(), self.history()
        if current is None:
            return None
        for match in (lambda e: e == current, lambda e: e.sha256 == current.sha256):
            found = [index for index, entry in enumerate(history) if match(entry)]
            if found:
                return found[-1]
        return None

    def put_card(self, sha256: str, card: bytes) -> None:
        """Keep the model card that belongs to the model with these bytes."""
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise StoreError("a model card is stored under its model's SHA-256")
        write_atomically(self.cards / f"{sha256}.json", card, 0o644)

    def card(self, sha256: str) -> bytes | None:
        """The stored card of the model with these bytes, or None when it came without one."""
        try:
            return (self.cards / f"{sha256}.json").read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"stored model card {sha256[:16]} cannot be read: {exc.strerror}") from None

    def read(self, entry: Entry) -> tuple[Path, bytes]:
        """The stored file's path and bytes, checked against the entry's hash."""
        path = self.models / entry.file
        return path, read_checked(path, entry.sha256, "stored model")

    def install(self, data: bytes, version: str) -> tuple[Entry, bool]:
        """Make validated bytes the current model; returns the entry and whether it changed."""
        if not valid_token(version):
            raise StoreError(f"model version {shown(version)} is not {TOKEN_RULE}; not stored")
        sha = hashlib.sha256(data).hexdigest()
        current = self.current()
        if current is not None and current.sha256 == sha:
            return current, False
        entry = Entry(version, sha, f"{_UNSAFE.sub('_', version)[:64]}-{sha[:16]}.onnx", time.time())
        target = self.models / entry.file
        if not target.is_file() or hashlib.sha256(target.read_bytes()).hexdigest() != sha:
            write_atomically(target, data, 0o400)
        history = [*self.history(), entry][-HISTORY_SIZE:]
        self._write_json("history.json", [asdict(e) for e in history])
        self._write_json("current.json", asdict(entry))
        self._prune({e.file for e in history}, {e.sha256 for e in history})
        return entry, True

    def restore(self, entry: Entry) -> None:
        """Make an entry of the history the current model again (the check's fallback; history unchanged)."""
        self._write_json("current.json", asdict(entry))

    def forget_current(self) -> None:
        """Remove the current pointer: no stored model may be served."""
        (self.root / "current.json").unlink(missing_ok=True)

    def _prune(self, keep: set[str], keep_cards: set[str]) -> None:
        """Delete stored files (and cards) no longer in the history."""
        for path in self.models.glob("*.onnx"):
            if path.name not in keep:
                path.unlink(missing_ok=True)
        for path in self.cards.glob("*.json"):
            if path.stem not in keep_cards:
                path.unlink(missing_ok=True)

    def previous(self) -> Entry | None:
        """The newest deployment that differs from the current model (what a rollback goes back to)."""
        current = self.current()
        for entry in reversed(self.history()):
            if current is None or entry.sha256 != current.sha256:
                return entry
        return None

    def last_reload(self) -> dict[str, Any]:
        """The outcome of the last reload: sequence number, ok, served version and reason."""
        result: dict[str, Any] = self._read_json("reload.json", {"seq": 0})
        return result

    def record_reload(self, ok: bool, version: str, reason: str) -> None:
        """Record one reload's outcome (the master calls this)."""
        seq = int(self.last_reload().get("seq", 0)) + 1
        self._write_json("reload.json", {"seq": seq, "ok": ok, "version": version, "reason": reason})
