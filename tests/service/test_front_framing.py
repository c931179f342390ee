"""service.front.framing: where a request ends, fed byte by byte and all at once; what it refuses."""

from __future__ import annotations

import json

import pytest

from service.front.framing import MAX_HEAD_BYTES, RequestFrame, parse_head
from service.front.refusals import Refusal, answer, request_timeout, too_large, too_many

LIMIT = 4096
BODY = b'{"age": 40, "salary": 50000, "gender": "Male"}'
WITH_LENGTH = b"POST /predict HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
CHUNKED = (
    b"POST /predict HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"10;ext=1\r\n" + BODY[:16] + b"\r\n" + b"%x\r\n" % (len(BODY) - 16) + BODY[16:] + b"\r\n0\r\n\r\n"
)
WITH_TRAILER = CHUNKED[:-2] + b"X-Check: 1\r\n\r\n"
GET = b"GET /health HTTP/1.1\r\nHost: a\r\nX-Request-ID: req-1\r\n\r\n"


@pytest.mark.parametrize(
    "request_bytes", [WITH_LENGTH, CHUNKED, WITH_TRAILER, GET], ids=["length", "chunked", "trailer", "get"]
)
def test_a_request_is_whole_only_at_its_last_byte_however_it_arrives(request_bytes: bytes) -> None:
    frame = RequestFrame(LIMIT)
    for size in range(len(request_bytes)):
        assert frame.end(request_bytes[:size]) is None, size
    assert frame.end(request_bytes) == len(request_bytes)


def test_bytes_after_the_request_are_not_part_of_it() -> None:
    pipelined = WITH_LENGTH + GET + b"POST /pre"
    first = RequestFrame(LIMIT).end(pipelined)
    assert first == len(WITH_LENGTH)
    assert RequestFrame(LIMIT).end(pipelined[len(WITH_LENGTH) :]) == len(GET)


def test_empty_lines_before_the_request_line_are_part_of_the_request() -> None:
    request = b"\r\n\r\n" + WITH_LENGTH  # a client's stray CRLF after its previous body, as RFC 9112 allows
    frame = RequestFrame(LIMIT)
    assert frame.end(request[:4]) is None
    assert frame.end(request) == len(request)
    with pytest.raises(Refusal):
        RequestFrame(LIMIT).end(b"\r\n" * (MAX_HEAD_BYTES // 2 + 1))


def test_the_head_gives_the_length_the_request_id_and_expect() -> None:
    head = parse_head(
        b"POST / HTTP/1.1\r\ncontent-length: 12\r\nExpect: 100-continue\r\nX-Request-ID: a.b:c-1\r\n\r\n",
        LIMIT,
    )
    assert head is not None
    assert (head.length, head.chunked, head.expect_continue, head.request_id) == (12, False, True, b"a.b:c-1")
    unsafe = parse_head(b"GET / HTTP/1.1\r\nX-Request-ID: <script>\r\n\r\n", LIMIT)
    assert unsafe is not None and unsafe.request_id is None


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (b"POST / HTTP/1.1\r\nContent-Length: 4097\r\n\r\n", 413),
        (b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413),
        (b"POST / HTTP/1.1\r\nContent-Length: 12\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: 12\r\nContent-Length: 13\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400),
        (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nBad Name: a\r\n\r\n", 400),
        (b"POST /\r\n\r\n", 400),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400),
    ],
)
def test_framing_that_cannot_be_trusted_is_refused(head: bytes, status: int) -> None:
    with pytest.raises(Refusal) as refused:
        RequestFrame(LIMIT).end(head)
    assert refused.value.status == status
    assert refused.value.error == {400: "bad_request", 413: "payload_too_large"}[status]


def test_repeated_identical_content_lengths_are_one_length() -> None:
    request = b"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab"
    assert RequestFrame(LIMIT).end(request) == len(request)


@pytest.mark.parametrize(
    "body",
    [
        b"zz\r\nab\r\n0\r\n\r\n",  # not hex
        b"2\r\nabc\r\n0\r\n\r\n",  # longer than announced
        b"1" * 2000,  # a chunk-size line that never ends
    ],
)
def test_a_broken_chunked_body_is_refused_with_400(body: bytes) -> None:
    with pytest.raises(Refusal) as refused:
        RequestFrame(LIMIT).end(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    assert refused.value.status == 400


def test_a_chunked_body_over_the_limit_is_refused_before_it_arrives() -> None:
    head = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nX-Request-ID: big\r\n\r\n"
    frame = RequestFrame(LIMIT)
    assert frame.end(head + b"800\r\n" + b"a" * 0x800 + b"\r\n") is None  # 2 KiB: still allowed
    with pytest.raises(Refusal) as refused:
        frame.end(head + b"800\r\n" + b"a" * 0x800 + b"\r\n" + b"801\r\n")  # announces 4097 in all
    assert (refused.value.status, refused.value.request_id) == (413, b"big")


def test_headers_without_an_end_are_refused_once_over_the_limit() -> None:
    endless = b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * (MAX_HEAD_BYTES // 8)
    assert RequestFrame(LIMIT).end(endless[:MAX_HEAD_BYTES]) is None
    with pytest.raises(Refusal) as refused:
        RequestFrame(LIMIT).end(endless + b"X")
    assert refused.value.status == 400


@pytest.mark.parametrize(
    ("refusal", "status"), [(too_many(b"id-1"), 429), (request_timeout(), 408), (too_large(), 413)]
)
def test_the_fronts_own_answers_are_complete_http_in_the_apps_json_shape(
    refusal: Refusal, status: int
) -> None:
    head, _, body = answer(refusal).partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    document = json.loads(body)
    assert lines[0].startswith(f"HTTP/1.1 {status} ") and int(headers["Content-Length"]) == len(body)
    assert headers["Connection"] == "close" and headers["Content-Type"] == "application/json"
    assert set(document) == {"error", "message", "details", "request_id"}
    assert document["request_id"] == headers["X-Request-ID"]
    assert (headers.get("Retry-After") == "1") == (status == 429)
    assert document["request_id"] == "id-1" if status == 429 else len(document["request_id"]) == 32
