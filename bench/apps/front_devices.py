"""The buffering worker class with one of its speed devices off, for `python -m bench.front` (bench-only).

- `GunicornWriter`: gunicorn's own response writer (head and body in two sends, the Date header formatted
  per response) instead of service.front.response.OneSendResponse;
- `NoShortcut`: every finished request goes back through the poller thread (gthread's pipe), as in plain
  gthread, instead of the pool thread re-registering a kept-alive connection itself.

Served with `--worker-class bench.apps.front_devices.<name>`; the service never imports this.
"""

from __future__ import annotations

from gunicorn.workers.gthread import ThreadWorker

from service.front.worker import BufferingWorker


class GunicornWriter(BufferingWorker):
    """The buffering worker, answering with gunicorn's Response."""

    handle_request = ThreadWorker.handle_request


class NoShortcut(BufferingWorker):
    """The buffering worker, every finished request handed back to the poller thread."""

    enqueue_req = ThreadWorker.enqueue_req
