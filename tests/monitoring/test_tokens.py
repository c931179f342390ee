"""Feedback tokens: keyed BLAKE2b (version 2), earlier HMAC-SHA256 tokens (version 1) still accepted."""

from __future__ import annotations

import base64
import hmac

import pytest

from monitoring.tokens import HMAC_VERSION, TAG_BYTES, TOKEN_VERSION, TokenError, TokenSigner

KEY = b"k" * 32


def decode(token: str) -> bytes:
    """The raw bytes of a token."""
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def encode(raw: bytes) -> str:
    """A token from raw bytes."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def test_a_token_round_trips_and_carries_no_inputs() -> None:
    signer = TokenSigner(KEY, ttl_s=60)
    token = signer.issue(1_000, 1_234.0, 0.875, True, "forest-abc")
    raw = decode(token)
    assert raw[0] == TOKEN_VERSION == 2
    receipt = signer.verify(token, 1_250.0)
    assert (receipt.window, receipt.issued, receipt.probability, receipt.buy) == (1_000, 1_234, 0.875, True)
    assert receipt.model_version == "forest-abc"
    with pytest.raises(TokenError) as expired:
        signer.verify(token, 1_234.0 + 61)
    assert expired.value.status == 410


def test_a_version_1_hmac_token_is_still_accepted_but_not_a_relabelled_one() -> None:
    signer = TokenSigner(KEY, ttl_s=60)
    raw = decode(signer.issue(1_000, 1_234.0, 0.5, False, "forest-abc"))
    body = bytes([HMAC_VERSION]) + raw[1:-TAG_BYTES]
    legacy = encode(body + hmac.digest(KEY, body, "sha256")[:TAG_BYTES])
    assert signer.verify(legacy, 1_240.0).probability == 0.5
    relabelled = encode(body + raw[-TAG_BYTES:])  # the version 2 tag under a version 1 header
    with pytest.raises(TokenError) as bad:
        signer.verify(relabelled, 1_240.0)
    assert bad.value.status == 400


@pytest.mark.parametrize("key", [b"s" * 16, b"l" * 200], ids=["short-key", "key-longer-than-blake2b-takes"])
def test_another_key_or_a_flipped_bit_is_refused(key: bytes) -> None:
    signer = TokenSigner(key, ttl_s=60)
    token = signer.issue(1_000, 1_234.0, 0.5, False, "forest-abc")
    assert signer.verify(token, 1_240.0).buy is False
    with pytest.raises(TokenError):
        TokenSigner(b"o" * 32, ttl_s=60).verify(token, 1_240.0)
    raw = bytearray(decode(token))
    raw[20] ^= 1
    with pytest.raises(TokenError):
        signer.verify(encode(bytes(raw)), 1_240.0)
