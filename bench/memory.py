"""Resident memory and CPU time of server processes, read from /proc (Linux only)."""

from __future__ import annotations

import logging
import os
import statistics
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PROC = Path("/proc")


def parse_status_kib(text: str, key: str = "VmRSS") -> int | None:
    """The value in KiB of one `key:   123 kB` line of /proc/<pid>/status, or None."""
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name == key:
            return int(rest.split()[0])
    return None


def rss_kib(pid: int, proc: Path = PROC) -> int | None:
    """VmRSS of one process in KiB, or None when it is gone."""
    try:
        return parse_status_kib((proc / str(pid) / "status").read_text())
    except (OSError, ValueError):
        return None


def _ppid(stat: str) -> int:
    """Parent pid from /proc/<pid>/stat (the command name may contain spaces and parentheses)."""
    return int(stat.rsplit(")", 1)[1].split()[1])


def cpu_seconds(pids: list[int], proc: Path = PROC) -> float:
    """User + system CPU seconds consumed so far by the given processes (all their threads)."""
    ticks = 0
    for pid in pids:
        try:
            fields = (proc / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime and stime: fields 14 and 15 of stat
    return ticks / os.sysconf("SC_CLK_TCK")


def _is_helper(pid: int, proc: Path) -> bool:
    """Whether a child is a multiprocessing helper rather than a server worker."""
    try:
        cmdline = (proc / str(pid) / "cmdline").read_bytes()
    except OSError:
        return True
    return b"resource_tracker" in cmdline or b"semaphore_tracker" in cmdline


def child_pids(parent: int, proc: Path = PROC) -> list[int]:
    """Pids of the direct worker children of `parent` (multiprocessing helpers excluded)."""
    children = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if _ppid((entry / "stat").read_text()) == parent:
                children.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return sorted(pid for pid in children if not _is_helper(pid, proc))


def worker_memory(master: int, pids: list[int] | None = None, proc: Path = PROC) -> dict[str, Any]:
    """Master and per-worker VmRSS in MiB (workers: `pids`, default the master's children)."""
    workers = {pid: rss_kib(pid, proc) for pid in (child_pids(master, proc) if pids is None else pids)}
    per_worker = [round(kib / 1024, 1) for kib in workers.values() if kib is not None]
    master_kib = rss_kib(master, proc)
    return {
        "workers": len(per_worker),
        "worker_rss_mib": per_worker,
        "median_worker_rss_mib": round(statistics.median(per_worker), 1) if per_worker else None,
        "master_rss_mib": round(master_kib / 1024, 1) if master_kib is not None else None,
    }
