"""Typed service settings read once from `PREDICT_*` environment variables and validated at start-up."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from runtime.contract import DEFAULT_MAX_MODEL_BYTES
from service.observe.redact import MASK, redact_url
from service.process.keys import read_keys
from service.process.startup_errors import StartupError

logger = logging.getLogger(__name__)

PREFIX = "PREDICT_"
TRUTHY = {"1", "true", "yes", "on"}
FALSY = {"0", "false", "no", "off", ""}
SECRET_FIELDS = frozenset({"monitor_key"})  # never shown, not even in part
KEY_FIELDS = frozenset({"api_keys", "admin_api_keys"})  # shown as a count
MIN_MODEL_BYTES, MAX_MODEL_BYTES = 1024, 2**31  # protobuf cannot hold a self-contained model over 2 GiB
MODEL_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,62})")  # V2 model name: one URL path segment


@dataclass(frozen=True)
class Settings:
    """Everything the service can be configured with; tests build these directly."""

    model_path: Path = Path("models/purchase_model.onnx")
    threshold: float | None = None  # None: use the threshold stored in the model's metadata
    max_body_bytes: int = 2 * 1024 * 1024
    log_inputs: bool = False
    log_level: str = "INFO"
    model_name: str = "purchase-predictor"  # Open Inference Protocol (V2) model name
    max_model_bytes: int = DEFAULT_MAX_MODEL_BYTES  # PREDICT_MAX_MODEL_BYTES: larger model files are refused
    # --- monitoring (docs/monitoring.md) ---
    monitor: bool = True  # PREDICT_MONITOR: count scored rows for drift monitoring (models with a profile)
    monitor_db: str = "state/monitoring.sqlite3"  # PREDICT_MONITOR_DB: SQLite file path or postgresql:// URL
    monitor_window: int = 86_400  # PREDICT_MONITOR_WINDOW: window length in seconds
    monitor_key: str | None = field(default=None, repr=False)  # PREDICT_MONITOR_KEY: feedback-token key
    monitor_feedback_ttl: int = 30 * 86_400  # PREDICT_MONITOR_FEEDBACK_TTL: seconds a token is accepted
    monitor_store_timeout: float = 3.0  # PREDICT_MONITOR_STORE_TIMEOUT: seconds a store call may take
    # --- model store and API keys (docs/operations/; keys never in repr, logs or responses) ---
    state_dir: Path | None = None  # None: the gunicorn master makes a private temporary one
    api_keys: frozenset[str] = field(default=frozenset(), repr=False)
    admin_api_keys: frozenset[str] = field(default=frozenset(), repr=False)

    def __post_init__(self) -> None:
        """Reject values the service cannot run with, naming the environment variable."""
        if self.threshold is not None and not 0.0 < self.threshold < 1.0:
            raise StartupError(f"{PREFIX}THRESHOLD must be a number strictly between 0 and 1")
        if not 1024 <= self.max_body_bytes <= 64 * 1024 * 1024:
            raise StartupError(f"{PREFIX}MAX_BODY_BYTES must be an integer from 1024 to 67108864")
        if self.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise StartupError(f"{PREFIX}LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        if not MODEL_NAME.fullmatch(self.model_name):  # V2
            raise StartupError(
                f"{PREFIX}MODEL_NAME must be 1 to 63 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        if not MIN_MODEL_BYTES <= self.max_model_bytes <= MAX_MODEL_BYTES:
            raise StartupError(
                f"{PREFIX}MAX_MODEL_BYTES must be an integer from {MIN_MODEL_BYTES} to {MAX_MODEL_BYTES}"
            )
        check_monitor_settings(self)

    def __repr__(self) -> str:
        """Every setting but the secrets: keys shown as *** (or their count), URL passwords masked."""
        shown = []
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name in SECRET_FIELDS:
                text = repr(value) if value is None else MASK
            elif item.name in KEY_FIELDS:
                text = f"<{len(value)} keys>"
            elif isinstance(value, str):
                text = repr(redact_url(value))
            else:
                text = repr(value)
            shown.append(f"{item.name}={text}")
        return f"Settings({', '.join(shown)})"

    __str__ = __repr__

    def secret_values(self) -> tuple[str, ...]:
        """The secret strings these settings hold (for the log redactor, service.observe.logs)."""
        return tuple(k for k in (self.monitor_key,) if k) + tuple(self.api_keys | self.admin_api_keys)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate the `PREDICT_*` variables (unset ones keep their defaults)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        if (raw := env.get(PREFIX + "MODEL_PATH")) is not None:
            if not raw.strip():
                raise StartupError(f"{PREFIX}MODEL_PATH must not be empty")
            values["model_path"] = Path(raw)
        if (raw := env.get(PREFIX + "THRESHOLD")) is not None:
            values["threshold"] = _number(PREFIX + "THRESHOLD", raw)
        if (raw := env.get(PREFIX + "MAX_BODY_BYTES")) is not None:
            values["max_body_bytes"] = _integer(PREFIX + "MAX_BODY_BYTES", raw)
        if (raw := env.get(PREFIX + "LOG_INPUTS")) is not None:
            values["log_inputs"] = _boolean(PREFIX + "LOG_INPUTS", raw)
        if (raw := env.get(PREFIX + "LOG_LEVEL")) is not None:
            values["log_level"] = raw.strip().upper()
        if (raw := env.get(PREFIX + "MODEL_NAME")) is not None:  # V2
            values["model_name"] = raw.strip()
        if (raw := env.get(PREFIX + "MAX_MODEL_BYTES")) is not None:
            values["max_model_bytes"] = _integer(PREFIX + "MAX_MODEL_BYTES", raw)
        values |= monitor_values(env)
        values.update(access_settings(env))  # docs/operations/api-keys.md
        return cls(**values)  # type: ignore[arg-type]


def access_settings(env: Mapping[str, str]) -> dict[str, object]:
    """PREDICT_STATE_DIR and the API keys (docs/operations/); parsing lives in service.process.keys."""
    values: dict[str, object] = {}
    if (raw := env.get(PREFIX + "STATE_DIR")) is not None:
        if not raw.strip():
            raise StartupError(f"{PREFIX}STATE_DIR must not be empty")
        values["state_dir"] = Path(raw)
    values["api_keys"] = read_keys(env, PREFIX + "API_KEYS")
    values["admin_api_keys"] = read_keys(env, PREFIX + "ADMIN_API_KEYS")
    return values


def _number(name: str, raw: str) -> float:
    """Parse a finite float or fail with the variable's name."""
    try:
        value = float(raw)
    except ValueError:
        raise StartupError(f"{name} must be a number, got an unparsable value") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise StartupError(f"{name} must be a finite number")
    return value


