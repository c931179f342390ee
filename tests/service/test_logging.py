"""One JSON access-log line per request, with the request id; inputs only when enabled; probes quiet."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from runtime.predictor import Predictor
from service.fast.flusher import flush_all
from service.http.app import create_app
from service.observe.logs import CHUNK_CHARS, AccessLog, JSONFormatter
from service.observe.middleware import server_timing
from service.process.settings import Settings
from tests.service.server import REPO

CUSTOMER = {"age": 45, "salary": 93217, "gender": "Female"}


@pytest.fixture()
def log_stream() -> io.StringIO:
    """Where the access log of apps built with `logged_app` goes."""
    return io.StringIO()


def logged(app: Flask, stream: io.StringIO) -> FlaskClient:
    """Turn the app's access log on, into `stream`, and return a client."""
    access_log = app.extensions["purchase_predictor"].access_log
    access_log.stream, access_log.enabled = stream, True
    return app.test_client()


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    """Write out the queued access lines, then parse every captured line as JSON."""
    flush_all()
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_one_json_line_per_request_with_request_id(app: Flask, log_stream: io.StringIO) -> None:
    client = logged(app, log_stream)
    response = client.post("/predict", json=CUSTOMER, headers={"X-Request-ID": "trace-1"})
    client.get("/nope")
    first, second = lines(log_stream)
    assert first["request_id"] == "trace-1" == response.headers["X-Request-ID"]
    assert first["path"] == "/predict" and first["status"] == 200 and first["method"] == "POST"
    assert isinstance(first["duration_ms"], float)
    assert second["status"] == 404 and second["path"] == "unmatched"


def test_inputs_are_not_logged_by_default(app: Flask, log_stream: io.StringIO) -> None:
    client = logged(app, log_stream)
    client.post("/predict", json=CUSTOMER)
    client.post("/predict", json={**CUSTOMER, "age": -93217})
    assert "93217" not in log_stream.getvalue()


def test_inputs_are_logged_when_enabled(
    settings: Settings, predictor: Predictor, log_stream: io.StringIO
) -> None:
    app = create_app(Settings(model_path=settings.model_path, log_inputs=True), predictor)
    logged(app, log_stream).post("/predict", json=CUSTOMER)
    (line,) = lines(log_stream)
    assert line["inputs"] == CUSTOMER


def test_health_and_ready_stay_out_of_the_access_log(app: Flask, log_stream: io.StringIO) -> None:
    client = logged(app, log_stream)
    client.get("/health")
    client.get("/ready")
    client.get("/model")
    assert [line["path"] for line in lines(log_stream)] == ["/model"]


def test_access_log_is_off_when_the_access_logger_is_not_at_info(app: Flask) -> None:
    assert logging.getLogger("service.access").getEffectiveLevel() > logging.INFO  # pytest's default: WARNING
    assert app.extensions["purchase_predictor"].access_log.enabled is False


def test_json_formatter_renders_extra_fields_and_exceptions() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom %s", ("now",), None)
    record.request_id = "r1"
    try:
        raise ValueError("bad")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = json.loads(JSONFormatter().format(record))
    assert line["msg"] == "boom now" and line["request_id"] == "r1" and "ValueError" in line["exc"]


def test_access_line_keeps_the_json_shape_and_escapes_odd_methods() -> None:
    stream = io.StringIO()
    AccessLog(stream, enabled=True).write("abc", 'PO"ST', "/predict", 200, 0.0012345, {"age": 45.0})
    AccessLog(stream, enabled=True).write("def", "GET", "/health", 200, 0.001)
    (line,) = lines(stream)
    assert list(line) == [
        "ts",
        "level",
        "logger",
        "msg",
        "request_id",
        "method",
        "path",
        "status",
        "duration_ms",
        "inputs",
    ]
    assert line["method"] == 'PO"ST' and line["duration_ms"] == 1.234 and line["inputs"] == {"age": 45.0}
    assert line["logger"] == "service.access" and str(line["ts"]).endswith("Z")


def test_server_timing_lists_only_the_steps_reached() -> None:
    assert server_timing(None, 0.002) == "total;dur=2.000"
    assert server_timing({"parse": 0.001}, 0.002) == "parse;dur=1.000, total;dur=2.000"
    full = server_timing({"parse": 0.001, "validate": 0.0005, "infer": 0.00025}, 0.002)
    assert full == "parse;dur=1.000, validate;dur=0.500, infer;dur=0.250, total;dur=2.000"


class Recording(io.StringIO):
    """A stream that remembers each write separately."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def test_queued_lines_are_written_by_the_flusher_without_an_explicit_flush() -> None:
    stream = io.StringIO()
    AccessLog(stream, enabled=True).write("late", "GET", "/model", 200, 0.001)
    deadline = time.monotonic() + 5
    while not stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert json.loads(stream.getvalue())["request_id"] == "late"


def test_lines_from_many_threads_arrive_whole_in_bounded_chunks() -> None:
    stream, log = Recording(), AccessLog(enabled=True)
    log.stream = stream

    def burst(thread: int) -> None:
        for i in range(400):
            log.write(f"t{thread}-{i}", "POST", "/predict", 200, 0.001, {"age": 45.0, "pad": "x" * (i % 97)})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(burst, range(8)))
    log.flush()
    ids = [str(line["request_id"]) for line in lines(stream)]
    assert sorted(ids) == sorted(f"t{t}-{i}" for t in range(8) for i in range(400))
    assert all(w.endswith("\n") and len(w) <= CHUNK_CHARS for w in stream.writes)
    for thread in range(8):  # each thread's lines keep their order
        mine = [i for i in ids if i.startswith(f"t{thread}-")]
        assert mine == [f"t{thread}-{i}" for i in range(400)]


def test_a_line_longer_than_a_chunk_is_written_alone_and_whole() -> None:
    stream, log = Recording(), AccessLog(enabled=True)
    log.stream = stream
    log.write("small", "GET", "/model", 200, 0.001)
    log.write("big", "POST", "/predict/batch", 200, 0.001, {"customers": ["x" * 10] * 1000})
    log.flush()
    assert [json.loads(w)["request_id"] for w in stream.writes] == ["small", "big"]


def test_queued_lines_are_written_at_interpreter_exit(tmp_path: Path) -> None:
    code = (
        "from service.observe.logs import AccessLog\n"
        "AccessLog(enabled=True).write('bye', 'POST', '/predict', 200, 0.001)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stderr)["request_id"] == "bye"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_repeat_the_parents_queued_lines(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    with path.open("a") as stream:
        log = AccessLog(stream, enabled=True)
        log.write("parent", "GET", "/model", 200, 0.001)
        with warnings.catch_warnings():  # fork() in a threaded process: the child only flushes and exits
            warnings.simplefilter("ignore", DeprecationWarning)
            child = os.fork()
        if child == 0:
            log.write("child", "GET", "/model", 200, 0.001)
            flush_all()
            os._exit(0)
        os.waitpid(child, 0)
        log.flush()
    ids = sorted(json.loads(line)["request_id"] for line in path.read_text().splitlines())
    assert ids == ["child", "parent"]
