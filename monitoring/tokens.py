"""Signed, opaque feedback tokens: which window and model a prediction belongs to, never its inputs.

Layout before base64url: version (1 byte), window start, issue time (8-byte signed ints), P(buy) (8-byte
double), decision (1 byte), nonce (16 bytes: a random per-process prefix and a counter, so issuing costs no
system call), model version (UTF-8), then a 16-byte tag over all of it: keyed BLAKE2b (RFC 7693's MAC
mode; version 2). Version 1 tokens, tagged with HMAC-SHA256, are still accepted until they expire. BLAKE2b
is built into Python and keeps a small state: under load, with the caches cold, a tag costs ~11 µs where
OpenSSL's HMAC costs ~38 µs (`python -m bench.device_micro`, `feedback_token`), on every /predict.
The probability is the model's output; it lets a label be credited to the right score bin.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import os
import struct
from dataclasses import dataclass

TOKEN_VERSION = 2
HMAC_VERSION = 1  # accepted, no longer issued
TAG_BYTES = 16
_HEAD = struct.Struct(">BqqdB16s")


class TokenError(ValueError):
    """A token that cannot be accepted; `status` is the HTTP status it maps to."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Receipt:
    """What a verified token says about its prediction."""

    window: int
    issued: int
    probability: float
    buy: bool
    nonce: bytes
    model_version: str


class TokenSigner:
    """Issues and verifies tokens with one secret key."""

    def __init__(self, key: bytes, ttl_s: int) -> None:
        if len(key) < 16:
            raise ValueError("the feedback key must be at least 16 bytes")
        self._key = key
        self._blake_key = key if len(key) <= hashlib.blake2b.MAX_KEY_SIZE else hashlib.blake2b(key).digest()
        self.ttl_s = ttl_s
        self._new_process()
        os.register_at_fork(after_in_child=self._new_process)

    def _new_process(self) -> None:
        """A fresh nonce prefix and counter (also in every forked worker)."""
        self._prefix = os.urandom(8)
        self._counter = itertools.count()

    def _tag(self, body: bytes) -> bytes:
        """The keyed BLAKE2b tag of a version 2 token."""
        return hashlib.blake2b(body, key=self._blake_key, digest_size=TAG_BYTES).digest()

    def _hmac_tag(self, body: bytes) -> bytes:
        """The HMAC-SHA256 tag of a version 1 token."""
        return hmac.digest(self._key, body, "sha256")[:TAG_BYTES]

    def issue(self, window: int, now: float, probability: float, buy: bool, model_version: str) -> str:
        """A new token for one prediction."""
        nonce = self._prefix + next(self._counter).to_bytes(8, "big")
        body = _HEAD.pack(TOKEN_VERSION, window, int(now), probability, int(buy), nonce)
        body += model_version.encode()
        return base64.urlsafe_b64encode(body + self._tag(body)).rstrip(b"=").decode("ascii")

    def verify(self, token: object, now: float) -> Receipt:
        """The token's receipt; TokenError 400 when tampered or malformed, 410 when expired."""
        if not isinstance(token, str) or not 0 < len(token) <= 512:
            raise TokenError("feedback_token must be the string returned by /predict", 400)
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise TokenError("feedback_token is not a valid token", 400) from None
        if len(raw) < _HEAD.size + TAG_BYTES:
            raise TokenError("feedback_token is not a valid token", 400)
        body, tag = raw[:-TAG_BYTES], raw[-TAG_BYTES:]
        expected = self._hmac_tag(body) if body[0] == HMAC_VERSION else self._tag(body)
        if not hmac.compare_digest(tag, expected):
            raise TokenError("feedback_token is not a valid token (it was altered or signed elsewhere)", 400)
        version, window, issued, probability, buy, nonce = _HEAD.unpack(body[: _HEAD.size])
        if version not in (TOKEN_VERSION, HMAC_VERSION):
            raise TokenError("feedback_token has an unsupported version", 400)
        if now - issued > self.ttl_s:
            raise TokenError("feedback_token has expired; labels are accepted for a limited time", 410)
        return Receipt(window, issued, probability, bool(buy), nonce, body[_HEAD.size :].decode())

    def expires(self, receipt: Receipt) -> int:
        """When a receipt's token stops being accepted (its replay guard can then be dropped)."""
        return receipt.issued + self.ttl_s
