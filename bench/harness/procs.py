"""The one /proc reader: process trees, CPU seconds and resident memory of benchmarked processes (Linux).

Every benchmark reads processes through here: the servers' workers (a master's children, multiprocessing
helpers left out), a process and all its descendants (a Spark JVM and its Python workers), their CPU
seconds (user + system, every thread) and their VmRSS. Each function takes `proc` so tests can point it at
a fake tree.
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path
from typing import Any

PROC = Path("/proc")
HELPERS = (b"resource_tracker", b"semaphore_tracker")  # multiprocessing helpers, not server workers


def cpu_model(proc: Path = PROC) -> str | None:
    """The CPU model name from /proc/cpuinfo, if readable."""
    try:
        for line in (proc / "cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


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


def _stat_fields(pid: int, proc: Path) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses)."""
    return (proc / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pids: list[int], proc: Path = PROC, reaped: bool = False) -> float:
    """User + system CPU seconds consumed so far by the given processes (all their threads; gone ones: 0);
    with `reaped`, also those of the children each has waited for (a Python worker that has exited)."""
    fields_read = (11, 12, 13, 14) if reaped else (11, 12)  # utime, stime (+ cutime, cstime): stat 14-17
    ticks = 0
    for pid in pids:
        try:
            fields = _stat_fields(pid, proc)
            ticks += sum(int(fields[i]) for i in fields_read)
        except (OSError, IndexError, ValueError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def alive(pid: int, proc: Path = PROC) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        return _stat_fields(pid, proc)[0] != "Z"
    except (OSError, IndexError):
        return False


def cmdline(pid: int, proc: Path = PROC) -> bytes | None:
    """The NUL-separated command line of a process, or None when it is gone."""
    try:
        return (proc / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None


def children_by_parent(proc: Path = PROC) -> dict[int, list[int]]:
    """One pass over /proc: every process's children, sorted, keyed by parent pid."""
    found: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int(_stat_fields(int(entry.name), proc)[1])
        except (OSError, IndexError, ValueError):
            continue
        found.setdefault(ppid, []).append(int(entry.name))
    return {ppid: sorted(pids) for ppid, pids in found.items()}


def _is_helper(pid: int, proc: Path) -> bool:
    """Whether a child is a multiprocessing helper rather than a server worker (or is gone)."""
    line = cmdline(pid, proc)
    return line is None or any(helper in line for helper in HELPERS)


def child_pids(parent: int, proc: Path = PROC) -> list[int]:
    """Pids of the direct worker children of `parent` (multiprocessing helpers excluded)."""
    return [pid for pid in children_by_parent(proc).get(parent, []) if not _is_helper(pid, proc)]


def worker_levels(root: int, depth: int, proc: Path = PROC) -> list[list[int]]:
    """The worker children of `root`, their worker children, … `depth` levels down (one /proc pass)."""
    tree, levels, level = children_by_parent(proc), [], [root]
    for _ in range(depth):
        level = [pid for parent in level for pid in tree.get(parent, []) if not _is_helper(pid, proc)]
        levels.append(level)
    return levels


def descendants(root: int, proc: Path = PROC) -> list[int]:
    """`root` and every process below it, helpers included (everything that burns CPU for it)."""
    tree, found, todo = children_by_parent(proc), [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree.get(pid, []))
    return found


def tree_cpu_seconds(root: int, proc: Path = PROC, reaped: bool = False) -> float:
    """CPU seconds so far of `root` and its live descendants (a process that has exited counts 0, unless
    `reaped` and its parent waited for it)."""
    return cpu_seconds(descendants(root, proc), proc, reaped)


def worker_memory(master: int, pids: list[int] | None = None, proc: Path = PROC) -> dict[str, Any]:
    """Master and per-worker VmRSS in MiB (workers: `pids`, default the master's worker children)."""
    workers = {pid: rss_kib(pid, proc) for pid in (child_pids(master, proc) if pids is None else pids)}
    per_worker = [round(kib / 1024, 1) for kib in workers.values() if kib is not None]
    master_kib = rss_kib(master, proc)
    return {
        "workers": len(per_worker),
        "worker_rss_mib": per_worker,
        "median_worker_rss_mib": round(statistics.median(per_worker), 1) if per_worker else None,
        "master_rss_mib": round(master_kib / 1024, 1) if master_kib is not None else None,
    }


def rss_mib(pids: list[int], proc: Path = PROC) -> dict[int, float]:
    """VmRSS in MiB per pid (0 for a pid that is gone)."""
    return {pid: round((rss_kib(pid, proc) or 0) / 1024, 2) for pid in pids}
