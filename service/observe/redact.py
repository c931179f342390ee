"""Secrets out of text: passwords in URLs and known secret values become `***` (standard library only).

Settings' repr and every JSON log line (service.observe.logs) pass through here, so the monitor key, the API
keys and a PostgreSQL password never reach a log or a traceback printed by the service (docs/api-limits.md).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

logger = logging.getLogger(__name__)

MASK = "***"
# scheme://user:password@host -> scheme://user:***@host (the user name stays: it helps and is not secret)
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s/:@]*:)[^\s/]*@")  # to the authority's last @
# key=value forms of a libpq connection string or query parameter: password=…
_PASSWORD_PARAM = re.compile(r"(?i)\b(password\s*=\s*)('[^']*'|[^\s&;]+)")
MIN_SECRET = 8  # shorter strings are not replaced (they would blank ordinary words)


def redact_url(text: str) -> str:
    """`text` with the password of every URL and every `password=` parameter masked."""
    if "@" in text:
        text = _URL_PASSWORD.sub(rf"\g<1>{MASK}@", text)
    if "assword" in text or "ASSWORD" in text:
        text = _PASSWORD_PARAM.sub(rf"\g<1>{MASK}", text)
    return text


class Redactor:
    """Masks URL passwords and a fixed set of secret values (keys) in text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # longest first, so a key that contains another is masked whole
        self.secrets = sorted({s for s in secrets if len(s) >= MIN_SECRET}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """`text` without the known secrets or URL passwords."""
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return redact_url(text)
