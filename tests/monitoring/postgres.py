"""A throwaway PostgreSQL server in a temporary directory (Debian's `postgresql`), loopback only.

initdb refuses to run as root, so under root the server runs as `nobody`. The chaos tests also stop it
(`pg_ctl stop -m immediate`) and start it again on the same port, or freeze it with SIGSTOP. Waits are
bounded; the server is always stopped (and thawed first) at the end.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
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


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (a postmaster's backends and auxiliary processes)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


class PostgresServer:
    """One initialised data directory, its port, and what a chaos test does to the server."""

    def __init__(self, root: Path, bin_dir: Path) -> None:
        self.root, self.bin_dir = root, bin_dir
        self.data, self.port = root / "data", free_port()
        self.url = f"postgresql://monitor@127.0.0.1:{self.port}/postgres"
        self.env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8", "HOME": str(root)}
        self.frozen: list[int] = []

    def _pg_ctl(self, *args: str, timeout: float = 90) -> None:
        subprocess.run(
            _as_user([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), *args]),
            check=True,
            capture_output=True,
            timeout=timeout,
            env=self.env,
        )

    def init(self) -> None:
        """Create the data directory (user `monitor`, trust authentication on loopback)."""
        subprocess.run(
            _as_user(
                [
                    str(self.bin_dir / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "monitor",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
            env=self.env,
        )

    def start(self) -> None:
        """Start the server on its port and wait until it accepts connections (bounded)."""
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} -c fsync=off"
        self._pg_ctl("-o", options, "-l", str(self.root / "log"), "-w", "-t", "60", "start")
        deadline = time.monotonic() + 30
        while not self.ready():
            assert time.monotonic() < deadline, "PostgreSQL did not accept connections within 30 s"
            time.sleep(0.1)

    def ready(self) -> bool:
        """Whether the server accepts connections now."""
        probe = [str(self.bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-t", "2"]
        return subprocess.run(probe, capture_output=True, timeout=10).returncode == 0

    def stop_immediate(self) -> None:
        """Stop at once, like a crash: no shutdown checkpoint, clients see their connections reset."""
        self._pg_ctl("-m", "immediate", "-w", "-t", "30", "stop", timeout=60)

    def postmaster(self) -> int:
        """The postmaster's process id."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def freeze(self) -> None:
        """SIGSTOP the postmaster (so it starts nothing new) and then every process it started: the
        kernel still accepts connections and acknowledges packets, but nothing answers."""
        postmaster = self.postmaster()
        os.kill(postmaster, signal.SIGSTOP)
        self.frozen = [postmaster, *_children(postmaster)]
        for pid in self.frozen[1:]:
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT what `freeze` stopped."""
        for pid in reversed(self.frozen):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self.frozen = []

    def cleanup(self) -> None:
        """Thaw, stop and delete everything (safe to call in any state)."""
        self.thaw()
        if (self.data / "postmaster.pid").exists():
            with suppress(subprocess.SubprocessError):
                self.stop_immediate()
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def postgres_instance() -> Iterator[PostgresServer]:
    """Start a server; yield it; stop it and delete its files."""
    bin_dir = pg_bin()
    assert bin_dir is not None, f"install the Debian package {PACKAGE}"
    root = Path(tempfile.mkdtemp(prefix="pg-monitor-"))
    os.chmod(root, 0o777)
    server = PostgresServer(root, bin_dir)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.cleanup()


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yield its postgresql:// URL; stop it and delete its files."""
    with postgres_instance() as server:
        yield server.url
