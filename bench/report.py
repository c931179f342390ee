"""Ratios, target evaluation, and the JSON and Markdown renderings of one benchmark run."""

from __future__ import annotations

import json
import logging
import os
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


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


TARGETS = (
    Target("rps_project_over_floor", "/predict throughput ≥ 0.8 × floor", 0.8),
    Target("rps_project_over_alternative", "/predict throughput ≥ 20 × FastAPI + scikit-learn", 20.0),
    Target("p99_project_over_floor_sync", "/predict p99 ≤ 1.5 × sync-worker floor", 1.5, at_least=False),
    Target("single_row_speedup", "onnxruntime single row ≥ 50 × scikit-learn", 50.0),
    Target("rps_front_over_floor", "/predict behind the front: throughput ≥ 0.85 × floor", 0.85),
    Target(
        "p99_front_over_floor_sync", "/predict behind the front: p99 ≤ 1.5 × sync-worker floor", 1.5, False
    ),
)


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


def http_ratios(http: Mapping[str, dict[str, Any]]) -> dict[str, float | None]:
    """The project's throughput, p99 and server CPU per request relative to the floors and the alternative."""
    project, floor, alternative = http.get("project"), http.get("floor"), http.get("alternative")
    floor_sync = http.get("floor_sync")
    return {
        "rps_project_over_floor": paired_ratio(project, floor, "requests_per_s"),
        "rps_project_over_alternative": paired_ratio(project, alternative, "requests_per_s"),
        "p99_project_over_floor": paired_ratio(project, floor, "p99_ms"),
        "p99_project_over_floor_sync": paired_ratio(project, floor_sync, "p99_ms"),
        "rps_project_over_floor_sync": paired_ratio(project, floor_sync, "requests_per_s"),
        "cpu_per_request_project_over_floor": paired_ratio(project, floor, "server_cpu_us"),
        **front_ratios(http),
    }


def front_ratios(http: Mapping[str, dict[str, Any]]) -> dict[str, float | None]:
    """The project behind nginx against the floors and against itself without the front (its cost)."""
    front = http.get("front")
    if front is None:
        return {}
    project, floor, floor_sync = http.get("project"), http.get("floor"), http.get("floor_sync")
    return {
        "rps_front_over_floor": paired_ratio(front, floor, "requests_per_s"),
        "p99_front_over_floor_sync": paired_ratio(front, floor_sync, "p99_ms"),
        "rps_front_over_project": paired_ratio(front, project, "requests_per_s"),
        "p99_front_over_project": paired_ratio(front, project, "p99_ms"),
        "cpu_per_request_front_over_project": paired_ratio(front, project, "server_cpu_us"),
    }


NOT_JUDGED = "not judged (quick mode)"
SIDE_BY_SIDE = (
    ("rps_project_over_floor", "throughput / gthread floor"),
    ("rps_project_over_floor_sync", "throughput / sync floor"),
    ("rps_project_over_alternative", "throughput / FastAPI + scikit-learn"),
    ("p99_project_over_floor", "p99 / gthread floor"),
    ("p99_project_over_floor_sync", "p99 / sync floor"),
    ("rps_front_over_floor", "behind the front: throughput / gthread floor"),
    ("p99_front_over_floor_sync", "behind the front: p99 / sync floor"),
    ("rps_front_over_project", "throughput with / without the front"),
    ("p99_front_over_project", "p99 with / without the front"),
    ("cpu_per_request_front_over_project", "server CPU per request with / without the front"),
)


def evaluate(ratios: Mapping[str, float | None], judged: bool = True) -> list[dict[str, Any]]:
    """Each target with its measured ratio and status; a quick run's ratios are shown, not judged
    (one 2-second round on a busy CI machine says nothing about a target)."""
    items = []
    for t in TARGETS:
        value = ratios.get(t.key)
        status = t.evaluate(value) if judged or value is None else NOT_JUDGED
        items.append({"target": t.label, "key": t.key, "value": value, "status": status})
    return items


