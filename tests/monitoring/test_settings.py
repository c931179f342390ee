"""PREDICT_MONITOR* variables: parsed, and bad values stop the start naming the variable."""

from __future__ import annotations

import pytest

from service.http.errors import StartupError
from service.process.settings import Settings


def test_monitor_variables_are_read() -> None:
    settings = Settings.from_env(
        {
            "PREDICT_MONITOR": "on",
            "PREDICT_MONITOR_DB": "/var/lib/p/m.db",
            "PREDICT_MONITOR_WINDOW": "3600",
            "PREDICT_MONITOR_KEY": "k" * 16,
            "PREDICT_MONITOR_FEEDBACK_TTL": "600",
            "PREDICT_MONITOR_STORE_TIMEOUT": "1.5",
        }
    )
    assert settings.monitor_store_timeout == 1.5
    assert (settings.monitor, settings.monitor_db, settings.monitor_window) == (True, "/var/lib/p/m.db", 3600)
    assert (settings.monitor_key, settings.monitor_feedback_ttl) == ("k" * 16, 600)
    assert Settings.from_env({"PREDICT_MONITOR": "0", "PREDICT_MONITOR_DB": ""}).monitor is False


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"PREDICT_MONITOR": "maybe"}, "PREDICT_MONITOR"),
        ({"PREDICT_MONITOR_DB": " "}, "PREDICT_MONITOR_DB"),
        ({"PREDICT_MONITOR_WINDOW": "a day"}, "PREDICT_MONITOR_WINDOW"),
        ({"PREDICT_MONITOR_WINDOW": "0"}, "PREDICT_MONITOR_WINDOW"),
        ({"PREDICT_MONITOR_FEEDBACK_TTL": "-1"}, "PREDICT_MONITOR_FEEDBACK_TTL"),
        ({"PREDICT_MONITOR_KEY": "short"}, "PREDICT_MONITOR_KEY"),
        ({"PREDICT_MONITOR_STORE_TIMEOUT": "soon"}, "PREDICT_MONITOR_STORE_TIMEOUT"),
        ({"PREDICT_MONITOR_STORE_TIMEOUT": "0.1"}, "PREDICT_MONITOR_STORE_TIMEOUT"),
        ({"PREDICT_MONITOR_STORE_TIMEOUT": "120"}, "PREDICT_MONITOR_STORE_TIMEOUT"),
        ({"PREDICT_MONITOR_DB": "postgresql://u@127.0.0.1/db"}, "PREDICT_MONITOR_KEY"),
    ],
)
def test_bad_monitor_values_name_the_variable(env: dict[str, str], name: str) -> None:
    with pytest.raises(StartupError, match=name):
        Settings.from_env(env)
