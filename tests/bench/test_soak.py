"""The soak run's verdict: 0 errors, no replaced worker, worker RSS growth within the limit."""

from __future__ import annotations

from typing import Any

from bench.soak import judge


def _summary(**changes: Any) -> dict[str, Any]:
    """A passing summary with some fields changed."""
    base: dict[str, Any] = {
        "failed": {},
        "requests": 1000,
        "workers_replaced": False,
        "rss_growth": {1: 0.01, 2: 0.049},
    }
    return {**base, **changes}


def test_a_clean_run_passes() -> None:
    assert judge(_summary(), 0.05) == []


def test_each_broken_limit_is_named() -> None:
    broken = judge(
        _summary(failed={"503": 2, "ConnectionResetError": 1}, workers_replaced=True, rss_growth={7: 0.051}),
        0.05,
    )
    assert len(broken) == 3
    assert (
        broken[0].startswith("3 failed requests")
        and "replaced" in broken[1]
        and "worker 7 grew by 5.1%" in broken[2]
    )


def test_a_run_without_answers_fails() -> None:
    assert judge(_summary(requests=0), 0.05) == ["no request was answered"]
