"""API keys from `PREDICT_API_KEYS` / `PREDICT_ADMIN_API_KEYS` or their `_FILE` variants, checked at start.

A list is comma-separated; a file holds one key per line (blank lines and `#` comments ignored). Errors
name the variable and never the key.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path

from service.process.startup_errors import StartupError

logger = logging.getLogger(__name__)

MIN_KEY_LENGTH = 16
MAX_KEYS = 100
KEY = re.compile(r"[\x21-\x7e]+")  # printable ASCII without spaces: safe in an Authorization header


def parse_keys(name: str, text: str, separator: str | None) -> frozenset[str]:
    """The keys in `text` (split on `separator`, or on lines), validated; errors name `name`."""
    parts = text.split(separator) if separator else text.splitlines()
    keys = [p.strip() for p in parts]
    if separator is None:
        keys = [k for k in keys if not k.startswith("#")]
    keys = [k for k in keys if k]
    if not keys:
        raise StartupError(f"{name} is set but holds no key")
    if len(keys) > MAX_KEYS:
        raise StartupError(f"{name} holds more than {MAX_KEYS} keys")
    for index, key in enumerate(keys, 1):
        if len(key) < MIN_KEY_LENGTH or not KEY.fullmatch(key) or "," in key:
            raise StartupError(
                f"{name}: key {index} must be at least {MIN_KEY_LENGTH} printable characters "
                "without spaces or commas"
            )
    return frozenset(keys)


def read_keys(env: Mapping[str, str], name: str) -> frozenset[str]:
    """The keys of `name` or `name`_FILE (not both); empty when neither is set."""
    inline, file_name = env.get(name), env.get(name + "_FILE")
    if inline is not None and file_name is not None:
        raise StartupError(f"set {name} or {name}_FILE, not both")
    if inline is not None:
        return parse_keys(name, inline, ",")
    if file_name is None:
        return frozenset()
    if not file_name.strip():
        raise StartupError(f"{name}_FILE must not be empty")
    try:
        text = Path(file_name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise StartupError(f"{name}_FILE {file_name} cannot be read: {reason}") from None
    return parse_keys(name + "_FILE", text, None)
