"""The monitoring reference profile of a training run: training inputs, out-of-fold scores, CV metrics.

The profile is binned (at least 10 training rows per bin) so it holds no customer's values; export copies it
into the ONNX metadata (`reference_profile`), where the service's drift monitoring reads it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from monitoring.profile import ProfileDocument, build_profile


def reference_profile(
    x_train: pd.DataFrame, oof_scores: np.ndarray, threshold: float, cv_metrics: Mapping[str, float]
) -> ProfileDocument:
    """Bins of age and salary, gender counts, the out-of-fold score histogram and the CV baseline."""
    features = {name: x_train[name].to_numpy() for name in ("age", "salary", "gender")}
    return build_profile(features, np.asarray(oof_scores, dtype=np.float64), threshold, cv_metrics)
