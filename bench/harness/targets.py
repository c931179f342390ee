"""Targets checking: ratios, medians over interleaved rounds, and a target's verdict on a ratio."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

NOT_JUDGED = "not judged (quick mode)"


@dataclass(frozen=True)
class Target:
    """A target on one ratio: `value >= bound` (at_least) or `value <= bound`."""

    key: str
    label: str
    bound: float
    at_least: bool = True

    def evaluate(self, value: float | None) -> str:
        """'met', 'MISSED' or 'n/a' (value not measured)."""
        if value is None:
            return "n/a"
        ok = value >= self.bound if self.at_least else value <= self.bound
        return "met" if ok else "MISSED"


def evaluate(
    targets: Sequence[Target], ratios: Mapping[str, float | None], judged: bool = True
) -> list[dict[str, Any]]:
    """Each target with its measured ratio and status; a quick run's ratios are shown, not judged
    (one 2-second round on a busy CI machine says nothing about a target)."""
    items = []
    for t in targets:
        value = ratios.get(t.key)
        status = t.evaluate(value) if judged or value is None else NOT_JUDGED
        items.append({"target": t.label, "key": t.key, "value": value, "status": status})
    return items


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator rounded to 2 places, or None when either is missing or zero."""
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 2)


def median_round(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-metric medians over wrk rounds (errors summed, since any error matters)."""
    keys = ["requests_per_s", "p50_ms", "p90_ms", "p99_ms", "mean_ms"]
    if all("server_cpu_us" in r for r in rounds):
        keys.append("server_cpu_us")
    summary: dict[str, Any] = {
        key: round(float(statistics.median(r[key] for r in rounds)), 3) for key in keys
    }
    for key in ("errors", "non_2xx", "socket_errors", "requests"):
        summary[key] = sum(r[key] for r in rounds)
    summary["rounds"] = len(rounds)
    return summary


def paired_ratio(first: dict[str, Any] | None, second: dict[str, Any] | None, key: str) -> float | None:
    """Median over rounds of first/second for `key` (rounds are interleaved, so pairs share conditions).

    Falls back to the ratio of medians when per-round figures are absent or unequal in number.
    """
    if first is None or second is None:
        return None
    rounds_a, rounds_b = first.get("per_round") or [], second.get("per_round") or []
    if rounds_a and len(rounds_a) == len(rounds_b) and all(r.get(key) for r in rounds_b):
        pairs = [a[key] / b[key] for a, b in zip(rounds_a, rounds_b, strict=True) if key in a]
        if pairs:
            return round(statistics.median(pairs), 2)
    return ratio(first.get(key), second.get(key))