def _integer(name: str, raw: str) -> int:
    """Parse an integer or fail with the variable's name."""
    try:
        return int(raw.strip())
    except ValueError:
        raise StartupError(f"{name} must be an integer") from None


def _boolean(name: str, raw: str) -> bool:
    """Parse 1/0, true/false, yes/no, on/off or fail with the variable's name."""
    value = raw.strip().lower()
    if value in TRUTHY:
        return True
    if value in FALSY:
        return False
    raise StartupError(f"{name} must be one of 1/0, true/false, yes/no, on/off")


# --- monitoring (docs/monitoring.md) ------------------------------------------------------------------
def monitor_values(env: Mapping[str, str]) -> dict[str, object]:
    """The PREDICT_MONITOR* variables that are set, parsed."""
    values: dict[str, object] = {}
    if (raw := env.get(PREFIX + "MONITOR")) is not None:
        values["monitor"] = _boolean(PREFIX + "MONITOR", raw)
    if (raw := env.get(PREFIX + "MONITOR_DB")) is not None:
        values["monitor_db"] = raw.strip()
    if (raw := env.get(PREFIX + "MONITOR_WINDOW")) is not None:
        values["monitor_window"] = _integer(PREFIX + "MONITOR_WINDOW", raw)
    if (raw := env.get(PREFIX + "MONITOR_KEY")) is not None:
        values["monitor_key"] = raw
    if (raw := env.get(PREFIX + "MONITOR_FEEDBACK_TTL")) is not None:
        values["monitor_feedback_ttl"] = _integer(PREFIX + "MONITOR_FEEDBACK_TTL", raw)
    if (raw := env.get(PREFIX + "MONITOR_STORE_TIMEOUT")) is not None:
        values["monitor_store_timeout"] = _number(PREFIX + "MONITOR_STORE_TIMEOUT", raw)
    return values


def check_monitor_settings(settings: Settings) -> None:
    """Reject monitoring values the service cannot run with, naming the variable."""
    if not settings.monitor:
        return
    if not settings.monitor_db:
        raise StartupError(
            f"{PREFIX}MONITOR_DB must be a file path or a postgresql:// URL (or set {PREFIX}MONITOR=0)"
        )
    if not 1 <= settings.monitor_window <= 366 * 86_400:
        raise StartupError(f"{PREFIX}MONITOR_WINDOW must be a whole number of seconds from 1 to 31622400")
    if not 1 <= settings.monitor_feedback_ttl <= 3 * 366 * 86_400:
        raise StartupError(
            f"{PREFIX}MONITOR_FEEDBACK_TTL must be a whole number of seconds from 1 to 94867200"
        )
    if not 0.5 <= settings.monitor_store_timeout <= 60:
        raise StartupError(f"{PREFIX}MONITOR_STORE_TIMEOUT must be a number of seconds from 0.5 to 60")
    if settings.monitor_key is not None and len(settings.monitor_key.encode()) < 16:
        raise StartupError(f"{PREFIX}MONITOR_KEY must be at least 16 bytes long")
    if settings.monitor_db.startswith(("postgresql://", "postgres://")) and settings.monitor_key is None:
        raise StartupError(
            f"{PREFIX}MONITOR_KEY must be set when {PREFIX}MONITOR_DB is a PostgreSQL URL "
            "(every replica needs the same key)"
        )
