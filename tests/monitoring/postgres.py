"""A throwaway PostgreSQL server in a temporary directory (Debian's `postgresql`), loopback only.

initdb refuses to run as root, so under root the server runs as `nobody`. Waits are bounded; the server is
always stopped.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.service.server import free_port

PACKAGE = "postgresql"


def pg_bin() -> Path | None:
    """The directory holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


def _as_user(command: list[str]) -> list[str]:
    """The command, run as `nobody` when we are root."""
    return (
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command]
        if os.geteuid() == 0
        else command
    )


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yield its postgresql:// URL; stop it and delete its files."""
    bin_dir = pg_bin()
    assert bin_dir is not None, f"install the Debian package {PACKAGE}"
    root = Path(tempfile.mkdtemp(prefix="pg-monitor-"))
    os.chmod(root, 0o777)
    data, port = root / "data", free_port()
    env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8", "HOME": str(root)}
    try:
        subprocess.run(
            _as_user(
                [str(bin_dir / "initdb"), "-D", str(data), "-U", "monitor", "--auth=trust", "-E", "UTF8"]
            ),
            check=True,
            capture_output=True,
            timeout=120,
            env=env,
        )
        options = f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off"
        subprocess.run(
            _as_user(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(root / "log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=90,
            env=env,
        )
        url = f"postgresql://monitor@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + 30
        while (
            subprocess.run(
                [str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                capture_output=True,
                timeout=10,
            ).returncode
            != 0
        ):
            assert time.monotonic() < deadline, "PostgreSQL did not accept connections within 30 s"
            time.sleep(0.2)
        yield url
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_user(
                    [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "-t", "30", "stop"]
                ),
                capture_output=True,
                timeout=60,
                env=env,
            )
        shutil.rmtree(root, ignore_errors=True)
