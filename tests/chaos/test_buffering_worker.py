"""The buffering worker class (service.front.worker) in real gunicorn through the launcher, on loopback,
spoken to with raw sockets: what a well-behaved client gets (keep-alive, pipelining, chunked bodies,
100-continue) and what a slow, oversize or ambiguous one gets (408, 413, 400), with the header deadline
counted over the whole head and the body timeout between two reads, as nginx counts them."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.front_server import Launched, close_all, closed_by_server, ensure_open_files, launched
from tests.chaos.test_slow_clients import good_answers
from tests.onnx_factory import expected_probability

TIMEOUT = 2  # PREDICT_FRONT_HEADER_TIMEOUT and PREDICT_FRONT_BODY_TIMEOUT here
LIMIT = 4096  # PREDICT_MAX_BODY_BYTES here
Answer = tuple[int, dict[str, object], dict[str, str]]  # status, JSON body, lower-case headers
BODY = json.dumps({"age": 41, "salary": 52000, "gender": "Female"}).encode()


@pytest.fixture(scope="module")
def server(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launched]:
    """One launcher with the default front for the whole module (2 workers × 2 threads)."""
    extra = {
        "PREDICT_FRONT_HEADER_TIMEOUT": str(TIMEOUT),
        "PREDICT_FRONT_BODY_TIMEOUT": str(TIMEOUT),
        "PREDICT_MAX_BODY_BYTES": str(LIMIT),
    }
    with launched(model_path, tmp_path_factory.mktemp("worker"), **extra) as running:
        assert "Using worker: service.front.worker.BufferingWorker" in running.log()
        yield running


def connect(server: Launched) -> socket.socket:
    """A raw connection to the server."""
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def post(body: bytes = BODY, extra: bytes = b"", length: bool = True) -> bytes:
    """A POST /predict head (with Content-Length unless told not to) and its body."""
    size = b"Content-Length: %d\r\n" % len(body) if length else b""
    return (
        b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        + size
        + extra
        + b"\r\n"
        + body
    )


class Closed(AssertionError):
    """The server closed the connection before `count` answers were read; `between` says whether it closed
    between two answers (a kept-alive connection may) rather than inside a head or a body."""

    def __init__(self, message: str, *, between: bool) -> None:
        super().__init__(message)
        self.between = between


def read_answers(sock: socket.socket, count: int) -> list[Answer]:
    """Read `count` answers with Content-Length bodies: (status, JSON body, lower-case headers) each."""
    buffer, answers = b"", list[Answer]()
    while len(answers) < count:
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(65536)
            if not chunk:
                raise Closed(f"closed after {len(answers)} answers: {buffer[:200]!r}", between=not buffer)
            buffer += chunk
        head, _, buffer = buffer.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        if status == 100:
            continue
        size = int(headers["content-length"])
        while len(buffer) < size:
            chunk = sock.recv(65536)
            if not chunk:
                raise Closed("closed inside a body", between=False)
            buffer += chunk
        answers.append((status, json.loads(buffer[:size]), headers))
        buffer = buffer[size:]
    return answers


def assert_right(answer: Answer) -> None:
    """A 200 with the probability of BODY."""
    status, body, _ = answer
    assert status == 200, body
    assert abs(float(body["probability"]) - expected_probability(41, 52000, "Female")) < 1e-3  # type: ignore[arg-type]


def test_keep_alive_serves_several_requests_on_one_connection(server: Launched) -> None:
    with connect(server) as sock:
        for _ in range(3):
            sock.sendall(post())
            (answer,) = read_answers(sock, 1)
            assert_right(answer)
            assert answer[2]["connection"] == "keep-alive"


def test_a_next_request_sent_in_pieces_on_a_kept_alive_connection_is_answered(server: Launched) -> None:
    with connect(server) as sock:
        sock.sendall(post())
        assert_right(read_answers(sock, 1)[0])
        second = post()
        for piece in (second[:20], second[20:70], second[70:]):  # the thread's read gets only the first
            sock.sendall(piece)
            time.sleep(0.3)
        assert_right(read_answers(sock, 1)[0])


def test_a_kept_alive_connection_silent_inside_its_next_body_gets_408(server: Launched) -> None:
    with connect(server) as sock:
        sock.sendall(post())
        assert_right(read_answers(sock, 1)[0])
        sock.sendall(post(extra=b"X-Request-ID: kept-1\r\n")[:-5])
        started = time.monotonic()
        (answer,) = read_answers(sock, 1)
        seconds = time.monotonic() - started
    assert answer[0] == 408 and answer[1]["request_id"] == "kept-1"
    assert TIMEOUT - 0.5 <= seconds <= TIMEOUT + 3, seconds


def test_a_stray_crlf_after_a_body_does_not_break_the_next_request(server: Launched) -> None:
    with connect(server) as sock:
        sock.sendall(post() + b"\r\n")
        assert_right(read_answers(sock, 1)[0])
        sock.sendall(post())
        assert_right(read_answers(sock, 1)[0])


def test_pipelined_requests_in_one_write_are_all_answered_in_order(server: Launched) -> None:
    ids = [b"pipe-1", b"pipe-2", b"pipe-3"]
    with connect(server) as sock:
        sock.sendall(b"".join(post(extra=b"X-Request-ID: " + i + b"\r\n") for i in ids) + post()[:30])
        answers = read_answers(sock, 3)
        sock.sendall(post()[30:])  # the fourth, split across two writes
        answers += read_answers(sock, 1)
    for answer in answers:
        assert_right(answer)
    assert [a[2]["x-request-id"].encode() for a in answers[:3]] == ids


def test_a_chunked_body_sent_in_pieces_is_answered(server: Launched) -> None:
    chunked = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (10, BODY[:10], len(BODY) - 10, BODY[10:])
    with connect(server) as sock:
        sock.sendall(post(b"", b"Transfer-Encoding: chunked\r\n", length=False))
        for start in range(0, len(chunked), 7):
            sock.sendall(chunked[start : start + 7])
            time.sleep(0.02)
        (answer,) = read_answers(sock, 1)
    assert_right(answer)


def test_expect_100_continue_gets_continue_before_the_body_is_sent(server: Launched) -> None:
    with connect(server) as sock:
        sock.sendall(post(b"", b"Expect: 100-continue\r\nContent-Length: %d\r\n" % len(BODY), length=False))
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(BODY)
        (answer,) = read_answers(sock, 1)
    assert_right(answer)


def test_a_body_sent_slowly_but_never_silent_for_the_timeout_is_answered(server: Launched) -> None:
    with connect(server) as sock:
        sock.sendall(post()[: -len(BODY)])
        for piece in (BODY[:15], BODY[15:30], BODY[30:]):
            time.sleep(TIMEOUT * 0.6)  # 3.6 s in all, each gap under the body timeout
            sock.sendall(piece)
        (answer,) = read_answers(sock, 1)
    assert_right(answer)


def test_headers_dripped_past_the_header_timeout_get_408_though_each_gap_is_short(server: Launched) -> None:
    head = post()[:60]
    with connect(server) as sock:
        started = time.monotonic()
        status = None
        for byte in head:
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
            time.sleep(0.25)
            if time.monotonic() - started > TIMEOUT + 4:
                break
        sock.settimeout(5)
        data = sock.recv(4096)
        status = int(data.split()[1]) if data.startswith(b"HTTP/1.1") else None
        elapsed = time.monotonic() - started
    assert status == 408, data[:200]
    assert TIMEOUT - 0.5 <= elapsed <= TIMEOUT + 3, elapsed
    body = json.loads(data.partition(b"\r\n\r\n")[2])
    assert body["error"] == "request_timeout" and set(body) == {"error", "message", "details", "request_id"}


def test_a_client_silent_inside_its_body_gets_408_with_its_request_id_then_is_closed(
    server: Launched,
) -> None:
    with connect(server) as sock:
        sock.sendall(post(extra=b"X-Request-ID: slow-body-1\r\n")[:-5])
        started = time.monotonic()
        (answer,) = read_answers(sock, 1)
        seconds = time.monotonic() - started
        assert closed_by_server(sock, 5) is not None
    status, body, headers = answer
    assert status == 408 and body["request_id"] == headers["x-request-id"] == "slow-body-1"
    assert TIMEOUT - 0.5 <= seconds <= TIMEOUT + 3, seconds


def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout_without_an_answer(
    server: Launched,
) -> None:
    with connect(server) as sock:
        sock.settimeout(TIMEOUT + 5)
        started = time.monotonic()
        assert sock.recv(100) == b""
    assert TIMEOUT - 0.5 <= time.monotonic() - started <= TIMEOUT + 3


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (post(b"x" * (LIMIT + 1)), 413),  # announced too large: refused before the body is read
        (post(b"", b"Content-Length: 99999999\r\n", length=False), 413),
        (post(b"", b"Transfer-Encoding: chunked\r\n", length=False) + b"1001\r\n" + b"x" * 100, 413),
        (post(extra=b"Transfer-Encoding: chunked\r\n"), 400),  # both framings: never guessed
        (post(b"", b"Transfer-Encoding: gzip\r\n", length=False), 400),
    ],
    ids=["length", "length-no-body", "chunked", "length-and-chunked", "not-chunked-last"],
)
def test_oversize_or_ambiguous_framing_is_refused_in_json_and_closed(
    server: Launched, request_bytes: bytes, status: int
) -> None:
    with connect(server) as sock:
        sock.sendall(request_bytes)
        (answer,) = read_answers(sock, 1)
        assert closed_by_server(sock, 5) is not None
    assert answer[0] == status
    assert answer[1]["error"] == {400: "bad_request", 413: "payload_too_large"}[status]
    assert answer[2]["connection"] == "close" and answer[2]["content-type"] == "application/json"


def test_512_idle_connections_and_good_clients_meanwhile(server: Launched) -> None:
    ensure_open_files(512)
    idle = [connect(server) for _ in range(512)]
    try:
        problems = good_answers(server.url, count=32, timeout=5)
    finally:
        close_all(idle)
    assert problems == [], problems[:5]


def keep_posting(server: Launched, count: int, answered: list[Answer], broken: list[str]) -> None:
    """One kept-alive connection sending `count` requests one after another until the server closes it;
    every answer goes to `answered`, an answer cut short to `broken` (a close between answers is fine)."""
    with contextlib.suppress(OSError), connect(server) as sock:
        for _ in range(count):
            sock.sendall(post())
            try:
                answered.extend(read_answers(sock, 1))
            except Closed as closed:
                if not closed.between:
                    broken.append(str(closed))
                return


def load(server: Launched, count: int, answered: list[Answer], broken: list[str]) -> list[threading.Thread]:
    """24 connections running `keep_posting`, started."""
    clients = [
        threading.Thread(target=keep_posting, args=(server, count, answered, broken)) for _ in range(24)
    ]
    for client in clients:
        client.start()
    return clients


def test_kept_alive_connections_under_load_are_all_answered_and_a_stop_meanwhile_is_clean(
    model_path: Path, tmp_path: Path
) -> None:
    """Pool threads put kept-alive connections back in the poller themselves (service.front.worker
    `_serve`): 24 connections × 150 requests are all answered right, and SIGTERM in the middle of the same
    load lets every worker stop with no error and cuts no answer short."""
    with launched(model_path, tmp_path) as running:
        answered: list[Answer] = []
        broken: list[str] = []
        for client in load(running, 150, answered, broken):
            client.join(timeout=120)
        assert len(answered) == 24 * 150 and not broken
        for answer in answered:
            assert_right(answer)
        during: list[Answer] = []
        clients = load(running, 100_000, during, broken)
        time.sleep(1.0)
        running.process.send_signal(signal.SIGTERM)
        assert running.process.wait(timeout=60) == 0
        for client in clients:
            client.join(timeout=30)
        log = running.log()
    assert during and not broken, broken[:3]
    for answer in during:
        assert_right(answer)
    assert "Traceback" not in log and "Error handling request" not in log, log[-3000:]
    assert "Shutting down: Master" in log
