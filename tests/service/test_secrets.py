"""Secrets never appear in a repr or a log: Settings, the JSON formatter, a real gunicorn's start-up."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
import requests

from service.observe.logs import JSONFormatter
from service.observe.redact import redact_url
from service.process.settings import Settings
from tests.service.server import free_port, logged_server

MONITOR_KEY = "monitor-key-Zq8wX3vB7nM2"
API_KEY = "api-key-Kp4sD9fG1hJ6"
ADMIN_KEY = "admin-key-Lm5tR2yU8iO3"
PASSWORD = "pg-pass-Wv7cE4xQ0aS1"
SECRETS = (MONITOR_KEY, API_KEY, ADMIN_KEY, PASSWORD)


def pg_url(password: str = PASSWORD, port: int = 5432) -> str:
    """A PostgreSQL URL with a password."""
    return f"postgresql://monitor:{password}@127.0.0.1:{port}/predict"


def env(**extra: str) -> dict[str, str]:
    """PREDICT_* variables holding every kind of secret."""
    return {
        "PREDICT_MONITOR_DB": pg_url(),
        "PREDICT_MONITOR_KEY": MONITOR_KEY,
        "PREDICT_API_KEYS": API_KEY,
        "PREDICT_ADMIN_API_KEYS": ADMIN_KEY,
        **extra,
    }


def assert_no_secret(text: str) -> None:
    """None of the secrets, nor their JSON-escaped forms, in `text`."""
    for secret in SECRETS:
        assert secret not in text and json.dumps(secret)[1:-1] not in text, secret


@pytest.mark.parametrize(
    "render", [repr, str, "{}".format, lambda s: f"{s!r}"], ids=["repr", "str", "format", "fstring"]
)
def test_settings_repr_hides_every_secret_but_keeps_the_rest(render: object) -> None:
    settings = Settings.from_env(env())
    text = render(settings)  # type: ignore[operator]
    assert_no_secret(text)
    assert "postgresql://monitor:***@127.0.0.1:5432/predict" in text  # user and host still help
    assert "monitor_key=***" in text and "api_keys=<1 keys>" in text and "admin_api_keys=<1 keys>" in text


def test_a_libpq_password_parameter_is_masked_too() -> None:
    settings = Settings(
        monitor_db=f"host=db user=monitor password={PASSWORD} dbname=x", monitor_key=MONITOR_KEY
    )
    assert_no_secret(repr(settings))
    assert "password=***" in repr(settings)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (pg_url(), "postgresql://monitor:***@127.0.0.1:5432/predict"),
        (pg_url(password="p@ss:" + PASSWORD), "postgresql://monitor:***@127.0.0.1:5432/predict"),
        (f"x postgres://u:{PASSWORD}@h and y", "x postgres://u:***@h and y"),
        (f"dsn host=h password='{PASSWORD} x' port=1", "dsn host=h password=*** port=1"),
        ("http://0.0.0.0:8000 (99) a@b", "http://0.0.0.0:8000 (99) a@b"),  # nothing to mask
        ("postgresql://monitor@db/predict", "postgresql://monitor@db/predict"),
    ],
)
def test_url_passwords_are_masked_wherever_they_appear(text: str, shown: str) -> None:
    assert redact_url(text) == shown


def test_settings_errors_never_quote_a_key() -> None:
    with pytest.raises(Exception, match="PREDICT_API_KEYS") as caught:
        Settings.from_env({"PREDICT_API_KEYS": "short-" + PASSWORD[:6]})
    assert PASSWORD[:6] not in str(caught.value)


def test_the_formatter_masks_configured_secrets_and_url_passwords() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter(Settings.from_env(env()).secret_values()))
    log = logging.getLogger("tests.secrets")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.error(
            "store %s unreachable with key %s", pg_url(), MONITOR_KEY, extra={"keys": [API_KEY, ADMIN_KEY]}
        )
        try:
            raise RuntimeError(f"connect failed: password={PASSWORD} key={ADMIN_KEY}")
        except RuntimeError:
            log.exception("again")
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert_no_secret(text)
    assert text.count("\n") == 2 and "***" in text
    for line in text.splitlines():
        json.loads(line)  # still one JSON object per line


def test_a_real_start_up_logs_no_secret(model_path: Path, tmp_path: Path) -> None:
    """gunicorn at DEBUG with every secret set (the store unreachable, so its failure is logged too)."""
    log = tmp_path / "server.log"
    extra = env(PREDICT_MONITOR_DB=pg_url(port=free_port()), PREDICT_LOG_LEVEL="DEBUG", PREDICT_WORKERS="1")
    with logged_server(model_path, log, **extra) as server:
        good = requests.post(
            f"{server.url}/predict",
            json={"age": 40, "salary": 1, "gender": "Male"},
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=30,
        )
        wrong = requests.post(
            f"{server.url}/predict", json={}, timeout=30, headers={"Authorization": f"Bearer {ADMIN_KEY}x"}
        )
        assert good.status_code == 200 and wrong.status_code == 401
    text = log.read_text()
    assert "Booting worker" in text and "API keys required" in text  # the start-up lines are there
    assert_no_secret(text)
