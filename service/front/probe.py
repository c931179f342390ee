"""`python -m service.front.probe SOCKET [PATH]`: exit 0 if gunicorn answers 200 on its Unix socket.

The Kubernetes app container listens only on a Unix socket shared with the nginx sidecar, which an
httpGet probe cannot reach; this exec probe asks gunicorn directly, so a failing nginx never gets the
app container restarted (deploy/kubernetes/deployment.yaml). Standard library only, one short request.
"""

from __future__ import annotations

import socket
import sys

TIMEOUT_S = 2.0


def status(socket_path: str, path: str = "/health", timeout: float = TIMEOUT_S) -> int | None:
    """The HTTP status gunicorn answers GET `path` with on `socket_path`, or None if it does not answer."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(socket_path)
            conn.sendall(f"GET {path} HTTP/1.0\r\nHost: probe\r\n\r\n".encode())
            head = conn.recv(64)
    except OSError:
        return None
    parts = head.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and head.startswith(b"HTTP/") and parts[1].isdigit() else None


def main(argv: list[str] | None = None) -> int:
    """0 when the answer is 200, else 1 with one line on stderr."""
    args = sys.argv[1:] if argv is None else argv
    if not 1 <= len(args) <= 2:
        sys.stderr.write("usage: python -m service.front.probe SOCKET [PATH]\n")
        return 2
    code = status(args[0], args[1] if len(args) > 1 else "/health")
    if code == 200:
        return 0
    sys.stderr.write(f"probe: {args[1] if len(args) > 1 else '/health'} answered {code or 'nothing'}\n")
    return 1


if __name__ == "__main__":
    sys.exit(main())
