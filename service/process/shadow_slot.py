"""The model store's shadow slot: at most one validated candidate that workers score beside the live model.

Layout inside PREDICT_STATE_DIR: `shadow/current.json` (the candidate: version, SHA-256, file name, when),
`shadow/<version>-<sha256[:16]>.onnx` (its bytes, written once, read-only) and `shadow/card.json` (the model
card that came with it, if any). `service.process.shadow` writes here after the same checks as a deploy;
workers only read (service.process.shadow_worker). Putting a new candidate replaces the old one; clearing
empties the slot. Every write is a temporary file + os.replace, as in the rest of the store. Standard
library only.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import asdict
from pathlib import Path

from runtime.contract import TOKEN_RULE, shown, valid_token
from service.process.model_store import Entry, StoreError, read_checked, write_atomically

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class ShadowSlot:
    """Read and write the shadow slot of one state directory."""

    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / "shadow"

    def current(self) -> Entry | None:
        """The candidate in the slot, or None when it is empty."""
        try:
            raw = json.loads((self.root / "current.json").read_text())
            return Entry(**raw)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError) as exc:
            raise StoreError(f"shadow slot {self.root} cannot be read: {type(exc).__name__}") from None

    def read(self, entry: Entry) -> tuple[Path, bytes]:
        """The candidate's path and bytes, checked against its recorded hash."""
        path = self.root / entry.file
        return path, read_checked(path, entry.sha256, "shadow model")

    def card(self) -> bytes | None:
        """The candidate's model card, or None when it came without one."""
        try:
            return (self.root / "card.json").read_bytes()
        except FileNotFoundError:
            return None

    def put(self, data: bytes, version: str, card: bytes | None) -> Entry:
        """Make validated bytes (and their card) the candidate, replacing any other."""
        if not valid_token(version):
            raise StoreError(f"model version {shown(version)} is not {TOKEN_RULE}; not stored")
        sha = hashlib.sha256(data).hexdigest()
        entry = Entry(version, sha, f"{_UNSAFE.sub('_', version)[:64]}-{sha[:16]}.onnx", time.time())
        target = self.root / entry.file
        if not target.is_file() or hashlib.sha256(target.read_bytes()).hexdigest() != sha:
            target.unlink(missing_ok=True)
            write_atomically(target, data, 0o400)
        if card is not None:
            write_atomically(self.root / "card.json", card, 0o644)
        else:
            (self.root / "card.json").unlink(missing_ok=True)
        write_atomically(self.root / "current.json", json.dumps(asdict(entry), indent=1).encode())
        self._prune(entry.file)
        return entry

    def clear(self) -> None:
        """Empty the slot (the pointer first: a worker starting meanwhile finds no candidate)."""
        (self.root / "current.json").unlink(missing_ok=True)
        (self.root / "card.json").unlink(missing_ok=True)
        self._prune(None)

    def _prune(self, keep: str | None) -> None:
        """Delete candidate files other than `keep`."""
        for path in self.root.glob("*.onnx"):
            if path.name != keep:
                path.unlink(missing_ok=True)


def describe(root: Path) -> str | None:
    """One line about the shadow slot of the store at `root` for `history`, or None when it is empty."""
    slot = ShadowSlot(root)
    entry = slot.current()
    if entry is None:
        return None
    card = "card" if slot.card() is not None else "no card"
    return f"shadow: {shown(entry.version)}  sha256:{shown(entry.sha256[:16])}  {card}  (scored, silent)"
