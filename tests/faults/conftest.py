"""Fixtures for the fault tests: a model file the test may replace, a second valid model, a server."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from bench.gunicorn_process import Gunicorn, gunicorn
from tests.onnx_factory import write_model

SECOND_VERSION = "logreg-test0000002"
ServerFactory = Callable[..., AbstractContextManager[Gunicorn]]


@pytest.fixture()
def live_model(model_path: Path, tmp_path: Path) -> Path:
    """A copy of the test model at the path the server serves from; tests replace it."""
    path = tmp_path / "live" / "purchase_model.onnx"
    path.parent.mkdir()
    shutil.copyfile(model_path, path)
    return path


@pytest.fixture(scope="session")
def second_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid model with another version."""
    return write_model(tmp_path_factory.mktemp("second") / "m2.onnx", {"model_version": SECOND_VERSION})


@pytest.fixture()
def start_server(live_model: Path, tmp_path: Path) -> Iterator[ServerFactory]:
    """Start gunicorn on `live_model` with a state directory and a log file in tmp_path."""

    def factory(workers: int = 2, **extra: str) -> AbstractContextManager[Gunicorn]:
        """The server as a context manager."""
        return gunicorn(live_model, tmp_path / "state", tmp_path / "server.log", workers, **extra)

    yield factory
