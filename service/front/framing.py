"""Where an HTTP/1.x request ends, read from the bytes received so far: the in-process front's framing.

The buffering worker (service.front.worker) keeps a connection in its poller until `RequestFrame` says
the request is whole: headers up to the blank line, then a body of `Content-Length` bytes or a chunked
body up to its last chunk and trailers. Only the framing is read here; gunicorn's own parser reads the
complete request again in a pool thread and answers 400 for anything else it refuses. Framing that two
parsers could read differently (Content-Length with Transfer-Encoding, two different lengths, chunked in
HTTP/1.0) is refused here, as gunicorn and nginx refuse it. Standard library only.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

from service.front.refusals import bad_request, too_large

MAX_HEAD_BYTES = 64 * 1024  # request line + headers; nginx's own buffers allow 4 × 8k lines
MAX_CHUNK_LINE = 1024  # a chunk-size line with its extensions
REQUEST_ID = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")  # service.observe.middleware.REQUEST_ID, in bytes
HEX = frozenset(string.hexdigits.encode())
TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # a header name (RFC 9110 token)


@dataclass
class Head:
    """What the headers say about the body: where they end, its length or chunking, and the rest."""

    end: int  # index just past the blank line
    length: int = 0  # Content-Length (0 when absent)
    chunked: bool = False
    expect_continue: bool = False
    request_id: bytes | None = None  # the client's X-Request-ID when sane


def parse_head(buffer: bytes | bytearray, max_body: int) -> Head | None:
    """The head when the blank line has arrived, None while it has not; Refusal when it cannot be used."""
    start = 0
    while buffer.startswith(b"\r\n", start) and start < MAX_HEAD_BYTES:
        start += 2  # empty lines before a request line are ignored (RFC 9112 section 2.2), as gunicorn does
    end = buffer.find(b"\r\n\r\n", start, MAX_HEAD_BYTES + 4)
    if end < 0:
        if len(buffer) > MAX_HEAD_BYTES:
            raise bad_request()
        return None
    lines = bytes(buffer[start:end]).split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
        raise bad_request()
    head = Head(end=end + 4)
    lengths, codings = set(), []
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not TOKEN.fullmatch(name):
            raise bad_request(head.request_id)  # also obsolete line folding: gunicorn refuses it too
        name, value = name.lower(), value.strip(b" \t")
        if name == b"content-length":
            lengths.add(value)
        elif name == b"transfer-encoding":
            codings += [token.strip(b" \t").lower() for token in value.split(b",")]
        elif name == b"expect":
            head.expect_continue = value.lower() == b"100-continue"
        elif name == b"x-request-id" and REQUEST_ID.fullmatch(value):
            head.request_id = value
    return _body_framing(head, parts[2], lengths, codings, max_body)


def _body_framing(
    head: Head, version: bytes, lengths: set[bytes], codings: list[bytes], max_body: int
) -> Head:
    """Content-Length or chunked, never both, as RFC 9112 section 6 says; 413 for a length over the limit."""
    if codings:
        if lengths or version == b"HTTP/1.0" or codings[-1] != b"chunked" or codings.count(b"chunked") > 1:
            raise bad_request(head.request_id)
        head.chunked = True
        return head
    if len(lengths) > 1:
        raise bad_request(head.request_id)
    if lengths:
        raw = lengths.pop()
        if not raw.isdigit() or len(raw) > 18:
            raise bad_request(head.request_id) if not raw.isdigit() else too_large(head.request_id)
        head.length = int(raw)
        if head.length > max_body:
            raise too_large(head.request_id)
    return head


@dataclass
class ChunkScanner:
    """Walks a chunked body as it arrives; remembers where the next chunk-size line starts."""

    position: int
    size: int = 0  # decoded bytes of the complete chunks so far

    def scan(self, buffer: bytes | bytearray, max_body: int, request_id: bytes | None) -> int | None:
        """Index just past the body's end (last chunk and trailers), or None while more is needed."""
        while True:
            line_end = buffer.find(b"\r\n", self.position, self.position + MAX_CHUNK_LINE)
            if line_end < 0:
                if len(buffer) - self.position > MAX_CHUNK_LINE:
                    raise bad_request(request_id)
                return None
            digits = bytes(buffer[self.position : line_end]).split(b";", 1)[0].strip(b" \t")
            if not digits or len(digits) > 15 or not HEX.issuperset(digits):
                raise bad_request(request_id)
            chunk = int(digits, 16)
            if chunk == 0:
                return self._trailers_end(buffer, line_end, request_id)
            if self.size + chunk > max_body:
                raise too_large(request_id)
            data_end = line_end + 2 + chunk
            if len(buffer) < data_end + 2:
                return None
            if buffer[data_end : data_end + 2] != b"\r\n":
                raise bad_request(request_id)
            self.position, self.size = data_end + 2, self.size + chunk

    @staticmethod
    def _trailers_end(buffer: bytes | bytearray, line_end: int, request_id: bytes | None) -> int | None:
        """After the last chunk: the blank line that ends the (usually empty) trailer section."""
        end = buffer.find(b"\r\n\r\n", line_end, line_end + MAX_HEAD_BYTES)
        if end < 0:
            if len(buffer) - line_end > MAX_HEAD_BYTES:
                raise bad_request(request_id)
            return None
        return end + 4


@dataclass
class RequestFrame:
    """One request being received: its head once known, and the chunk scanner of a chunked body."""

    max_body: int
    head: Head | None = None
    chunks: ChunkScanner | None = field(default=None, repr=False)

    def end(self, buffer: bytes | bytearray) -> int | None:
        """Index just past the request's last byte once it is whole, else None; Refusal when refused."""
        if self.head is None:
            self.head = parse_head(buffer, self.max_body)
            if self.head is None:
                return None
            if self.head.chunked:
                self.chunks = ChunkScanner(self.head.end)
        if self.chunks is not None:
            return self.chunks.scan(buffer, self.max_body, self.head.request_id)
        end = self.head.end + self.head.length
        return end if len(buffer) >= end else None
