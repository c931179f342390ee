"""One JSON access-log line per request, with the request id; inputs only when enabled; probes quiet."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.app import create_app
from service.logs import AccessLog, JSONFormatter
from service.observability import server_timing
from service.predictor import Predictor
from service.settings import Settings

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
    """Parse every captured line as JSON."""
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
        "ts", "level", "logger", "msg", "request_id", "method", "path", "status", "duration_ms", "inputs",
    ]  # fmt: skip
    assert line["method"] == 'PO"ST' and line["duration_ms"] == 1.234 and line["inputs"] == {"age": 45.0}
    assert line["logger"] == "service.access" and str(line["ts"]).endswith("Z")


def test_server_timing_lists_only_the_steps_reached() -> None:
    assert server_timing(None, 0.002) == "total;dur=2.000"
    assert server_timing({"parse": 0.001}, 0.002) == "parse;dur=1.000, total;dur=2.000"
    full = server_timing({"parse": 0.001, "validate": 0.0005, "infer": 0.00025}, 0.002)
    assert full == "parse;dur=1.000, validate;dur=0.500, infer;dur=0.250, total;dur=2.000"
