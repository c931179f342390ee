"""Machine, library and model facts recorded with every benchmark run."""

from __future__ import annotations

import json
import logging
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.harness import procs

log = logging.getLogger(__name__)

PACKAGES = (
    "onnxruntime",
    "numpy",
    "scikit-learn",
    "pandas",
    "flask",
    "marshmallow",
    "gunicorn",
    "fastapi",
    "uvicorn",
    "pydantic",
)


def versions() -> dict[str, str | None]:
    """Installed versions of the libraries that shape the figures."""
    found: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def wrk_version() -> str | None:
    """wrk's version line."""
    try:
        done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return None
    return (done.stdout or done.stderr).splitlines()[0].strip() if (done.stdout or done.stderr) else None


def machine_info() -> dict[str, Any]:
    """Cores, CPU, platform, Python, wrk and library versions."""
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu_count": os.cpu_count(),
        "usable_cpus": affinity,
        "cpu_model": procs.cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "wrk": wrk_version(),
        "versions": versions(),
    }


def model_info(onnx_path: Path, source: str) -> dict[str, Any]:
    """The ONNX model's version, family and threshold from its metadata."""
    import onnxruntime as ort

    meta = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"]).get_modelmeta()
    props = meta.custom_metadata_map
    library = props.get("library_versions")
    return {
        "path": str(onnx_path),
        "source": source,
        "stand_in": source == "stand-in",
        "version": props.get("model_version", "unknown"),
        "family": props.get("model_family"),
        "threshold": props.get("threshold"),
        "trained_with": json.loads(library) if library else None,
    }
