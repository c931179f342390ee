"""`make bench`'s targets, ratios and page (bench/results/latest.md, rendered by bench.harness.report).

The targets of the HTTP line-up and the engine are checked by bench.harness.targets; `render_markdown` lays
out the page as blocks, `write_results` writes the JSON document and the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.harness import report, targets
from bench.harness.report import Table, cell
from bench.harness.targets import Target, paired_ratio

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
    """Each of `make bench`'s targets with its measured ratio and status (a quick run's: not judged)."""
    return targets.evaluate(TARGETS, ratios, judged)


def render_markdown(results: dict[str, Any]) -> str:
    """The Markdown of bench/results/latest.md (docs/performance/ includes it)."""
    return report.markdown(page(results))


def page(results: dict[str, Any]) -> list[report.Block]:
    """The page's blocks: the run, the HTTP table, the engine, the batch endpoint, targets and ratios."""
    meta, settings = results["machine"], results["settings"]
    blocks: list[report.Block] = [
        f"Benchmark ({results['mode']} mode, {results['finished_at']}): {meta['cpu_count']} cores, "
        f"Python {meta['python']}, onnxruntime {meta['versions'].get('onnxruntime')}, "
        f"model `{results['model']['version']}` ({results['model'].get('source', 'models/')}). "
        "Ratios matter; absolute figures are indicative (shared machine).",
        f"HTTP `POST /predict`, wrk, {settings['connections']} connections, "
        f"{settings['rounds']} interleaved rounds × {settings['duration_s']} s, medians "
        "(ratios below: median of per-round ratios):",
        http_table(results),
    ]
    engine, batch = results.get("engine", {}), results.get("batch")
    if engine:
        single, bulk = engine["single_row"], engine["bulk"]
        blocks += [
            f"Inference in process ({engine['session_options']}):",
            Table(["engine", "single row µs (median)", "bulk rows/s"], [False, True, True])
            .add("onnxruntime", cell(single["onnxruntime"]["median_us"]), _bulk(bulk["onnxruntime"]))
            .add("scikit-learn predict_proba", cell(single["sklearn"]["median_us"]), _bulk(bulk["sklearn"])),
        ]
    if batch:
        blocks.append(
            f"Batch endpoint: {cell(batch.get('rows_per_s'))} rows/s through `POST /predict/batch` "
            f"({cell(batch.get('batch_size'))} rows per request, "
            f"{cell(batch.get('connections'))} connections, "
            f"p50 {cell(batch.get('p50_ms'), 1)} ms per request, errors {cell(batch.get('errors'))})."
        )
    verdicts = Table(["target", "measured", "status"], [False, True, False])
    for item in results["targets"]:
        status = "**MISSED**" if item["status"] == "MISSED" else item["status"]
        verdicts.add(item["target"], cell(item["value"], 2), status)
    blocks.append(verdicts)
    ratios = results.get("ratios", {})
    cpu = ratios.get("cpu_per_request_project_over_floor")
    if cpu is not None:
        blocks.append(
            f"Server CPU per request, project / floor: {cpu:.2f} (less sensitive to machine noise)."
        )
    side = [(key, text) for key, text in SIDE_BY_SIDE if ratios.get(key) is not None]
    if side:
        blocks.append("Side by side (same run): " + ", ".join(f"{t} {ratios[k]:.2f}" for k, t in side) + ".")
    return blocks


def _bulk(figures: dict[str, Any]) -> str:
    """A bulk rows/s cell with its row count."""
    return f"{cell(figures['rows_per_s'])} ({cell(figures['rows'])} rows)"


def http_table(results: dict[str, Any]) -> Table:
    """One row per server: workers, throughput, latency, errors, server CPU per request, RSS per worker."""
    http = results.get("http", {})
    header = ["server", "workers", "requests/s", "p50 ms", "p99 ms", "errors"]
    table = Table([*header, "server CPU µs/req", "RSS/worker MiB"], [False, *[True] * 7])
    for name in ("project", "front", "floor", "floor_sync", "alternative"):
        row = http.get(name)
        if row is None and name == "front":
            continue  # a run from before the front, or with another gunicorn config
        if row is None:
            table.add(name, "—", "not run", "—", "—", "—", "—", "—")
            continue
        mem = results.get("memory", {}).get(name, {})
        table.add(
            row["label"],
            cell(row.get("workers")),
            cell(row["requests_per_s"]),
            cell(row["p50_ms"], 2),
            cell(row["p99_ms"], 2),
            cell(row["errors"]),
            cell(row.get("server_cpu_us"), 0),
            cell(mem.get("median_worker_rss_mib")),
        )
    return table


def write_results(results: dict[str, Any], directory: Path, stem: str = "latest") -> tuple[Path, Path]:
    """Write `<stem>.json` and `<stem>.md` atomically (bench.harness.report.write) and return their paths."""
    return report.write(directory, stem, results, page(results))
