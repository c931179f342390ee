"""The one adapter over prometheus_client's private value objects, checked at start, with a public fallback.

prometheus_client has no bulk update. `Recorder` and `observe_many` apply many observations with one
`inc` per counter, sum and bucket touched, on the metric's own process- and multiprocess-safe value
objects (`_value`, `_sum`, `_buckets`, `_upper_bounds` of prometheus_client 0.2x). `bulk_supported` checks
those attributes on the live metrics at start; when they are missing or shaped differently, the public
`PublicRecorder` and `public_observe_many` make one `inc()` / `observe()` call per observation instead.
Measured figure: docs/performance/devices.md.
"""

from __future__ import annotations

import logging
import math
from bisect import bisect_left

import numpy as np
import numpy.typing as npt
from prometheus_client import Counter, Histogram

logger = logging.getLogger(__name__)


def _has_inc(value: object) -> bool:
    """Whether a value object has a callable `inc`."""
    return callable(getattr(value, "inc", None))


def bulk_supported(counter: Counter, histogram: Histogram) -> bool:
    """Whether an (unlabelled or child) counter and histogram expose the private values the bulk path uses."""
    bounds = getattr(histogram, "_upper_bounds", None)
    buckets = getattr(histogram, "_buckets", None)
    ok = (
        _has_inc(getattr(counter, "_value", None))
        and _has_inc(getattr(histogram, "_sum", None))
        and isinstance(bounds, list)
        and isinstance(buckets, list)
        and len(bounds) == len(buckets) > 0
        and bounds == sorted(bounds)
        and math.isinf(bounds[-1])
        and all(_has_inc(bucket) for bucket in buckets)
    )
    if not ok:
        logger.warning("prometheus_client internals differ; using its public inc/observe per observation")
    return ok


class Tally:
    """Observations of one event kind waiting to be applied: count, sum and per-bucket counts."""

    __slots__ = ("_bounds", "buckets", "count", "total")

    def __init__(self, bounds: list[float]) -> None:
        self._bounds = bounds
        self.count, self.total = 0, 0.0
        self.buckets = [0] * len(bounds)

    def add(self, value: float) -> None:
        """One event of size `value`: the first bucket whose bound is >= it (NaN in none, like observe)."""
        self.count += 1
        self.total += value
        if value == value:
            self.buckets[bisect_left(self._bounds, value)] += 1


class Recorder:
    """`counter.inc()` plus `histogram.observe(value)` for one cached pair of label children, in bulk.

    It makes the same value updates as those calls (the count, the sum, the first bucket whose bound is
    >= the value; NaN in no bucket), on the same process- and multiprocess-safe value objects, minus
    their per-call label, sign and exemplar checks, which cannot fail for cached children.
    """

    __slots__ = ("_bounds", "_buckets", "_count", "_sum")

    def __init__(self, counter: Counter, histogram: Histogram) -> None:
        self._count = counter._value.inc
        self._sum = histogram._sum.inc
        self._buckets = [bucket.inc for bucket in histogram._buckets]
        self._bounds = histogram._upper_bounds  # ascending, ending with +Inf

    def tally(self) -> Tally:
        """An empty tally for this recorder's buckets."""
        return Tally(self._bounds)

    def apply(self, tally: Tally) -> None:
        """Add a tally's count, sum and bucket counts."""
        self._count(tally.count)
        self._sum(tally.total)
        for inc, count in zip(self._buckets, tally.buckets, strict=True):
            if count:
                inc(count)


class Values(list[float]):
    """The public fallback's tally: the observed values themselves."""

    def add(self, value: float) -> None:
        """Keep one value."""
        self.append(value)


class PublicRecorder:
    """The same updates as Recorder through the public API: one `inc()` and one `observe()` per value."""

    __slots__ = ("_counter", "_histogram")

    def __init__(self, counter: Counter, histogram: Histogram) -> None:
        self._counter, self._histogram = counter, histogram

    def tally(self) -> Values:
        """An empty list of values."""
        return Values()

    def apply(self, tally: Values) -> None:
        """Count and observe each value."""
        inc, observe = self._counter.inc, self._histogram.observe
        for value in tally:
            inc()
            observe(value)


def observe_many(histogram: Histogram, values: npt.NDArray[np.float64]) -> None:
    """Record `values` in an unlabelled histogram exactly as `observe` would, in one update per bucket.

    It uses the histogram's own value objects (`_buckets`, one non-cumulative count per upper bound, and
    `_sum`), whose `inc` is the same process- and multiprocess-safe update `observe` makes. A value goes to
    the first bucket whose bound is >= it (searchsorted, side="left"); NaN, like in `observe`, lands in no
    bucket but still adds to the sum.
    """
    if not values.size:
        return
    bounds = histogram._upper_bounds
    counts = np.bincount(np.searchsorted(bounds, values, side="left"), minlength=len(bounds) + 1)
    histogram._sum.inc(float(values.sum()))
    for bucket, count in zip(histogram._buckets, counts.tolist(), strict=False):
        if count:
            bucket.inc(count)


def public_observe_many(histogram: Histogram, values: npt.NDArray[np.float64]) -> None:
    """The public fallback of observe_many: one `observe` per value."""
    observe = histogram.observe
    for value in values.tolist():
        observe(value)
