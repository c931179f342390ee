"""The front's settings (PREDICT_FRONT_*, read and checked once) and the nginx.conf rendered from them.

Standard library only: the launcher imports it before anything heavy. Every value is validated with the
variable's name; a bad one stops the start with one line (FrontError).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx.conf")
PLACEHOLDER = re.compile(r"\{\{([a-z_]+)\}\}")
HOSTNAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")
FRONTS = ("worker", "nginx", "none")  # the first is the default
UPSTREAMS = ("unix", "tcp")
DEFAULT_MAX_BODY = 2 * 1024 * 1024  # service.process.settings.Settings.max_body_bytes


class FrontError(ValueError):
    """A PREDICT_ setting the front cannot use; the message names the variable."""


def int_env(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer from `low` to `high` from the environment, or FrontError naming the variable."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise FrontError(f"{name} must be an integer from {low} to {high}")
    return value


def host_env(env: Mapping[str, str], name: str = "PREDICT_HOST", default: str = "0.0.0.0") -> str:
    """The address to listen on: an IP address or a host name, checked."""
    raw = env.get(name, "").strip() or default
    try:
        ipaddress.ip_address(raw)
    except ValueError:
        if not HOSTNAME.fullmatch(raw):
            raise FrontError(f"{name} must be an IP address or a host name") from None
    return raw


@dataclass(frozen=True)
class FrontSettings:
    """What the nginx configuration depends on."""

    front: str = "worker"  # service.front.worker in gunicorn itself; "nginx": a proxy process before it
    upstream: str = "unix"  # how nginx reaches gunicorn: a private Unix socket, or a loopback port
    host: str = "0.0.0.0"
    port: int = 8000
    header_timeout: int = 5
    body_timeout: int = 5
    max_conn_per_ip: int = 0
    worker_processes: int = 1
    worker_connections: int = 4096
    max_body_bytes: int = DEFAULT_MAX_BODY
    keepalive: int = 5  # gunicorn's keep-alive (PREDICT_KEEPALIVE)
    timeout: int = 30  # gunicorn's worker timeout (PREDICT_TIMEOUT)
    graceful_timeout: int = 20  # gunicorn's graceful stop (PREDICT_GRACEFUL_TIMEOUT)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> FrontSettings:
        """Read and check PREDICT_FRONT, PREDICT_HOST, PORT and the PREDICT_FRONT_* limits."""
        env = os.environ if environ is None else environ
        front = env.get("PREDICT_FRONT", "").strip().lower() or FRONTS[0]
        if front not in FRONTS:
            raise FrontError(f"PREDICT_FRONT must be one of {', '.join(FRONTS)}")
        upstream = env.get("PREDICT_FRONT_UPSTREAM", "").strip().lower() or "unix"
        if upstream not in UPSTREAMS:
            raise FrontError(f"PREDICT_FRONT_UPSTREAM must be one of {', '.join(UPSTREAMS)}")
        return cls(
            front=front,
            upstream=upstream,
            host=host_env(env),
            port=int_env(env, "PORT", 8000, 1, 65535),
            header_timeout=int_env(env, "PREDICT_FRONT_HEADER_TIMEOUT", 5, 1, 300),
            body_timeout=int_env(env, "PREDICT_FRONT_BODY_TIMEOUT", 5, 1, 300),
            max_conn_per_ip=int_env(env, "PREDICT_FRONT_MAX_CONN_PER_IP", 0, 0, 1_000_000),
            # one nginx worker per core: on 2 idle cores 2 workers cost 624 against 683 µs of CPU per
            # request and answer 0.67 instead of 0.54 × the floor (docs/operations/slow-clients.md)
            worker_processes=int_env(env, "PREDICT_FRONT_WORKERS", os.cpu_count() or 1, 1, 64),
            worker_connections=int_env(env, "PREDICT_FRONT_CONNECTIONS", 4096, 64, 1_000_000),
            max_body_bytes=int_env(env, "PREDICT_MAX_BODY_BYTES", DEFAULT_MAX_BODY, 1024, 64 * 1024 * 1024),
            keepalive=int_env(env, "PREDICT_KEEPALIVE", 5, 1, 3600),
            timeout=int_env(env, "PREDICT_TIMEOUT", 30, 1, 3600),
            graceful_timeout=int_env(env, "PREDICT_GRACEFUL_TIMEOUT", 20, 1, 3600),
        )


def listen_address(host: str, port: int) -> str:
    """nginx's `listen` argument (IPv6 addresses in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def render(
    settings: FrontSettings, run_dir: str, upstream: str, user: str | None = None, rlimit_nofile: int = 0
) -> str:
    """nginx.conf for these settings: pid and temp files in `run_dir`, gunicorn at `upstream`
    (`unix:/path` or `host:port`); `user` only when nginx starts as root (its workers then run as it)."""
    limit = settings.max_conn_per_ip
    values = {
        "user": f"user {user};\n" if user else "",
        "worker_processes": str(settings.worker_processes),
        "worker_connections": str(settings.worker_connections),
        "rlimit_nofile": str(rlimit_nofile or 2 * settings.worker_connections + 64),
        "shutdown_timeout": str(settings.graceful_timeout),
        "run_dir": run_dir,
        "error_log_level": "warn",
        "header_timeout": str(settings.header_timeout),
        "body_timeout": str(settings.body_timeout),
        "send_timeout": str(max(settings.body_timeout, 10)),
        "keepalive_timeout": str(settings.keepalive),
        "max_body_bytes": str(settings.max_body_bytes),
        "body_buffer": "64k",
        "limit_zone": "limit_conn_zone $binary_remote_addr zone=per_ip:10m;" if limit else "",
        "limit_conn": f"limit_conn per_ip {limit};\n            limit_conn_status 429;" if limit else "",
        "upstream": upstream,
        "upstream_keepalive": "32",
        "upstream_keepalive_timeout": str(max(settings.keepalive - 1, 1)),
        "listen": listen_address(settings.host, settings.port),
        "read_timeout": str(settings.timeout + 5),
    }
    text = TEMPLATE.read_text()
    missing = set(PLACEHOLDER.findall(text)) - set(values)
    if missing:
        raise FrontError(f"the nginx template has unknown placeholders: {', '.join(sorted(missing))}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


# the sidecar: one nginx worker (its CPU limit is 1 core; deploy/kubernetes/deployment.yaml)
KUBERNETES = replace(FrontSettings(), front="nginx", port=8000, max_conn_per_ip=0, worker_processes=1)
KUBERNETES_RUN_DIR = "/tmp"  # the sidecar's own emptyDir
KUBERNETES_UPSTREAM = "unix:/run/app/gunicorn.sock"


def kubernetes_config() -> str:
    """deploy/kubernetes/nginx.conf: the sidecar's configuration (tests check the file is this text)."""
    header = (
        "# Generated by `python -m service.front.config > deploy/kubernetes/nginx.conf`: edit the template.\n"
    )
    return header + render(KUBERNETES, KUBERNETES_RUN_DIR, KUBERNETES_UPSTREAM, rlimit_nofile=0)


if __name__ == "__main__":  # python -m service.front.config > deploy/kubernetes/nginx.conf
    import sys

    sys.stdout.write(kubernetes_config())
