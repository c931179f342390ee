"""onnxruntime sessions as every scorer opens them, and the one adapter over onnxruntime's private API."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import onnxruntime as ort

logger = logging.getLogger(__name__)

PROVIDERS = ["CPUExecutionProvider"]
Runner = Callable[[list[str], dict[str, Any], Any], list[Any]]


def session_options() -> ort.SessionOptions:
    """One intra-op and one inter-op thread, sequential: workers don't oversubscribe cores, and a forest's
    trees are added in scikit-learn's order (parity is proven with exactly these options)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return options


def open_session(model: str | bytes) -> ort.InferenceSession:
    """A CPU session with the contract's options, from a path or the file's bytes."""
    return ort.InferenceSession(model, session_options(), providers=PROVIDERS)


def runner(session: ort.InferenceSession) -> Runner:
    """The session's `run(output_names, feeds, run_options)`, minus the public wrapper's per-call checks.

    onnxruntime's public `InferenceSession.run` re-checks on every call that the feeds cover the inputs,
    that no OrtValue belongs to another session and that WebGPU capture is off, then calls the binding's
    `run`. Those facts are settled at load (CPU provider, inputs checked against the contract, NumPy
    feeds). The binding is the private `_sess` of onnxruntime 1.32 (pinned); when it is absent, or does
    not answer like the public method on a probe, the public method is used. Measured figure: README
    "Performance devices".
    """
    binding = getattr(session, "_sess", None)
    run = getattr(binding, "run", None)
    if run is None or session.get_providers() != PROVIDERS:
        logger.info("onnxruntime binding unavailable; using the public InferenceSession.run")
        return session.run
    return run
