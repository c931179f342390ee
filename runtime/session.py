"""onnxruntime sessions as every scorer opens them.

Scorers call the public `InferenceSession.run`. An adapter over its private binding (`_sess.run`, minus
the wrapper's per-call checks) saved about 2 µs of a 20 µs call, within the run-to-run noise of a
request (docs/performance/devices.md), so it was removed.
"""

from __future__ import annotations

import logging

import onnxruntime as ort

logger = logging.getLogger(__name__)

PROVIDERS = ["CPUExecutionProvider"]


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
