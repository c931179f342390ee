"""PREDICT_API_KEYS, PREDICT_ADMIN_API_KEYS (or their _FILE variants) and PREDICT_STATE_DIR at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.http.errors import StartupError
from service.process.settings import Settings

KEY, OTHER = "k" * 16, "0123456789abcdef-x"


def test_keys_are_off_by_default() -> None:
    settings = Settings.from_env({})
    assert settings.api_keys == frozenset() and settings.admin_api_keys == frozenset()
    assert settings.state_dir is None


def test_keys_from_a_comma_separated_list() -> None:
    settings = Settings.from_env({"PREDICT_API_KEYS": f" {KEY} ,{OTHER},", "PREDICT_ADMIN_API_KEYS": OTHER})
    assert settings.api_keys == {KEY, OTHER} and settings.admin_api_keys == {OTHER}


def test_keys_from_a_file_with_comments(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text(f"# the gateway\n{KEY}\n\n{OTHER}\n")
    settings = Settings.from_env({"PREDICT_ADMIN_API_KEYS_FILE": str(path)})
    assert settings.admin_api_keys == {KEY, OTHER} and settings.api_keys == frozenset()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PREDICT_API_KEYS": "short-secret"}, "PREDICT_API_KEYS: key 1 must be at least 16"),
        ({"PREDICT_API_KEYS": f"{KEY},with a space in it!!"}, "PREDICT_API_KEYS: key 2 must be"),
        ({"PREDICT_API_KEYS": " , "}, "PREDICT_API_KEYS is set but holds no key"),
        ({"PREDICT_ADMIN_API_KEYS": "tiny-admin"}, "PREDICT_ADMIN_API_KEYS: key 1"),
        (
            {"PREDICT_API_KEYS": KEY, "PREDICT_API_KEYS_FILE": "/x"},
            "set PREDICT_API_KEYS or PREDICT_API_KEYS_FILE",
        ),
        (
            {"PREDICT_API_KEYS_FILE": "/nonexistent/keys"},
            "PREDICT_API_KEYS_FILE /nonexistent/keys cannot be read",
        ),
        ({"PREDICT_API_KEYS_FILE": " "}, "PREDICT_API_KEYS_FILE must not be empty"),
        ({"PREDICT_STATE_DIR": " "}, "PREDICT_STATE_DIR must not be empty"),
    ],
)
def test_bad_values_fail_naming_the_variable_and_never_the_key(env: dict[str, str], message: str) -> None:
    with pytest.raises(StartupError, match=message) as info:
        Settings.from_env(env)
    assert "short-secret" not in str(info.value) and "with a space" not in str(info.value)


def test_an_empty_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text("# nobody yet\n")
    with pytest.raises(StartupError, match="PREDICT_API_KEYS_FILE is set but holds no key"):
        Settings.from_env({"PREDICT_API_KEYS_FILE": str(path)})


def test_keys_stay_out_of_the_settings_repr() -> None:
    settings = Settings.from_env({"PREDICT_API_KEYS": KEY, "PREDICT_ADMIN_API_KEYS": OTHER})
    assert KEY not in repr(settings) and OTHER not in repr(settings)


def test_state_dir_is_read() -> None:
    assert Settings.from_env({"PREDICT_STATE_DIR": "/var/lib/pp"}).state_dir == Path("/var/lib/pp")
