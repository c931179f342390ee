"""The answers the in-process front gives itself (service.front.worker): 400, 408, 413 and 429 in the
app's JSON error shape (service/http/errors.py), in the words nginx's error pages use
(service/front/nginx.conf), with an X-Request-ID header and Connection: close. Standard library only."""

from __future__ import annotations

import json
import uuid

REASONS = {400: "Bad Request", 408: "Request Timeout", 413: "Payload Too Large", 429: "Too Many Requests"}


class Refusal(Exception):
    """A request the front answers itself: its status, the app's `error` code and message."""

    def __init__(self, status: int, error: str, message: str, request_id: bytes | None = None) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.request_id = status, error, message, request_id


def bad_request(request_id: bytes | None = None) -> Refusal:
    """400 in nginx's words (service/front/nginx.conf @bad_request)."""
    return Refusal(400, "bad_request", "The request could not be read; check its headers.", request_id)


def too_large(request_id: bytes | None = None) -> Refusal:
    """413 in the app's words (the same message as its own 413)."""
    return Refusal(413, "payload_too_large", "The request body is too large.", request_id)


def request_timeout(request_id: bytes | None = None) -> Refusal:
    """408: the client did not send its request in time."""
    return Refusal(408, "request_timeout", "The request was not received in time; it was closed.", request_id)


def too_many(request_id: bytes | None) -> Refusal:
    """429 in nginx's words (service/front/nginx.conf @too_many)."""
    message = "Too many requests from this address at once; retry shortly."
    return Refusal(429, "too_many_connections", message, request_id)


def answer(refusal: Refusal) -> bytes:
    """The whole HTTP answer to a refused request, in the app's JSON error shape, closing the connection."""
    request_id = refusal.request_id.decode() if refusal.request_id else uuid.uuid4().hex
    body = json.dumps(
        {"error": refusal.error, "message": refusal.message, "details": [], "request_id": request_id}
    ).encode()
    retry = "Retry-After: 1\r\n" if refusal.status == 429 else ""
    head = (
        f"HTTP/1.1 {refusal.status} {REASONS[refusal.status]}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\nX-Request-ID: {request_id}\r\n{retry}\r\n"
    )
    return head.encode() + body
