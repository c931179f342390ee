"""`python -m service.process.launch` (`purchase-predictor serve`, `make serve`, the image's CMD): gunicorn
protected from slow clients on $PORT.

By default (PREDICT_FRONT=worker) gunicorn listens on PREDICT_HOST:PORT itself with the buffering worker
class (service.front.worker), which reads each request whole in its poller (header and body timeouts, the
body limit) before a thread sees it. PREDICT_FRONT=nginx puts a buffering nginx on PREDICT_HOST:PORT in
front of gunicorn on a private Unix socket instead. Either way slow or stalled clients cannot hold
gunicorn's threads: docs/operations/slow-clients.md. PREDICT_FRONT=none runs plain gthread gunicorn alone,
for a deployment that already has a buffering proxy in front.
"""

from __future__ import annotations

import argparse
import logging
import os
import pwd
import resource
import shutil
import socket
import sys
import tempfile
from pathlib import Path

from service.front.config import FrontError, FrontSettings, render
from service.front.processes import Pair

logger = logging.getLogger(__name__)

GUNICORN_CONF = Path(__file__).resolve().parent / "gunicorn.conf.py"  # beside this file, as installed
APP = "service.process.wsgi:app"
BUFFERING_WORKER = "service.front.worker.BufferingWorker"
EXIT_STARTUP = 3  # as service.process.check: a setting or the environment stops the start
NGINX_DIRS = ("/usr/sbin", "/sbin", "/usr/local/sbin")  # not on a non-root user's PATH on Debian


def gunicorn_argv(bind: str | None = None, front: FrontSettings | None = None) -> list[str]:
    """gunicorn with the service's config; `bind` overrides the config's PREDICT_HOST:PORT; with the
    worker front, its worker class and PREDICT_FRONT_CONNECTIONS connections per worker."""
    argv = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF)]
    if front is not None and front.front == "worker":
        argv += ["--worker-class", BUFFERING_WORKER, "--worker-connections", str(front.worker_connections)]
    return [*argv, "--bind", bind, APP] if bind else [*argv, APP]


def find_nginx() -> str:
    """The nginx binary, or FrontError with what to do."""
    path = os.environ.get("PATH", "") + os.pathsep + os.pathsep.join(NGINX_DIRS)
    found = shutil.which("nginx", path=path)
    if found is None:
        raise FrontError(
            "nginx is not installed: run `make setup-system` (Debian package nginx), "
            "or set PREDICT_FRONT=none behind a buffering proxy of your own"
        )
    return found


def nginx_user() -> str | None:
    """When started as root, nginx's workers run as this same user (not nobody, who could not reach the
    private folder); otherwise nginx cannot switch users and needs no `user` line."""
    return pwd.getpwuid(os.geteuid()).pw_name if os.geteuid() == 0 else None


def open_files_limit(settings: FrontSettings) -> int:
    """nginx's worker_rlimit_nofile: two descriptors per connection, within the hard limit."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2 * settings.worker_connections + 64
    return wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)


def check_listen_address(settings: FrontSettings) -> None:
    """Fail at once, in one line, when PREDICT_HOST:PORT cannot be bound (nginx would find out only
    after the model check, and say it five times)."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as nginx does
            probe.bind((settings.host, settings.port))
    except OSError as error:
        raise FrontError(
            f"PREDICT_HOST:PORT {settings.host}:{settings.port} cannot be used: {error.strerror}"
        ) from None


def serve_behind_nginx(settings: FrontSettings) -> int:
    """Render the config into a private folder, run the pair, remove the folder."""
    nginx = find_nginx()
    check_listen_address(settings)
    run_dir = Path(tempfile.mkdtemp(prefix="pp-front-"))
    try:
        address: str | tuple[str, int] = str(run_dir / "app.sock")
        upstream = f"unix:{address}"
        if settings.upstream == "tcp":
            address = ("127.0.0.1", free_loopback_port())
            upstream = f"{address[0]}:{address[1]}"
        config = run_dir / "nginx.conf"
        text = render(settings, str(run_dir), upstream, nginx_user(), open_files_limit(settings))
        config.write_text(text)
        pair = Pair(
            gunicorn_argv=gunicorn_argv(upstream),
            nginx_argv=[nginx, "-p", str(run_dir), "-c", str(config), "-e", "stderr"],
            address=address,
            graceful_timeout=settings.graceful_timeout,
        )
        return pair.run()
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def free_loopback_port() -> int:
    """A loopback TCP port nobody listens on now (PREDICT_FRONT_UPSTREAM=tcp)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Only --print-config (the rendered nginx.conf, for reading); everything else is environment."""
    parser = argparse.ArgumentParser(prog="python -m service.process.launch", description=__doc__)
    parser.add_argument("--print-config", action="store_true", help="print the nginx.conf it would use")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Exec gunicorn (with the buffering worker, or alone with PREDICT_FRONT=none), or serve behind nginx;
    the exit status."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        settings = FrontSettings.from_env()
        if args.print_config:
            sys.stdout.write(render(settings, "<run dir>", "unix:<run dir>/app.sock", nginx_user()))
            return 0
        if settings.front in ("worker", "none"):
            check_listen_address(settings)
            sys.stdout.flush()
            # the same process: signals reach gunicorn directly
            os.execv(sys.executable, gunicorn_argv(front=settings))
        return serve_behind_nginx(settings)
    except FrontError as error:
        sys.stderr.write(f"purchase-predictor: cannot start: {error}\n")
        return EXIT_STARTUP


if __name__ == "__main__":
    sys.exit(main())
