"""Fixtures: tiny stand-in models in a temp folder and a fake /proc tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.apps.stand_in import make_stand_ins


@pytest.fixture(scope="session")
def stand_ins(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A five-tree stand-in joblib bundle and its ONNX export, made once per session."""
    return make_stand_ins(tmp_path_factory.mktemp("models"), rows=200, n_estimators=5)


def _process(proc: Path, pid: int, ppid: int, rss_kib: int, cmdline: bytes = b"python\0worker") -> None:
    """One fake /proc/<pid> entry with stat, status and cmdline."""
    folder = proc / str(pid)
    folder.mkdir()
    (folder / "stat").write_text(f"{pid} (py (thon)) S {ppid} 1 1 0 -1\n")
    (folder / "status").write_text(f"Name:\tpython\nVmPeak:\t 9999 kB\nVmRSS:\t {rss_kib} kB\nThreads:\t1\n")
    (folder / "cmdline").write_bytes(cmdline)


@pytest.fixture
def fake_proc(tmp_path: Path) -> Path:
    """A /proc with master 100, workers 101 and 102, a resource tracker 103 and an unrelated 200."""
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "self").mkdir()
    _process(proc, 100, 1, 40 * 1024)
    _process(proc, 101, 100, 60 * 1024)
    _process(proc, 102, 100, 70 * 1024)
    _process(proc, 103, 100, 10 * 1024, b"python\0-c\0from multiprocessing.resource_tracker import main")
    _process(proc, 200, 1, 5 * 1024)
    return proc
