"""CalibratedClassifierCV (sigmoid, isotonic): per-fold calibrators and the fold mean, in float64."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from onnx import TensorProto
from sklearn.calibration import CalibratedClassifierCV

from export.binary import stack_binary
from export.errors import UnsupportedModelError
from export.graph import GraphBuilder
from export.preprocess import Features

ScoreFn = Callable[[GraphBuilder, Any, Features], str]


def _sigmoid(builder: GraphBuilder, calibrator: Any, score: str) -> str:
    """_SigmoidCalibration.predict: expit(-(a_ * T + b_)), i.e. 1 / (1 + exp(a_ * T + b_)) in float64.

    scipy's expit(z) is 1 / (1 + exp(-z)); with z = -(a_ * T + b_), -z is a_ * T + b_ exactly.
    """
    scaled = builder.op("Mul", [builder.const(np.float64(calibrator.a_), "a"), score], "aT")
    shifted = builder.op("Add", [scaled, builder.const(np.float64(calibrator.b_), "b")], "aTb")
    one = builder.const(np.float64(1.0), "one")
    denominator = builder.op("Add", [one, builder.op("Exp", [shifted], "exp")], "denom")
    return builder.op("Div", [one, denominator], "sigmoid")


def _isotonic(builder: GraphBuilder, calibrator: Any, score: str) -> str:
    """IsotonicRegression.predict with clip, as its interp1d evaluates it for the thresholds' dtype."""
    xs = np.asarray(calibrator.X_thresholds_)
    if len(xs) == 1:
        result = builder.op("Mul", [score, builder.const(np.float64(0.0), "zero")], "z")
        return builder.op(
            "Add", [result, builder.const(np.float64(calibrator.y_thresholds_[0]), "y0")], "const"
        )
    if xs.dtype == np.float32:
        return _interp1d_float32(builder, calibrator, score)
    return _np_interp(builder, calibrator, score)


def _np_interp(builder: GraphBuilder, calibrator: Any, score: str) -> str:
    """float64 thresholds: interp1d delegates to np.interp; reproduce its arithmetic in float64."""
    xs64 = np.asarray(calibrator.X_thresholds_, dtype=np.float64)
    ys64 = np.asarray(calibrator.y_thresholds_, dtype=np.float64)
    clipped = builder.op(
        "Clip",
        [
            score,
            builder.const(np.float64(calibrator.X_min_), "xmin"),
            builder.const(np.float64(calibrator.X_max_), "xmax"),
        ],
        "clip",
    )
    slopes = (ys64[1:] - ys64[:-1]) / (xs64[1:] - xs64[:-1])
    axes = builder.const(np.array([1], dtype=np.int64), "axes")
    below = builder.op("LessOrEqual", [builder.const(xs64[None, :], "xs"), clipped], "le")  # [N, n]
    count = builder.op("ReduceSum", [builder.cast(below, TensorProto.INT64), axes], "cnt", keepdims=1)
    last = builder.op("Sub", [count, builder.const(np.int64(1), "one")], "j")
    j = builder.op(
        "Clip",
        [last, builder.const(np.int64(0), "lo"), builder.const(np.int64(len(xs64) - 2), "hi")],
        "jc",
    )

    def at(table: np.ndarray, hint: str) -> str:
        return builder.op("Gather", [builder.const(table, hint), j], hint + "_j", axis=0)

    offset = builder.op("Sub", [clipped, at(xs64, "xlo")], "dx")
    interp = builder.op("Add", [builder.op("Mul", [at(slopes, "slope"), offset], "m"), at(ys64, "ylo")], "ip")
    at_end = builder.op("Equal", [last, builder.const(np.int64(len(xs64) - 1), "end")], "atend")
    return builder.op("Where", [at_end, builder.const(ys64[-1], "ylast"), interp], "iso")


def _interp1d_float32(builder: GraphBuilder, calibrator: Any, score: str) -> str:
    """float32 thresholds (e.g. XGBoost scores): scipy's interp1d._call_linear, all in float32.

    lo = clip(searchsorted(xs, x, 'left'), 1, n - 1) - 1, then
    slope = (ys[lo + 1] - ys[lo]) / (xs[lo + 1] - xs[lo]) and y = slope * (x - xs[lo]) + ys[lo].
    """
    xs = np.asarray(calibrator.X_thresholds_, dtype=np.float32)
    ys = np.asarray(calibrator.y_thresholds_, dtype=np.float32)
    x = builder.cast(score, TensorProto.FLOAT, "t_f32")
    bounds = [
        builder.const(np.float32(v), h) for v, h in ((calibrator.X_min_, "xmin"), (calibrator.X_max_, "xmax"))
    ]
    clipped = builder.op("Clip", [x, *bounds], "clip")
    axes = builder.const(np.array([1], dtype=np.int64), "axes")
    below = builder.op("Less", [builder.const(xs[None, :], "xs"), clipped], "lt")  # [N, n]
    count = builder.op("ReduceSum", [builder.cast(below, TensorProto.INT64), axes], "cnt", keepdims=1)
    upper = builder.op(
        "Clip",
        [count, builder.const(np.int64(1), "lo"), builder.const(np.int64(len(xs) - 1), "hi")],
        "hi_idx",
    )
    lo = builder.op("Sub", [upper, builder.const(np.int64(1), "one")], "lo_idx")
    slopes = (ys[1:] - ys[:-1]) / (xs[1:] - xs[:-1])  # float32, elementwise as interp1d computes it

    def at(table: np.ndarray, hint: str) -> str:
        return builder.op("Gather", [builder.const(table, hint), lo], hint + "_lo", axis=0)

    offset = builder.op("Sub", [clipped, at(xs, "xlo")], "dx")
    result = builder.op("Add", [builder.op("Mul", [at(slopes, "slope"), offset], "m"), at(ys, "ylo")], "iso")
    return builder.cast(result, TensorProto.DOUBLE, "iso_f64")


def calibrated_probabilities(
    builder: GraphBuilder, model: CalibratedClassifierCV, features: Features, score_fn: ScoreFn
) -> str:
    """Mean over folds of [1 - p, p], p = calibrator(score), accumulated in sklearn's order.

    sklearn sets probabilities in (1, 1 + 1e-5] to 1; a sigmoid never exceeds 1, so only isotonic
    folds get that cap. With one fold (ensemble=False) the mean is the fold itself: 0 + p and p / 1
    are exact, so neither is added to the graph.
    """
    total = None
    for fold in model.calibrated_classifiers_:
        if len(fold.calibrators) != 1:
            raise UnsupportedModelError("expected one calibrator per fold (binary)")
        calibrator = fold.calibrators[0]
        score = score_fn(builder, fold.estimator, features)
        if model.method == "sigmoid":
            proba = stack_binary(builder, _sigmoid(builder, calibrator, score))
        elif model.method == "isotonic":
            stacked = stack_binary(builder, _isotonic(builder, calibrator, score))
            proba = builder.op("Min", [stacked, builder.const(1.0, "cap", np.float64)], "p")
        else:
            raise UnsupportedModelError(f"calibration method {model.method!r} is not supported")
        total = proba if total is None else builder.op("Add", [total, proba], "fold_sum")
    if total is None:
        raise UnsupportedModelError("calibrated model has no fitted folds")
    if len(model.calibrated_classifiers_) == 1:
        return total
    count = builder.const(np.float64(len(model.calibrated_classifiers_)), "n_folds")
    return builder.op("Div", [total, count], "calibrated")
