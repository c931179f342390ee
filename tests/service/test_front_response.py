"""service.front.response: gunicorn's exact bytes in fewer sends, and the Date formatted once a second."""

from __future__ import annotations

import email.utils
import hashlib
import inspect
import re
import socket
import time
from typing import Any

import pytest
from gunicorn import http, util
from gunicorn.config import Config
from gunicorn.http import wsgi
from gunicorn.workers.gthread import ThreadWorker

from service.front import response
from service.front.response import COALESCE_BYTES, OneSendResponse

FIXED_DATE = "Tue, 01 Dec 2026 00:00:00 GMT"
JSON = [("Content-Type", "application/json")]
IMF_FIXDATE = re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT")


class Recorder:
    """A socket stand-in that keeps every send."""

    def __init__(self) -> None:
        self.sends: list[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.sends.append(bytes(data))


def parsed(request: bytes) -> Any:
    """gunicorn's own parse of `request` (a whole HTTP/1.x request)."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.sendall(request)
        ours.shutdown(socket.SHUT_WR)
        return next(http.get_parser(Config(), theirs, ("127.0.0.1", 1)))


def answer(
    kind: type[wsgi.Response], request: bytes, status: str, headers: list[Any], body: list[bytes]
) -> Recorder:
    """What `kind` sends for one WSGI answer, as gthread drives it (start_response, writes, close)."""
    sock = Recorder()
    resp = kind(parsed(request), sock, Config())
    resp.start_response(status, headers)
    for chunk in body:
        resp.write(chunk)
    resp.close()
    return sock


def length(*chunks: bytes) -> list[tuple[str, str]]:
    """A Content-Length header for these chunks."""
    return [("Content-Length", str(sum(map(len, chunks))))]


POST = b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}"
SMALL = b'{"probability": 0.9358, "prediction": "Yes"}'
BIG = b"x" * (COALESCE_BYTES + 1)
GET_CLOSE = b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
CASES = {  # name: request, status, headers, body chunks
    "json": (POST, "200 OK", JSON + length(SMALL), [SMALL]),
    "error": (POST, "422 UNPROCESSABLE ENTITY", JSON + length(SMALL), [SMALL]),
    "two chunks": (POST, "200 OK", JSON + length(SMALL, SMALL), [SMALL, SMALL]),
    "empty first chunk": (POST, "200 OK", length(SMALL), [b"", SMALL]),
    "no body": (POST, "200 OK", length(), []),
    "chunked": (POST, "200 OK", JSON, [SMALL, SMALL]),
    "longer than its length": (POST, "200 OK", [("Content-Length", "5")], [SMALL]),
    "over the coalescing limit": (POST, "200 OK", length(BIG), [BIG]),
    "head": (b"HEAD /health HTTP/1.1\r\nHost: t\r\n\r\n", "200 OK", length(SMALL), [SMALL]),
    "204": (POST, "204 NO CONTENT", [], [b""]),
    "http/1.0": (b"GET /health HTTP/1.0\r\n\r\n", "200 OK", JSON, [SMALL]),
    "connection close": (
        b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        "200 OK",
        length(SMALL),
        [SMALL],
    ),
}


@pytest.fixture(autouse=True)
def fixed_date(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both writers format the same Date (and the cache starts empty)."""
    monkeypatch.setattr(util, "http_date", lambda timestamp=None: FIXED_DATE)
    monkeypatch.setattr(response, "http_date", response.HttpDate())


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_the_bytes_on_the_wire_are_gunicorns(case: tuple[bytes, str, list[Any], list[bytes]]) -> None:
    ours, theirs = answer(OneSendResponse, *case), answer(wsgi.Response, *case)
    assert b"".join(ours.sends) == b"".join(theirs.sends)
    assert len(ours.sends) <= len(theirs.sends)


@pytest.mark.parametrize(
    ("name", "sends", "gunicorns"), [("json", 1, 2), ("error", 1, 2), ("two chunks", 2, 3), ("no body", 1, 1)]
)
def test_a_small_whole_body_goes_out_with_its_head(name: str, sends: int, gunicorns: int) -> None:
    ours, theirs = answer(OneSendResponse, *CASES[name]), answer(wsgi.Response, *CASES[name])
    assert (len(ours.sends), len(theirs.sends)) == (sends, gunicorns)
    assert ours.sends[0].startswith(b"HTTP/1.1 ") and b"\r\n\r\n" in ours.sends[0]


def test_a_large_body_is_not_copied_into_the_head() -> None:
    ours = answer(OneSendResponse, *CASES["over the coalescing limit"])
    assert len(ours.sends) == 2 and ours.sends[1] == BIG


def test_the_date_is_formatted_once_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    formatted: list[float] = []

    def http_date(timestamp: float) -> str:
        formatted.append(timestamp)
        return f"date {timestamp}"

    monkeypatch.setattr(util, "http_date", http_date)
    clock = iter([1000.1, 1000.9, 1001.0, 1001.5])
    monkeypatch.setattr(response.time, "time", lambda: next(clock))
    date = response.HttpDate()
    assert [date(), date(), date(), date()] == ["date 1000", "date 1000", "date 1001", "date 1001"]
    assert formatted == [1000, 1001]


def test_the_cached_date_is_now_in_rfc_9110s_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real gunicorn formatter and clock
    value = response.HttpDate()()
    assert IMF_FIXDATE.fullmatch(value), value
    assert abs(email.utils.parsedate_to_datetime(value).timestamp() - time.time()) < 2


# The worker copies gthread's handle_request and the writer mirrors Response.default_headers and
# send_headers: when gunicorn changes them, compare and update service/front/{worker,response}.py, then
# these digests.
UPSTREAM = {
    ThreadWorker.handle_request: "6d0de5b919102efcfde7a8dc83e48268298072d65d88f5f26c858b239696a4d3",
    wsgi.Response.default_headers: "cb490cea5d6f54089293c2adf46190cf3b5fb92335e620bb93710412aa26c6c6",
    wsgi.Response.send_headers: "7aff3b7d004fc17b318ce8d0ea6a426cc9c019fb9e6e5ed129c5dbb598315cb9",
    wsgi.Response.write: "a13659ff072c00e10cc841fbd4e7695cc2e3481a2baadc539f70dd402bc046cc",
}


@pytest.mark.parametrize("function", list(UPSTREAM), ids=[f.__qualname__ for f in UPSTREAM])
def test_the_gunicorn_code_the_front_follows_is_the_one_it_was_written_against(function: Any) -> None:
    digest = hashlib.sha256(inspect.getsource(function).encode()).hexdigest()
    assert digest == UPSTREAM[function], f"gunicorn's {function.__qualname__} changed: review the copy"
