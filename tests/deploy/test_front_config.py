"""The front's nginx.conf (as PREDICT_FRONT=nginx and the Kubernetes sidecar get it) passes `nginx -t`; its
settings refuse bad values with the variable's name; the sidecar's exec probe reads gunicorn's answer on a
socket."""

from __future__ import annotations

import shutil
import socket
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.front import config as front_config
from service.front import probe
from service.front.config import FrontError, FrontSettings, render
from tests.service.server import REPO

NGINX = (
    shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin") or "nginx"
)  # tools/system-packages.sh installs it


def nginx_test(config: Path, prefix: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on a config file."""
    return subprocess.run(
        [NGINX, "-t", "-p", str(prefix), "-c", str(config), "-e", "stderr"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize("limit", ["0", "16"])
def test_the_rendered_config_passes_nginx_t(tmp_path: Path, limit: str) -> None:
    settings = FrontSettings.from_env({"PORT": "18080", "PREDICT_FRONT_MAX_CONN_PER_IP": limit})
    config = tmp_path / "nginx.conf"
    config.write_text(render(settings, str(tmp_path), f"unix:{tmp_path}/app.sock"))
    result = nginx_test(config, tmp_path)
    assert result.returncode == 0, result.stderr
    assert ("limit_conn per_ip 16;" in config.read_text()) == (limit == "16")


def test_the_kubernetes_config_passes_nginx_t(tmp_path: Path) -> None:
    text = front_config.kubernetes_config().replace(f"{front_config.KUBERNETES_RUN_DIR}/", f"{tmp_path}/")
    config = tmp_path / "nginx.conf"
    config.write_text(text)
    result = nginx_test(config, tmp_path)
    assert result.returncode == 0, result.stderr


def test_the_body_limit_and_timeouts_reach_the_config(tmp_path: Path) -> None:
    env = {
        "PREDICT_MAX_BODY_BYTES": "4096",
        "PREDICT_FRONT_HEADER_TIMEOUT": "3",
        "PREDICT_FRONT_BODY_TIMEOUT": "4",
        "PREDICT_HOST": "::1",
        "PORT": "9000",
    }
    text = render(FrontSettings.from_env(env), str(tmp_path), "unix:/x.sock")
    for line in (
        "client_max_body_size 4096;",
        "client_header_timeout 3s;",
        "client_body_timeout 4s;",
        "listen [::1]:9000 backlog=2048;",
        "server unix:/x.sock;",
    ):
        assert line in text


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PREDICT_FRONT", "apache"),
        ("PREDICT_FRONT_HEADER_TIMEOUT", "0"),
        ("PREDICT_FRONT_BODY_TIMEOUT", "x"),
        ("PREDICT_FRONT_MAX_CONN_PER_IP", "-1"),
        ("PREDICT_HOST", "bad host!"),
        ("PORT", "70000"),
        ("PREDICT_FRONT_UPSTREAM", "pipe"),
        ("PREDICT_FRONT_WORKERS", "0"),
    ],
)
def test_a_bad_setting_is_refused_with_its_name(name: str, value: str) -> None:
    with pytest.raises(FrontError, match=name):
        FrontSettings.from_env({name: value})


def test_the_launcher_refuses_a_bad_setting_in_one_line_before_starting_anything() -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "PREDICT_FRONT_BODY_TIMEOUT": "soon"}
    result = subprocess.run(
        [sys.executable, "-m", "service.process.launch"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 3
    assert result.stderr.strip().splitlines() == [
        "purchase-predictor: cannot start: PREDICT_FRONT_BODY_TIMEOUT must be an integer from 1 to 300"
    ]


def test_the_launcher_refuses_a_port_in_use_in_one_line_before_the_model_check() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        env = {
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(REPO),
            "PREDICT_HOST": "127.0.0.1",
            "PORT": str(port),
        }
        result = subprocess.run(
            [sys.executable, "-m", "service.process.launch"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 3
    expected = f"PREDICT_HOST:PORT 127.0.0.1:{port} cannot be used: Address already in use"
    assert result.stderr.strip().splitlines() == [f"purchase-predictor: cannot start: {expected}"]


class _Handler(socketserver.StreamRequestHandler):
    """Answers 200 on /health and 503 elsewhere, like gunicorn before the model is ready."""

    def handle(self) -> None:
        line = self.rfile.readline()
        self.wfile.write(b"HTTP/1.0 200 OK\r\n\r\n" if b" /health " in line else b"HTTP/1.0 503 NO\r\n\r\n")


@pytest.fixture()
def unix_server(tmp_path: Path) -> Iterator[str]:
    """A tiny HTTP server on a Unix socket, in a thread."""
    path = str(tmp_path / "app.sock")
    server = socketserver.ThreadingUnixStreamServer(path, _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield path
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_the_probe_passes_on_200_and_fails_otherwise(unix_server: str, tmp_path: Path) -> None:
    assert probe.main([unix_server, "/health"]) == 0
    assert probe.main([unix_server, "/ready"]) == 1
    assert probe.main([str(tmp_path / "missing.sock")]) == 1
    assert probe.main([]) == 2
