"""The in-process front: a gunicorn gthread worker whose poller reads each request whole first.

gunicorn's `gthread` worker hands a connection to a pool thread as soon as it is readable; a client that
stops inside its headers or body then holds that thread. `BufferingWorker` keeps every connection in its
poller (non-blocking, no thread) until `service.front.framing` says the request is whole; a kept-alive
connection's next request gets one non-blocking read in a pool thread first (gthread's own hot path) and
comes back to the poller unless that read makes it whole. The limits are the nginx front's
(service/front/config.py, PREDICT_FRONT_*):

- headers within PREDICT_FRONT_HEADER_TIMEOUT seconds of the connection (or, kept alive, of the first
  byte of the next request); a body whose client is silent for PREDICT_FRONT_BODY_TIMEOUT between two
  reads: 408 in the app's JSON shape, then the connection is closed;
- a body over PREDICT_MAX_BODY_BYTES: 413 as soon as its length (or chunks) say so;
- PREDICT_FRONT_MAX_CONN_PER_IP requests in progress per client address, per worker process: 429.

Only then does a pool thread get the connection, with the complete request already in gunicorn's parser
buffer, so it never waits on the client; the app's answer is written with a send timeout. gunicorn's
keep-alive timeout and `worker_connections` cap stay as they are. Run by
`python -m service.process.launch` with PREDICT_FRONT=worker (the default):
docs/operations/slow-clients.md. Its own answers: service.front.refusals.
"""

from __future__ import annotations

import contextlib
import errno
import resource
import selectors
import socket
import struct
import time
from datetime import datetime
from functools import partial
from typing import Any

from gunicorn import http, util
from gunicorn.http import wsgi
from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER, TConn, ThreadWorker

from service.front.config import FrontError, FrontSettings
from service.front.framing import RequestFrame
from service.front.refusals import Refusal, answer, request_timeout, too_many
from service.front.response import OneSendResponse

RECV_BYTES = 64 * 1024  # per read; under glibc's mmap threshold, so a read costs no mmap()/munmap()
LINGER_S = 2.0  # after a refusal: read and drop what the client still sends, so it can read the answer
SWEEP_S = 0.25  # how often deadlines are checked (the poller also wakes at least once a second)
OUT_OF_DESCRIPTORS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
TO_POLLER = object()  # a pool thread's result: the request is not whole yet (or refused), back to the poller
KEPT = object()  # a pool thread's result: it put the kept-alive connection back in the poller itself


class BufferedConn(TConn):
    """A connection with the bytes received so far, the request being framed and its deadline."""

    def __init__(self, cfg: Any, sock: socket.socket, client: Any, server: Any, front: FrontSettings):
        super().__init__(cfg, sock, client, server)
        self.front = front
        self.buffer = bytearray()
        self.frame = RequestFrame(front.max_body_bytes)
        self.deadline = time.monotonic() + front.header_timeout
        self.in_body = False
        self.counted = False  # holds one of its address's PREDICT_FRONT_MAX_CONN_PER_IP places
        self.data_ready = True  # gthread's handle() must never wait for data: the request is whole
        self.read_in_thread = False  # the pool thread reads once, non-blocking, before handling
        self.refusal: Refusal | None = None  # found by that read, answered by the poller

    def init(self) -> None:
        """gthread's set-up in the pool thread; the first time, kernel send and receive timeouts (as nginx's
        send_timeout), so a client that stops reading its answer cannot hold the thread either. They are
        socket options, not Python's socket timeout, which would poll() before every send."""
        if not self.initialized:
            seconds = max(self.front.body_timeout, 10)
            timeval = struct.pack("ll", seconds, 0)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
        super().init()

    def next_request(self) -> None:
        """Start framing the next request on this connection (kept alive, or pipelined bytes)."""
        self.frame = RequestFrame(self.front.max_body_bytes)
        self.deadline = time.monotonic() + self.front.header_timeout
        self.in_body = False


