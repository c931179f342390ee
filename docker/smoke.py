"""Docker smoke test: build the image, run it, probe it, compare with `make serve`, clean up.

Run directly (`python docker/smoke.py`) for a JSON report, or through tests/docker (`make docker-smoke`).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SEED_EXAMPLE = {"age": 45, "salary": 90000, "gender": "Male"}
TRAINING_ONLY_MODULES = ("sklearn", "pandas", "xgboost")
IMAGE_LABEL = "org.opencontainers.image.title=purchase-predictor"  # docker/build.sh prunes by it
STALLED, GOOD = 64, 8  # stalled connections held open while GOOD requests must be answered
log = logging.getLogger(__name__)


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def docker(*args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run a docker CLI command and capture its output."""
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=timeout)


def build_image() -> str:
    """Build the image with docker/build.sh (as `make docker` does) and return its name."""
    done = subprocess.run(
        ["bash", "docker/build.sh"], cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"docker build failed:\n{done.stderr[-4000:]}")
    return done.stdout.strip().splitlines()[-1]


def wait_for(url: str, timeout: float = 60.0) -> None:
    """Poll url until it answers 200, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer 200 within {timeout:.0f}s")


def post_json(url: str, body: dict[str, Any], timeout: float = 10) -> dict[str, Any]:
    """POST a JSON body and return the decoded JSON answer."""
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return dict(json.load(response))


@contextmanager
def running_container(image: str, port: int) -> Iterator[str]:
    """Run the image on the host network at `port`; always remove the container afterwards."""
    name = f"purchase-smoke-{os.getpid()}-{port}"
    try:
        docker("run", "-d", "--name", name, "--network", "host", "-e", f"PORT={port}", image)
        yield name
    finally:
        docker("rm", "-f", name, check=False)


@contextmanager
def make_serve(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """Run `make serve` on `port`; always stop its whole process group afterwards."""
    process = subprocess.Popen(
        ["make", "--no-print-directory", "serve", f"PORT={port}"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def answers_while_stalled(port: int) -> int:
    """Open STALLED connections that stop inside their headers or bodies, then count the good requests
    (of GOOD) answered 200 meanwhile; the buffering front makes that all of them."""
    stalled = []
    try:
        for index in range(STALLED):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            head = b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            sock.sendall(head[:30] if index % 2 else head + b"Content-Length: 1000\r\n\r\n{}")
            stalled.append(sock)
        time.sleep(0.5)
        answered = 0
        for _ in range(GOOD):
            with suppress(urllib.error.URLError, ConnectionError, TimeoutError):
                answered += "probability" in post_json(f"http://127.0.0.1:{port}/predict", SEED_EXAMPLE, 5)
        return answered
    finally:
        for sock in stalled:
            sock.close()


def process_names(container: str) -> list[str]:
    """The command names of the processes running in the container."""
    return docker("exec", container, "sh", "-c", "cat /proc/[0-9]*/comm").stdout.split()


def import_fails_in_image(image: str, module: str) -> bool:
    """True when `import module` fails inside the image."""
    done = docker("run", "--rm", "--network", "host", image, "python3", "-c", f"import {module}", check=False)
    return done.returncode != 0 and "ModuleNotFoundError" in done.stderr


def health_status(container: str) -> str:
    """The container's Docker HEALTHCHECK status (starting, healthy, unhealthy)."""
    return docker("inspect", "-f", "{{.State.Health.Status}}", container).stdout.strip()


def wait_healthy(container: str, timeout: float = 60.0) -> str:
    """Wait until the HEALTHCHECK reports healthy (or timeout); return the last status."""
    deadline = time.monotonic() + timeout
    status = health_status(container)
    while status != "healthy" and time.monotonic() < deadline:
        time.sleep(1)
        status = health_status(container)
    return status


def stop_gracefully(container: str) -> tuple[int, float]:
    """Send SIGTERM via `docker stop`; return the container's exit code and seconds it took."""
    started = time.monotonic()
    docker("stop", "--time", "20", container)
    seconds = time.monotonic() - started
    code = int(docker("inspect", "-f", "{{.State.ExitCode}}", container).stdout.strip())
    return code, seconds


