"""`serve`, `deploy` (`--shadow`), `rollback`, `history`, `promote`, `discard`: the HTTP service and its safe
model updates."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from purchase_predictor.exit_codes import CliError, Exit
from purchase_predictor.options import MODEL_ENV, example, model_option, plain_messages

if TYPE_CHECKING:
    from service.process.model_store import ModelStore
    from service.process.settings import Settings

DEFAULT_HOST = "0.0.0.0"
DEFAULT_PORT = 8000
STATE_ENV = "PREDICT_STATE_DIR"
WAIT_S = 180.0


def _port(ctx: click.Context, text: str) -> int:
    """The port: a bad --port is a usage error (2), a bad PORT variable a configuration error (3)."""
    if text.isdigit() and 1 <= int(text) <= 65535:
        return int(text)
    if ctx.get_parameter_source("port") == click.core.ParameterSource.ENVIRONMENT:
        raise CliError(Exit.CONFIG, f"cannot start: PORT must be a port number 1-65535, got {text!r}")
    raise click.BadParameter(f"expected a port number 1-65535, got {text!r}", ctx, param_hint="'--port'")


def gunicorn_config() -> Path:
    """service/process/gunicorn.conf.py wherever the service package is (the repository or site-packages)."""
    return Path(str(resources.files("service.process").joinpath("gunicorn.conf.py")))


def start_server(host: str, port: int, socket: Path | None = None) -> int:
    """Replace this process with the service's launcher (as `make serve`): gunicorn with the buffering
    worker class on host:port, nginx before it with PREDICT_FRONT=nginx, or plain gthread gunicorn with
    PREDICT_FRONT=none (docs/operations/slow-clients.md); with `socket`,
    gunicorn alone on that Unix socket, for a front that runs beside it (the Kubernetes sidecar). Returns
    only on failure. PREDICT_MODEL_PATH is already in the environment."""
    os.environ["PREDICT_HOST"] = host
    os.environ["PORT"] = str(port)
    if socket is not None:
        from service.process.launch import gunicorn_argv

        argv = gunicorn_argv(f"unix:{socket}")
    else:
        argv = [sys.executable, "-m", "service.process.launch"]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)
    return Exit.INTERNAL  # pragma: no cover  (execv does not return)


@click.command(
    epilog=example(
        "purchase-predictor serve --model models/purchase_model.onnx --port 8000",
        "purchase-predictor serve --socket /run/app/gunicorn.sock   # gunicorn alone, for a sidecar front",
        "curl -s localhost:8000/predict -H 'Content-Type: application/json' \\",
        '     -d \'{"age": 45, "salary": 90000, "gender": "Male"}\'',
    )
)
@model_option("the ONNX model to serve")
@click.option(
    "--host",
    envvar="PREDICT_HOST",
    show_envvar=True,
    default=DEFAULT_HOST,
    show_default=True,
    help="the address to listen on (127.0.0.1: this machine only)",
)
@click.option(
    "--port",
    envvar="PORT",
    show_envvar=True,
    default=str(DEFAULT_PORT),
    show_default=True,
    help="the port to listen on",
)
@click.option(
    "--socket",
    type=click.Path(dir_okay=False, path_type=Path),
    help="gunicorn alone on this Unix socket (for a front of your own beside it)",
)
@click.pass_context
def serve(ctx: click.Context, model: Path, host: str, port: str, socket: Path | None) -> int:
    """Serve the model over HTTP with gunicorn: /predict, the page at /, /model, /metrics, /docs."""
    number = _port(ctx, port)
    if not host.strip():
        raise click.BadParameter("the host must not be empty", ctx, param_hint="'--host'")
    os.environ["PORT"] = str(number)
    os.environ[MODEL_ENV] = str(model.resolve())
    return start_server(host, number, socket)


def _settings(model: Path, state_dir: Path | None) -> tuple[Settings, ModelStore]:
    """The service's settings and model store for the served model path and state directory."""
    from service.process.model_store import ModelStore, StoreError
    from service.process.settings import Settings
    from service.process.startup_errors import StartupError

    if state_dir is None:
        raise CliError(Exit.CONFIG, f"{STATE_ENV} or --state-dir must name the service's state directory")
    try:
        settings = Settings.from_env({**os.environ, MODEL_ENV: str(model), STATE_ENV: str(state_dir)})
        return settings, ModelStore(state_dir)
    except (StartupError, StoreError) as exc:
        raise CliError(Exit.CONFIG, str(exc)) from None


timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=WAIT_S,
    show_default=True,
    help="seconds to wait for the service's reload",
)


def state_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """--state-dir, default $PREDICT_STATE_DIR: where the service keeps its model store and pidfile."""
    return click.option(
        "--state-dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar=STATE_ENV,
        show_envvar=True,
        help="the running service's state directory (model store, pidfile)",
    )(function)


def _switch(run: Callable[[], None]) -> int:
    """Run a model switch; the service keeping its model is REFUSED, a store or file problem CONFIG."""
    from service.process.deploy import CandidateRefused, DeployError
    from service.process.model_store import StoreError

    logging.getLogger("runtime").setLevel(logging.WARNING)  # the command says itself what it checked
    plain_messages()
    try:
        run()
    except CandidateRefused as exc:
        raise CliError(Exit.CONFIG, str(exc)) from None
    except DeployError as exc:
        raise CliError(Exit.REFUSED, str(exc)) from None
    except StoreError as exc:
        raise CliError(Exit.CONFIG, str(exc)) from None
    except OSError as exc:
        raise CliError(Exit.INTERNAL, f"{exc.filename or 'file'}: {exc.strerror}") from None
    return Exit.OK


@click.command(
    epilog=example(
        "PREDICT_STATE_DIR=.state purchase-predictor deploy runs/today/model.onnx",
        "PREDICT_STATE_DIR=.state purchase-predictor deploy --shadow runs/today/model.onnx",
    )
)
@click.argument("candidate", type=click.Path(dir_okay=False, path_type=Path))
@model_option("the served model file the candidate replaces")
@state_option
@click.option("--shadow", is_flag=True, help="score the candidate beside the live model; it never answers")
@timeout_option
def deploy(candidate: Path, model: Path, state_dir: Path | None, shadow: bool, timeout: float) -> int:
    """Check CANDIDATE, put it at the served path atomically and make the running service reload it;
    its model card (model_card.json beside it) travels with it (service.process.deploy.deploy). With
    --shadow: the same checks, then the service scores it beside the live model (service.process.shadow)."""
    from service.process.deploy import deploy as run_deploy
    from service.process.shadow import deploy_shadow

    settings, store = _settings(model, state_dir)
    run = deploy_shadow if shadow else run_deploy
    return _switch(lambda: run(settings, store, candidate, timeout))


@click.command(epilog=example("PREDICT_STATE_DIR=.state purchase-predictor promote"))
@model_option("the served model file the shadow model replaces")
@state_option
@timeout_option
def promote(model: Path, state_dir: Path | None, timeout: float) -> int:
    """Make the shadow model live, exactly as a deploy of it would (rollback goes back); empties the slot."""
    from service.process.shadow import promote as run_promote

    settings, store = _settings(model, state_dir)
    return _switch(lambda: run_promote(settings, store, timeout))


@click.command(epilog=example("PREDICT_STATE_DIR=.state purchase-predictor discard"))
@model_option("the served model file")
@state_option
@timeout_option
def discard(model: Path, state_dir: Path | None, timeout: float) -> int:
    """Drop the shadow model: the service stops scoring it."""
    from service.process.shadow import discard as run_discard

    store = _settings(model, state_dir)[1]
    return _switch(lambda: run_discard(store, timeout))


@click.command(epilog=example("PREDICT_STATE_DIR=.state purchase-predictor rollback"))
@model_option("the served model file")
@state_option
@timeout_option
def rollback(model: Path, state_dir: Path | None, timeout: float) -> int:
    """Go back to the previously deployed model, the same safe way (a second rollback goes forward)."""
    from service.process.deploy import rollback as run_rollback

    settings, store = _settings(model, state_dir)
    return _switch(lambda: run_rollback(settings, store, timeout))


@click.command(epilog=example("PREDICT_STATE_DIR=.state purchase-predictor history"))
@state_option
def history(state_dir: Path | None) -> int:
    """The deployed models with their versions, newest first (* = the one served)."""
    from service.process.deploy import show_history

    settings, store = _settings(Path(os.environ.get(MODEL_ENV) or "models/purchase_model.onnx"), state_dir)
    return _switch(lambda: show_history(store, settings))


COMMANDS = (serve, deploy, rollback, history, promote, discard)