class BufferingWorker(ThreadWorker):
    """gthread, except that pool threads only ever get whole requests (see the module docstring)."""

    def init_process(self) -> None:
        """Read the front's settings (checked again: one line naming the variable), raise the open-files
        limit for worker_connections, then gthread's set-up."""
        try:
            self.front = FrontSettings.from_env()
        except FrontError as error:
            self.log.error("purchase-predictor: cannot start: %s", error)
            raise SystemExit(3) from None
        self.reading: dict[BufferedConn, None] = {}  # connections in the poller until their request is whole
        self.lingering: dict[BufferedConn, None] = {}
        self.per_address: dict[Any, int] = {}
        self.next_sweep = 0.0
        self.stop_capped = False  # the stop's linger applied to connections that sent nothing yet
        self.out_of_descriptors_logged = 0.0
        raise_open_files(self.cfg.worker_connections + 64)
        super().init_process()

    def accept(self, listener: socket.socket) -> None:
        """Accept a connection and wait for its request in the poller (never in a thread)."""
        try:
            client_sock, client_addr = listener.accept()
        except OSError as error:
            if error.errno in OUT_OF_DESCRIPTORS:
                self._log_out_of_descriptors(error)
            elif error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = BufferedConn(self.cfg, client_sock, client_addr, listener.getsockname(), self.front)
        self.reading[conn] = None
        self.poller.register(client_sock, selectors.EVENT_READ, partial(self.on_readable, conn))

    def on_client_socket_readable(self, conn: BufferedConn, client: socket.socket) -> None:
        """A kept-alive connection has sent something. Without a per-address limit a pool thread takes one
        non-blocking read (the usual case: a whole small request, served at once, as gthread would); what
        is not whole comes back to the poller. With the limit, the poller frames it (it keeps the counts)."""
        conn.next_request()
        if self.front.max_conn_per_ip:
            self.keepalived_conns.remove(conn)
            self.reading[conn] = None
            self.on_readable(conn, client)
            if conn in self.reading:  # not whole yet: wait for the rest with the framing callback
                self.poller.modify(client, selectors.EVENT_READ, partial(self.on_readable, conn))
            return
        conn.read_in_thread = True
        super().on_client_socket_readable(conn, client)

    def enqueue_req(self, conn: BufferedConn) -> None:
        """Hand a connection to a pool thread; the poller thread hears back only when the pool thread did
        not put the connection back in the poller itself (`_serve`)."""
        future = self.tpool.submit(self._serve, conn)
        future.add_done_callback(partial(self._served, conn))

    def _served(self, conn: BufferedConn, future: Any) -> None:
        """A pool thread is done with `conn`: gthread's finish_request on the poller thread, unless kept."""
        if future.cancelled() or future.exception() is not None or future.result() is not KEPT:
            self.method_queue.defer(self.finish_request, conn, future)

    def _serve(self, conn: BufferedConn) -> Any:
        """In a pool thread: handle the request; then a kept-alive connection with nothing buffered goes
        straight back to the poller, as gthread's finish_request would put it, without waking the poller
        thread through its pipe (measured off alone: docs/operations/slow-clients.md#what-the-front-costs).
        epoll_ctl may be called while another thread waits in epoll_wait, and the selector's map is a dict
        whose updates the GIL keeps whole; the key is in the map before epoll can report the socket, and
        registering is the thread's last use of the connection. Everything else (closing, pipelined or
        partly read requests, a counted address, a stopping worker) goes to the poller thread as before."""
        result = self.handle(conn)
        if result is not True or conn.counted or conn.buffer or not self.alive:
            return result
        if conn.parser is None or conn.parser.unreader.buf.getvalue():
            return result
        conn.sock.setblocking(False)
        conn.set_timeout()
        self.keepalived_conns.append(conn)  # before the poller can report it: its handler removes it
        if not self.alive:  # a stop began meanwhile: the linger gthread gives kept-alive connections
            conn.timeout = min(conn.timeout, time.monotonic() + STOP_KEEPALIVE_LINGER)
        readable = partial(self.on_client_socket_readable, conn)
        try:
            self.poller.register(conn.sock, selectors.EVENT_READ, readable)
        except (KeyError, ValueError, OSError):  # a closed selector (stopping) or socket: let it be closed
            self.keepalived_conns.remove(conn)
            return False
        return KEPT

    def _cap_keepalive(self, deadline: float) -> None:
        """gthread's, over a copy: pool threads may append kept-alive connections meanwhile."""
        for conn in list(self.keepalived_conns):
            conn.timeout = min(conn.timeout, deadline)

    def handle(self, conn: BufferedConn) -> Any:
        """In a pool thread: a kept-alive connection's one non-blocking read first (back to the poller
        unless that makes the request whole), then gthread's handling of the whole request."""
        if conn.read_in_thread:
            conn.read_in_thread = False
            try:
                data = conn.sock.recv(RECV_BYTES)
            except (BlockingIOError, InterruptedError):
                return TO_POLLER
            except OSError:
                return False
            if not data:
                return False
            conn.buffer += data
            try:
                end = conn.frame.end(conn.buffer)
            except Refusal as refusal:
                conn.refusal = refusal
                return TO_POLLER
            if end is None:
                return TO_POLLER
            self._load(conn, end)
        return super().handle(conn)

    def handle_request(self, req: Any, conn: BufferedConn) -> bool:
        """gthread's handle_request (gunicorn 27.0.1, statement for statement; tests/service/
        test_front_response.py notices an upgrade), writing with OneSendResponse
        (service.front.response)."""
        environ: dict[str, Any] = {}
        resp = None
        try:
            self.cfg.pre_request(self, req)
            request_start = datetime.now()
            resp, environ = wsgi.create(
                req, conn.sock, conn.client, conn.server, self.cfg, response_class=OneSendResponse
            )
            environ["wsgi.multithread"] = True
            self.nr += 1
            if self.nr >= self.max_requests:
                if self.alive:  # type: ignore[has-type]  # gunicorn is untyped
                    self.log.info("Autorestarting worker after current request.")
                    self.alive = False
                resp.force_close()
            if not self.alive or not self.cfg.keepalive or len(self.keepalived_conns) >= self.max_keepalived:
                resp.force_close()
            respiter = self.wsgi(environ, resp.start_response)
            try:
                if isinstance(respiter, environ["wsgi.file_wrapper"]):
                    resp.write_file(respiter)
                else:
                    for item in respiter:
                        resp.write(item)
                resp.close()
            finally:
                request_time = datetime.now() - request_start
                self.log.access(resp, req, environ, request_time)
                if hasattr(respiter, "close"):
                    respiter.close()
            if resp.should_close():
                self.log.debug("Closing connection.")
                return False
        except OSError:
            raise  # to gthread's handle()
        except (Exception, SystemExit):
            if resp and resp.headers_sent:
                self.log.exception("Error handling request")
                util.close_graceful(conn.sock)
                raise StopIteration() from None
            raise
        finally:
            try:
                self.cfg.post_request(self, req, environ, resp)
            except Exception:
                self.log.exception("Exception in post_request hook")
        return True

    def on_readable(self, conn: BufferedConn, _client: Any = None) -> None:
        """Read what has arrived; hand the connection to a thread once its request is whole."""
        try:
            data = conn.sock.recv(RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._close(conn)
            return
        conn.buffer += data
        if conn.in_body:
            conn.deadline = time.monotonic() + self.front.body_timeout
        self._advance(conn)

    def _advance(self, conn: BufferedConn) -> None:
        """Dispatch, refuse or keep waiting, by what the request's framing says so far."""
        try:
            end = conn.frame.end(conn.buffer)
            if conn.frame.head is not None and not conn.in_body:
                self._headers_complete(conn, end)
        except Refusal as refusal:
            self._refuse(conn, refusal)
            return
        if end is not None:
            self._dispatch(conn, end)

    def _headers_complete(self, conn: BufferedConn, end: int | None) -> None:
        """The headers are in: count the request against its address, then the body's deadline starts
        (and a client that waits for 100 Continue gets it now, as nginx sends it)."""
        head = conn.frame.head
        assert head is not None
        limit = self.front.max_conn_per_ip
        if limit:
            address = conn.client[0] if isinstance(conn.client, tuple) else conn.client
            if self.per_address.get(address, 0) >= limit:
                raise too_many(head.request_id)
            self.per_address[address] = self.per_address.get(address, 0) + 1
            conn.counted = True
        conn.in_body = True
        conn.deadline = time.monotonic() + self.front.body_timeout
        if end is None and head.expect_continue:
            with contextlib.suppress(OSError):  # a broken connection: the next read finds out
                conn.sock.send(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _dispatch(self, conn: BufferedConn, end: int) -> None:
        """Queue a connection whose request is whole for a pool thread."""
        self.reading.pop(conn, None)
        self.poller.unregister(conn.sock)
        self._load(conn, end)
        self.enqueue_req(conn)

    def _load(self, conn: BufferedConn, end: int) -> None:
        """Put the whole request (and nothing after it) into gunicorn's parser buffer; pipelined bytes wait
        in the connection's own buffer for the next turn."""
        request = bytes(conn.buffer[:end])
        del conn.buffer[:end]
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
        conn.parser.unreader.unread(request)

    def finish_request(self, conn: BufferedConn, fs: Any) -> None:
        """After a thread: free the address's place; a request that was not whole after the thread's read,
        or a pipelined next one, is framed in the poller; else gthread's keep-alive or close."""
        self._release(conn)
        result = fs.result() if not fs.cancelled() and fs.exception() is None else False
        if result is TO_POLLER or (result is True and conn.buffer):
            if result is True:
                conn.next_request()
            conn.sock.setblocking(False)
            self.reading[conn] = None
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_readable, conn))
            refusal, conn.refusal = conn.refusal, None
            if refusal is not None:
                self._refuse(conn, refusal)
            else:
                self._advance(conn)
            return
        super().finish_request(conn, fs)

    def murder_pending(self) -> None:
        """Each turn of gthread's loop: every SWEEP_S, close connections past their deadline (408 once
        something was sent). While stopping, a connection that has sent nothing yet gets what gthread gives
        a kept-alive one: STOP_KEEPALIVE_LINGER seconds for a request, answered with Connection: close."""
        now = time.monotonic()
        if now < self.next_sweep:
            return
        self.next_sweep = now + SWEEP_S
        if not self.alive and not self.stop_capped:
            self.stop_capped = True
            for conn in self.reading:
                if not conn.buffer:
                    conn.deadline = min(conn.deadline, now + STOP_KEEPALIVE_LINGER)
        for conn in [c for c in self.reading if c.deadline <= now]:
            if conn.buffer:
                head = conn.frame.head
                self._refuse(conn, request_timeout(head.request_id if head else None))
            else:
                self._close(conn)
        for conn in [c for c in self.lingering if c.deadline <= now]:
            self._close(conn)
        super().murder_pending()

    def _refuse(self, conn: BufferedConn, refusal: Refusal) -> None:
        """Answer it ourselves and stop writing; drop what the client still sends for LINGER_S, then close
        (closing at once could reset the connection before the client reads the answer)."""
        self.reading.pop(conn, None)
        self._release(conn)
        try:
            conn.sock.send(answer(refusal))
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(conn)
            return
        conn.buffer.clear()
        conn.deadline = time.monotonic() + LINGER_S
        self.lingering[conn] = None
        self.poller.modify(conn.sock, selectors.EVENT_READ, partial(self._drain, conn))

    def _drain(self, conn: BufferedConn, _client: Any = None) -> None:
        """Discard what a refused client still sends; close at its end."""
        try:
            if conn.sock.recv(RECV_BYTES):
                return
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            pass
        self._close(conn)

    def _close(self, conn: BufferedConn) -> None:
        """Forget the connection and close it."""
        self.reading.pop(conn, None)
        self.lingering.pop(conn, None)
        self._release(conn)
        with contextlib.suppress(KeyError, ValueError, OSError):  # not registered
            self.poller.unregister(conn.sock)
        self.nr_conns -= 1
        util.close(conn.sock)

    def _release(self, conn: BufferedConn) -> None:
        """Give back the address's place held by this connection's request, if any."""
        if conn.counted:
            conn.counted = False
            address = conn.client[0] if isinstance(conn.client, tuple) else conn.client
            left = self.per_address.get(address, 1) - 1
            if left > 0:
                self.per_address[address] = left
            else:
                self.per_address.pop(address, None)

    def _log_out_of_descriptors(self, error: OSError) -> None:
        """One line a minute at most when accept() runs out of descriptors (the connection waits)."""
        if time.monotonic() - self.out_of_descriptors_logged > 60:
            self.out_of_descriptors_logged = time.monotonic()
            self.log.warning("cannot accept a connection: %s (raise ulimit -n)", error.strerror)


def raise_open_files(wanted: int) -> None:
    """Raise the soft open-files limit to `wanted` (within the hard limit), as nginx's
    worker_rlimit_nofile does for the nginx front."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if target > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
