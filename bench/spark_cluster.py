"""A Spark standalone cluster on this machine, from pyspark's own launcher: one master, N one-core workers.

`StandaloneCluster.start(folder)` runs `$SPARK_HOME/bin/spark-class …deploy.master.Master --host 127.0.0.1`
and the workers, all on loopback (SPARK_LOCAL_IP=127.0.0.1, so the web UIs bind there too) in one
process group of their own, waits (bounded) until every worker has registered, and `stop()` ends the
group and whatever it left (executors, Python daemons), always. The tests (tests/scoring/spark_cluster.py)
and the benchmark (bench/spark_cost.py) run the job on it; `executor_pids()` finds the executors' JVMs
(`CoarseGrainedExecutorBackend`) among the workers' children, for a test to kill one.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import procs

EXECUTOR_CLASS = b"org.apache.spark.executor.CoarseGrainedExecutorBackend"
# Master and workers only relay messages: a small heap, the serial collector, the quick JIT tier.
DAEMON_JAVA_OPTS = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1"


class ClusterError(RuntimeError):
    """The cluster did not come up in time; the message names the process and its log."""


def spark_home() -> Path:
    """pyspark's package folder, which is a SPARK_HOME (bin/spark-class, jars/)."""
    import pyspark

    return Path(pyspark.__file__).parent


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cluster_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The daemons' environment: loopback only, small daemon heaps, no PYTHONPATH (the job ships its code)."""
    env = {k: v for k, v in (base if base is not None else os.environ).items() if k != "PYTHONPATH"}
    env.update(
        SPARK_LOCAL_IP="127.0.0.1",
        SPARK_DAEMON_MEMORY="256m",
        SPARK_DAEMON_JAVA_OPTS=DAEMON_JAVA_OPTS,
        SPARK_HOME=str(spark_home()),
    )
    return env


def descendants(root: int) -> list[int]:
    """Every live descendant of `root` (not `root` itself)."""
    return procs.descendants(root)[1:]


def cmdline(pid: int) -> bytes:
    """A process's command line (NUL-separated), or b"" when it is gone."""
    return procs.cmdline(pid) or b""


@dataclass
class StandaloneCluster:
    """A running master and its workers; `url` is what spark-submit --master takes."""

    folder: Path
    url: str
    master: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @classmethod
    def start(
        cls, folder: Path, workers: int = 2, cores: int = 1, memory: str = "1g", timeout: float = 120.0
    ) -> StandaloneCluster:
        """Start the master and `workers` workers of `cores` cores each; ClusterError after `timeout` s."""
        folder.mkdir(parents=True, exist_ok=True)
        port = free_port()
        url = f"spark://127.0.0.1:{port}"
        master = _launch(
            folder,
            "master",
            None,
            [
                "org.apache.spark.deploy.master.Master",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--webui-port",
                str(free_port()),
            ],
        )
        cluster = cls(folder, url, master)
        try:
            cluster.wait_for("master", "I have been elected leader", time.monotonic() + timeout)
            for i in range(workers):
                work = folder / f"worker-{i}"
                work.mkdir(exist_ok=True)
                cluster.workers.append(
                    _launch(
                        folder,
                        f"worker-{i}",
                        master.pid,
                        [
                            "org.apache.spark.deploy.worker.Worker",
                            url,
                            "--host",
                            "127.0.0.1",
                            "--cores",
                            str(cores),
                            "--memory",
                            memory,
                            "--webui-port",
                            str(free_port()),
                            "--work-dir",
                            str(work),
                        ],
                    )
                )
            deadline = time.monotonic() + timeout
            for i in range(workers):
                cluster.wait_for(f"worker-{i}", "Successfully registered with master", deadline)
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def processes(self) -> list[subprocess.Popen[bytes]]:
        """The master and the workers."""
        return [self.master, *self.workers]

    def wait_for(self, name: str, line: str, deadline: float) -> None:
        """Poll a daemon's log for `line` until `deadline`; ClusterError if it exits or the time is up."""
        log = self.folder / f"{name}.log"
        while time.monotonic() < deadline:
            text = log.read_text(errors="replace") if log.exists() else ""
            if line in text:
                return
            if any(p.poll() is not None for p in self.processes()):
                raise ClusterError(f"Spark {name} exited before '{line}'; see {log}")
            time.sleep(0.2)
        raise ClusterError(f"Spark {name} did not log '{line}' in time; see {log}")

    def executor_pids(self) -> list[int]:
        """The executors' JVMs (CoarseGrainedExecutorBackend) running under the workers now."""
        found = []
        for worker in self.workers:
            for pid in descendants(worker.pid):
                if EXECUTOR_CLASS in cmdline(pid):
                    found.append(pid)
        return sorted(found)

    def all_pids(self) -> list[int]:
        """Master, workers and everything under them (executors, their Python daemons and workers)."""
        roots = [p.pid for p in self.processes() if p.poll() is None]
        return sorted({*roots, *(pid for root in roots for pid in descendants(root))})

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM the group and every descendant, SIGKILL what is left after `timeout` s; reap."""
        leftovers = self.all_pids()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in leftovers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.master.pid, sig)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and any(procs.alive(pid) for pid in leftovers):
                for process in self.processes():
                    process.poll()
                time.sleep(0.1)
            if not any(procs.alive(pid) for pid in leftovers):
                break
        for process in self.processes():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)


def _launch(folder: Path, name: str, group: int | None, args: list[str]) -> subprocess.Popen[bytes]:
    """`spark-class ARGS` with its output in FOLDER/NAME.log, in the cluster's process group."""
    log = (folder / f"{name}.log").open("wb")
    try:
        return subprocess.Popen(
            [str(spark_home() / "bin" / "spark-class"), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=folder,
            env=cluster_env(),
            process_group=0 if group is None else group,
        )
    finally:
        log.close()