def kubernetes_app_command() -> list[str]:
    """The app container's command in deploy/kubernetes/deployment.yaml (gunicorn alone on a socket)."""
    import yaml  # the dev layer's (kubernetes-validate brings it); only this check needs it

    path = Path(__file__).resolve().parents[1] / "deploy" / "kubernetes" / "deployment.yaml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))["spec"]["template"]["spec"]
    app = next(c for c in spec["containers"] if c["name"] == "purchase-predictor")
    return [str(part) for part in app["command"]]


def socket_probe_status(image: str, timeout: float = 90.0) -> int:
    """Run the image with the Kubernetes app container's command; the exit status of the liveness probe
    (service.front.probe on its socket) once gunicorn answers, or the last one seen at the deadline."""
    command = kubernetes_app_command()
    socket_path = command[command.index("--socket") + 1]
    name = f"pp-smoke-socket-{os.getpid()}"
    docker(
        "run",
        "-d",
        "--name",
        name,
        "--network",
        "host",
        "--tmpfs",
        str(Path(socket_path).parent),
        image,
        *command,
    )
    try:
        deadline, status = time.monotonic() + timeout, 1
        while time.monotonic() < deadline:
            probe = ["python3", "-m", "service.front.probe", socket_path, "/health"]
            status = docker("exec", name, *probe, check=False).returncode
            if status == 0:
                break
            time.sleep(1)
        return status
    finally:
        docker("rm", "-f", name, check=False)


def leftover_images() -> list[str]:
    """Untagged images with the project's label: what a build leaves unless docker/build.sh removes it."""
    found = docker("images", "-q", "--filter", "dangling=true", "--filter", f"label={IMAGE_LABEL}").stdout
    return found.split()


def image_size_mb(image: str) -> float:
    """Image size in MB as Docker reports it."""
    return int(docker("image", "inspect", "-f", "{{.Size}}", image).stdout.strip()) / 1e6


def run_smoke() -> dict[str, Any]:
    """Build, run and probe the image; return a report of what was seen."""
    image = build_image()
    report: dict[str, Any] = {"image": image, "image_size_mb": round(image_size_mb(image), 1)}
    report["leftover_images"] = leftover_images()
    docker_port, local_port = free_port(), free_port()
    with running_container(image, docker_port) as container:
        wait_for(f"http://127.0.0.1:{docker_port}/ready")
        report["docker_answer"] = post_json(f"http://127.0.0.1:{docker_port}/predict", SEED_EXAMPLE)
        report["user"] = docker("exec", container, "id", "-u").stdout.strip()
        report["processes"] = sorted(set(process_names(container)))
        report["answered_while_stalled"] = answers_while_stalled(docker_port)
        report["health"] = wait_healthy(container)
        report["exit_code"], report["stop_seconds"] = stop_gracefully(container)
    with make_serve(local_port):
        wait_for(f"http://127.0.0.1:{local_port}/ready", timeout=180)
        report["make_serve_answer"] = post_json(f"http://127.0.0.1:{local_port}/predict", SEED_EXAMPLE)
    report["absent_modules"] = [m for m in TRAINING_ONLY_MODULES if import_fails_in_image(image, m)]
    report["kubernetes_app_probe"] = socket_probe_status(image)
    return report


def same_answer(one: dict[str, Any], other: dict[str, Any]) -> bool:
    """Two /predict answers agree on everything but the per-request feedback token."""
    return {k: v for k, v in one.items() if k != "feedback_token"} == {
        k: v for k, v in other.items() if k != "feedback_token"
    }


def main() -> int:
    """Print the smoke report as JSON; exit 1 if the image misbehaves."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    report = run_smoke()
    print(json.dumps(report, indent=2))  # noqa: T201 - the report is this script's output
    ok = (
        same_answer(report["docker_answer"], report["make_serve_answer"])
        and report["absent_modules"] == list(TRAINING_ONLY_MODULES)
        and report["user"] != "0"
        and report["health"] == "healthy"
        and report["exit_code"] == 0
        and report["answered_while_stalled"] == GOOD
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
