"""Bulk histogram updates record exactly what one `observe` per value would, in and across processes."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram

from service.fast.prometheus_bulk import bulk_supported, public_observe_many
from service.observe.metrics import PROBABILITY_BUCKETS, Metrics, observe_many
from tests.service.server import REPO

EDGES = [0.0, 0.1, 0.1000000001, 0.2, 0.30000000000000004, 0.5, 0.9999, 1.0, 1.5, -0.5]


def samples(histogram: Histogram) -> dict[tuple[str, str], float]:
    """(sample name, le) -> value for every sample except `_created`."""
    return {
        (s.name, s.labels.get("le", "")): s.value
        for metric in histogram.collect()
        for s in metric.samples
        if not s.name.endswith("_created")
    }


def pair() -> tuple[Histogram, Histogram]:
    """Two identical, unregistered histograms."""
    return tuple(  # type: ignore[return-value]
        Histogram("p", "p", buckets=PROBABILITY_BUCKETS, registry=CollectorRegistry()) for _ in range(2)
    )


@pytest.mark.parametrize(
    "values",
    [EDGES, np.random.default_rng(0).random(10_000).tolist(), [0.5], [], [1.0] * 7 + [0.0] * 3],
    ids=["edges", "random-10k", "one", "empty", "bounds"],
)
def test_bulk_observe_equals_one_observe_per_value(values: list[float]) -> None:
    bulk, single = pair()
    observe_many(bulk, np.asarray(values, dtype=np.float64))
    for value in values:
        single.observe(value)
    got, want = samples(bulk), samples(single)
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert math.isclose(got[key], value, rel_tol=1e-12, abs_tol=1e-9), key


def test_nan_lands_in_no_bucket_like_observe() -> None:
    bulk, single = pair()
    observe_many(bulk, np.array([0.3, math.nan]))
    single.observe(0.3)
    single.observe(math.nan)
    got, want = samples(bulk), samples(single)
    assert {k: v for k, v in got.items() if k[0] != "p_sum"} == {
        k: v for k, v in want.items() if k[0] != "p_sum"
    }
    assert math.isnan(got[("p_sum", "")]) and math.isnan(want[("p_sum", "")])


def test_observe_predictions_counts_outcomes_and_probabilities() -> None:
    metrics = Metrics()
    metrics.observe_predictions([0.1, 0.7, 0.9], yes=2)
    metrics.observe_prediction(0.65, True)
    text = metrics.render().decode()
    assert 'predict_predictions_total{outcome="Yes"} 3.0' in text
    assert 'predict_predictions_total{outcome="No"} 1.0' in text
    assert "predict_probability_count 4.0" in text
    assert 'predict_probability_bucket{le="0.7"} 3.0' in text


MULTIPROCESS_SCRIPT = """
import sys
import numpy as np
from service.observe.metrics import Metrics
metrics = Metrics()
values = [float(v) for v in sys.argv[1].split(",")]
metrics.observe_predictions(np.array(values), yes=sum(v >= 0.5 for v in values))
"""


def test_bulk_updates_are_aggregated_across_processes(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    batches = [[0.05, 0.55, 0.95], [0.15, 0.15, 1.0, 0.5]]
    for batch in batches:  # two worker processes, each with its own mmap file
        argv = [sys.executable, "-c", MULTIPROCESS_SCRIPT, ",".join(map(str, batch))]
        subprocess.run(argv, cwd=REPO, env=env, check=True)
    render = (
        "from service.observe.metrics import Metrics; import sys; "
        "sys.stdout.write(Metrics().render().decode())"
    )
    text = subprocess.run(
        [sys.executable, "-c", render], cwd=REPO, env=env, check=True, capture_output=True, text=True
    ).stdout
    values = [v for batch in batches for v in batch]
    assert f"predict_probability_count {float(len(values))}" in text
    assert 'predict_probability_bucket{le="0.2"} 3.0' in text
    assert 'predict_probability_bucket{le="0.5"} 4.0' in text
    assert f'predict_predictions_total{{outcome="Yes"}} {float(sum(v >= 0.5 for v in values))}' in text
    (line,) = [ln for ln in text.splitlines() if ln.startswith("predict_probability_sum")]
    assert math.isclose(float(line.split()[1]), sum(values), rel_tol=1e-12)


@pytest.mark.parametrize("value", [0.0, 0.0004, 0.0005, 0.0005000001, 0.3, 1.0, 2.5, 99.0, math.nan])
def test_recorder_updates_like_inc_plus_observe(value: float) -> None:
    fast, public = Metrics(), Metrics()
    fast.observe_request("/predict", "POST", 200, value)
    fast.observe_prediction(value, value >= 0.5)
    labels = ("/predict", "POST", "200")
    public.requests.labels(*labels).inc()
    public.latency.labels(*labels).observe(value)
    public.predictions.labels("Yes" if value >= 0.5 else "No").inc()
    public.probability.observe(value)
    lines = [ln for ln in fast.render().decode().splitlines() if "_created" not in ln]
    want = [ln for ln in public.render().decode().splitlines() if "_created" not in ln]
    assert lines == want


def rendered(metrics: Metrics) -> dict[str, float]:
    """Sample -> value from the text exposition, without the `_created` timestamps."""
    lines = metrics.render().decode().splitlines()
    pairs = [line.rsplit(" ", 1) for line in lines if line and not line.startswith("#")]
    return {name: float(value) for name, value in pairs if "_created" not in name}


def test_the_public_fallback_records_exactly_what_the_bulk_path_records(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bulk = Metrics()
    monkeypatch.setattr("service.observe.metrics.bulk_supported", lambda counter, histogram: False)
    public = Metrics()
    assert public._observe_many is public_observe_many
    for metrics in (bulk, public):
        metrics.observe_predictions(np.array(EDGES), yes=4)
        for index, value in enumerate(EDGES):
            metrics.observe_prediction(value, index % 2 == 0)
            metrics.observe_request("/predict", "POST", 200 if index % 3 else 422, value / 100)
    got, want = rendered(public), rendered(bulk)
    assert got.keys() == want.keys()
    assert all(math.isclose(got[key], want[key], rel_tol=1e-12) for key in want)
    assert any(key.startswith("predict_http_requests_total") for key in want)


def test_bulk_support_is_refused_when_the_internals_are_missing() -> None:
    registry = CollectorRegistry()
    counter = Counter("c", "c", registry=registry)
    histogram = Histogram("h", "h", buckets=PROBABILITY_BUCKETS, registry=registry)
    assert bulk_supported(counter, histogram)
    del histogram._buckets
    assert not bulk_supported(counter, histogram)
    assert not bulk_supported(object(), histogram)  # type: ignore[arg-type]
