"""The gunicorn master's side of model updates: validate once in a fresh process, then let workers switch.

At start and on every SIGHUP the master runs `python -m service.process.check --install`: the model at
PREDICT_MODEL_PATH is checked (contract, signature, golden self-test) and only then copied into the store
(service.process.model_store) that workers load from. A model that fails leaves the store as it was, so the
new workers gunicorn starts after SIGHUP, and any worker respawned later, load the model that was validated
before. The failure is logged as one line and counted in `predict_model_reload_failures_total`.

The master also parses the PREDICT_* settings itself (service.process.settings: pure Python, neither Flask nor
onnxruntime) and keeps the last ones that passed (`validated_settings`). Workers are forked from the
master and take those, so a key file edited into a bad one and a SIGHUP change nothing: the reload is
refused in one line naming the variable, and every worker, including one respawned later, keeps the last
validated keys until the file is fixed and SIGHUP is sent again.

This module keeps its state at module level on purpose: gunicorn re-executes its config file on SIGHUP,
but imported modules survive, so the temporary directories are made once per master and the validated
settings outlive a reload. The master never loads onnxruntime: a runtime initialised before fork() makes
the workers abort when they exit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from runtime.contract import printable, valid_token
from service.process.model_store import ModelStore, StoreError

if TYPE_CHECKING:
    from service.process.settings import Settings

CHECK_TIMEOUT_S = 120
EXIT_SETTINGS = (
    4  # service.process.check's status for a bad PREDICT_* setting (not importable here: onnxruntime)
)
_DIRS: dict[str, str] = {}  # what this master made: removed on exit
_COUNTER: list[Any] = []
_SETTINGS: list[Settings] = []  # the master's last validated settings; workers inherit them through fork


def metrics_dir() -> str:
    """A fresh directory for prometheus_client's multiprocess files, made once per master."""
    if "metrics" not in _DIRS:
        _DIRS["metrics"] = tempfile.mkdtemp(prefix="purchase-predictor-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _DIRS["metrics"]
    return _DIRS["metrics"]


def state_dir() -> Path:
    """PREDICT_STATE_DIR (created, private), or a temporary one; exported for the check and the workers."""
    if "state" not in _DIRS and "state-given" not in _DIRS:
        raw = os.environ.get("PREDICT_STATE_DIR", "").strip()
        if raw:
            try:
                Path(raw).mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as exc:
                _refuse(f"PREDICT_STATE_DIR {raw} cannot be created: {exc.strerror}")
            _DIRS["state-given"] = str(Path(raw).resolve())
        else:
            _DIRS["state"] = tempfile.mkdtemp(prefix="purchase-predictor-state-")
    path = _DIRS.get("state") or _DIRS["state-given"]
    os.environ["PREDICT_STATE_DIR"] = path
    return Path(path)


def _refuse(reason: str) -> NoReturn:
    """Stop the master before it binds, with one line."""
    sys.stderr.write(f"purchase-predictor: cannot start: {reason}\n")
    sys.stderr.flush()
    cleanup()
    raise SystemExit(3)


def failures_counter() -> Any:
    """`predict_model_reload_failures_total`, written to the multiprocess directory by the master."""
    if not _COUNTER:
        from prometheus_client import Counter  # after PROMETHEUS_MULTIPROC_DIR is set

        _COUNTER.append(
            Counter("predict_model_reload_failures", "Model updates refused by the checks.", registry=None)
        )
    return _COUNTER[0]


class SettingsError(Exception):
    """A PREDICT_* setting is bad (found by the master or the check): the message is one line naming the
    variable, never a key."""


def validated_settings() -> Settings | None:
    """The settings the gunicorn master last validated (None outside such a master or its workers)."""
    return _SETTINGS[0] if _SETTINGS else None


def read_settings() -> Settings:
    """The PREDICT_* settings as they are now; raises SettingsError naming the variable (never a key)."""
    from service.process.settings import Settings
    from service.process.startup_errors import StartupError  # no Flask: the master only reads settings

    try:
        return Settings.from_env()
    except StartupError as exc:
        raise SettingsError(printable(str(exc))) from None


def keep_settings(settings: Settings) -> None:
    """Make `settings` the ones new workers start with."""
    _SETTINGS[:] = [settings]


def run_check(repo: str) -> str | None:
    """Validate and install the model in a fresh interpreter; None on success, else the reason.

    Raises SettingsError when the reason is a bad setting rather than the model."""
    try:
        result = subprocess.run(
            [sys.executable, "-m", "service.process.check", "--install"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=CHECK_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"the model check did not finish within {CHECK_TIMEOUT_S} s"
    if result.returncode == 0:
        return None
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    reason = printable(lines[-1], 500) if lines else f"the model check exited with status {result.returncode}"
    if result.returncode == EXIT_SETTINGS:
        raise SettingsError(reason)
    return reason


def served_version(store: ModelStore) -> str | None:
    """The version workers load, if the store holds a readable, intact model with a version that follows
    the contract (the check process has validated the model itself)."""
    try:
        entry = store.current()
        if entry is None or not valid_token(entry.version):
            return None
        store.read(entry)
    except (StoreError, TypeError):  # TypeError: a current.json with other fields
        return None
    return entry.version


def start(server: Any, repo: str) -> None:
    """Before binding: install the model, or keep serving the store's validated one, or refuse to start."""
    store = ModelStore(state_dir())
    failures_counter()  # exported as 0 from the start
    try:
        settings = read_settings()
        reason = run_check(repo)
    except SettingsError as exc:  # a setting no model can fix: workers would fail to boot with it
        _refuse(str(exc))
    keep_settings(settings)
    if reason is None:
        return
    version = served_version(store)
    if version is None:
        _refuse(reason)
    failures_counter().inc()
    server.log.error("model check failed, serving the previously validated model %s: %s", version, reason)


def reload(server: Any, repo: str) -> None:
    """On SIGHUP, before new workers start: install the new model only if it passes every check, and take
    the settings as they are now only if they are valid (else keep the last validated ones, one line)."""
    store = ModelStore(state_dir())
    before = served_version(store)
    try:
        settings = read_settings()
        reason = run_check(repo)
    except SettingsError as exc:  # nothing installed: the workers keep what they had
        version = before or "none"
        failures_counter().inc()
        server.log.error(
            "reload refused, a setting is bad; workers keep the last validated settings and model %s: %s",
            version,
            exc,
        )
        _record(server, store, False, version, str(exc))
        return
    keep_settings(settings)  # valid: a model that failed its checks does not make them wrong
    version = served_version(store) or "none"
    if reason is None:
        server.log.info("model reload: serving %s (was %s)", version, before)
    else:
        failures_counter().inc()
        server.log.error("model reload refused, still serving %s: %s", version, reason)
    _record(server, store, reason is None, version, reason or "")


def _record(server: Any, store: ModelStore, ok: bool, version: str, reason: str) -> None:
    """Write the reload's outcome to the store (for `make deploy-model` and the tests)."""
    try:
        store.record_reload(ok, version, reason)
    except OSError as exc:
        server.log.error("model reload outcome not recorded: %s", exc.strerror)


def cleanup() -> None:
    """Remove the directories this master made."""
    for key in ("metrics", "state"):
        if key in _DIRS:
            shutil.rmtree(_DIRS.pop(key), ignore_errors=True)