def _fmt(value: Any, digits: int = 1) -> str:
    """A table cell: numbers with thousands separators, '—' for missing."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render_markdown(results: dict[str, Any]) -> str:
    """The Markdown tables of bench/results/*.md (docs/performance/ includes them)."""
    meta, http, settings = results["machine"], results.get("http", {}), results["settings"]
    lines = [
        f"Benchmark ({results['mode']} mode, {results['finished_at']}): {meta['cpu_count']} cores, "
        f"Python {meta['python']}, onnxruntime {meta['versions'].get('onnxruntime')}, "
        f"model `{results['model']['version']}` ({results['model'].get('source', 'models/')}). "
        "Ratios matter; absolute figures are indicative (shared machine).",
        "",
        f"HTTP `POST /predict`, wrk, {settings['connections']} connections, "
        f"{settings['rounds']} interleaved rounds × {settings['duration_s']} s, medians "
        "(ratios below: median of per-round ratios):",
        "",
        "| server | workers | requests/s | p50 ms | p99 ms | errors | server CPU µs/req | RSS/worker MiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in ("project", "front", "floor", "floor_sync", "alternative"):
        row = http.get(name)
        if row is None and name == "front":
            continue  # a run from before the front, or with another gunicorn config
        if row is None:
            lines.append(f"| {name} | — | not run | — | — | — | — | — |")
            continue
        mem = results.get("memory", {}).get(name, {})
        lines.append(
            f"| {row['label']} | {_fmt(row.get('workers'))} | {_fmt(row['requests_per_s'])} "
            f"| {_fmt(row['p50_ms'], 2)} | {_fmt(row['p99_ms'], 2)} | {_fmt(row['errors'])} "
            f"| {_fmt(row.get('server_cpu_us'), 0)} | {_fmt(mem.get('median_worker_rss_mib'))} |"
        )
    engine, batch = results.get("engine", {}), results.get("batch")
    if engine:
        single, bulk = engine["single_row"], engine["bulk"]
        lines += [
            "",
            f"Inference in process ({engine['session_options']}):",
            "",
            "| engine | single row µs (median) | bulk rows/s |",
            "| --- | ---: | ---: |",
            f"| onnxruntime | {_fmt(single['onnxruntime']['median_us'])} "
            f"| {_fmt(bulk['onnxruntime']['rows_per_s'])} ({_fmt(bulk['onnxruntime']['rows'])} rows) |",
            f"| scikit-learn predict_proba | {_fmt(single['sklearn']['median_us'])} "
            f"| {_fmt(bulk['sklearn']['rows_per_s'])} ({_fmt(bulk['sklearn']['rows'])} rows) |",
        ]
    if batch:
        lines += [
            "",
            f"Batch endpoint: {_fmt(batch.get('rows_per_s'))} rows/s through `POST /predict/batch` "
            f"({_fmt(batch.get('batch_size'))} rows per request, "
            f"{_fmt(batch.get('connections'))} connections, "
            f"p50 {_fmt(batch.get('p50_ms'), 1)} ms per request, errors {_fmt(batch.get('errors'))}).",
        ]
    lines += ["", "| target | measured | status |", "| --- | ---: | --- |"]
    for item in results["targets"]:
        status = "**MISSED**" if item["status"] == "MISSED" else item["status"]
        lines.append(f"| {item['target']} | {_fmt(item['value'], 2)} | {status} |")
    ratios = results.get("ratios", {})
    cpu = ratios.get("cpu_per_request_project_over_floor")
    if cpu is not None:
        lines += [
            "",
            f"Server CPU per request, project / floor: {cpu:.2f} (less sensitive to machine noise).",
        ]
    side = [(key, text) for key, text in SIDE_BY_SIDE if ratios.get(key) is not None]
    if side:
        lines += ["", "Side by side (same run): " + ", ".join(f"{t} {ratios[k]:.2f}" for k, t in side) + "."]
    return "\n".join(lines) + "\n"


def write_results(results: dict[str, Any], directory: Path, stem: str = "latest") -> tuple[Path, Path]:
    """Write `<stem>.json` and `<stem>.md` atomically (via .tmp files) and return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = (directory / f"{stem}.json", directory / f"{stem}.md")
    texts = (json.dumps(results, indent=2, sort_keys=False) + "\n", render_markdown(results))
    for path, text in zip(paths, texts, strict=True):
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    return paths
