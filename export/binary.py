"""Float64 subgraphs every binary converter needs: scipy's logistic function and the [1 - p, p] stacking.

Their own module so that converters.py (which dispatches to every family) and calibration.py (which it
dispatches to) both read them without importing each other.
"""

from __future__ import annotations

import numpy as np

from export.graph import GraphBuilder


def expit(builder: GraphBuilder, x: str) -> str:
    """1 / (1 + exp(-x)) in float64, the formula of scipy.special.expit."""
    one = builder.const(np.float64(1.0), "one")
    exp = builder.op("Exp", [builder.op("Neg", [x], "negx")], "exp")
    return builder.op("Div", [one, builder.op("Add", [one, exp], "denom")], "expit")


def stack_binary(builder: GraphBuilder, positive: str) -> str:
    """Turn P(class 1) of shape [N, 1] into [[1 - p, p]] of shape [N, 2]."""
    negative = builder.op("Sub", [builder.const(np.float64(1.0), "one"), positive], "p0")
    return builder.op("Concat", [negative, positive], "proba", axis=1)
