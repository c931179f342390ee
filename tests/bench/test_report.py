"""Ratios, medians over rounds, target evaluation and the Markdown/JSON outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.harness.targets import Target, median_round, paired_ratio, ratio
from bench.report import TARGETS, evaluate, http_ratios, render_markdown, write_results


def _round(rps: float, p99: float, errors: int = 0) -> dict[str, Any]:
    """One wrk round as LoadResult.as_dict() gives it."""
    return {
        "requests": int(rps * 10),
        "requests_per_s": rps,
        "p50_ms": p99 / 3,
        "p90_ms": p99 / 2,
        "p99_ms": p99,
        "mean_ms": p99 / 3,
        "errors": errors,
        "non_2xx": errors,
        "socket_errors": 0,
    }


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(3.0, 2.0, 1.5), (1.0, 3.0, 0.33), (None, 2.0, None), (2.0, None, None), (2.0, 0.0, None)],
)
def test_ratio_rounds_and_tolerates_missing_values(
    numerator: float | None, denominator: float | None, expected: float | None
) -> None:
    assert ratio(numerator, denominator) == expected


@pytest.mark.parametrize(
    ("target", "value", "status"),
    [
        (Target("k", "at least", 0.8), 0.8, "met"),
        (Target("k", "at least", 0.8), 0.79, "MISSED"),
        (Target("k", "at most", 1.5, at_least=False), 1.5, "met"),
        (Target("k", "at most", 1.5, at_least=False), 1.51, "MISSED"),
        (Target("k", "at least", 0.8), None, "n/a"),
    ],
)
def test_target_evaluation_is_inclusive_of_the_bound(
    target: Target, value: float | None, status: str
) -> None:
    assert target.evaluate(value) == status


def test_median_round_takes_medians_and_sums_errors() -> None:
    summary = median_round([_round(100, 30), _round(300, 10, errors=2), _round(200, 20, errors=1)])
    assert summary["requests_per_s"] == 200
    assert summary["p99_ms"] == 20
    assert summary["errors"] == 3
    assert summary["rounds"] == 3


def test_http_ratios_compare_the_project_with_floor_and_alternative() -> None:
    http = {
        "project": {"requests_per_s": 900.0, "p99_ms": 30.0},
        "floor": {"requests_per_s": 1000.0, "p99_ms": 20.0},
        "floor_sync": {"requests_per_s": 800.0, "p99_ms": 12.0},
        "alternative": {"requests_per_s": 30.0, "p99_ms": 500.0},
    }
    assert http_ratios(http) == {
        "rps_project_over_floor": 0.9,
        "rps_project_over_alternative": 30.0,
        "p99_project_over_floor": 1.5,
        "p99_project_over_floor_sync": 2.5,
        "rps_project_over_floor_sync": 1.12,
        "cpu_per_request_project_over_floor": None,
    }


def test_paired_ratio_takes_the_median_of_per_round_ratios() -> None:
    project = {"requests_per_s": 500.0, "per_round": [_round(400, 10), _round(500, 10), _round(900, 10)]}
    floor = {"requests_per_s": 1000.0, "per_round": [_round(500, 10), _round(1000, 10), _round(1000, 10)]}
    assert paired_ratio(project, floor, "requests_per_s") == 0.8  # pairs 0.8, 0.5, 0.9; medians give 0.5
    assert paired_ratio(project, None, "requests_per_s") is None


def test_paired_ratio_falls_back_to_medians_when_rounds_differ() -> None:
    project = {"requests_per_s": 600.0, "per_round": [_round(600, 10)]}
    floor = {"requests_per_s": 1000.0, "per_round": []}
    assert paired_ratio(project, floor, "requests_per_s") == 0.6


def test_http_ratios_without_the_project_are_none() -> None:
    assert set(http_ratios({"floor": {"requests_per_s": 1.0, "p99_ms": 1.0}}).values()) == {None}


def test_evaluate_lists_every_target_with_its_status() -> None:
    ratios = {"rps_project_over_floor": 0.5, "rps_project_over_alternative": 25.0, "single_row_speedup": 80.0}
    statuses = {item["key"]: item["status"] for item in evaluate(ratios)}
    assert statuses == {
        "rps_project_over_floor": "MISSED",
        "rps_project_over_alternative": "met",
        "p99_project_over_floor_sync": "n/a",
        "single_row_speedup": "met",
        "rps_front_over_floor": "n/a",
        "p99_front_over_floor_sync": "n/a",
    }
    assert len(statuses) == len(TARGETS)


def test_a_quick_run_shows_its_ratios_without_judging_them() -> None:
    ratios = {"rps_project_over_floor": 0.5, "single_row_speedup": 80.0}
    statuses = {item["key"]: item["status"] for item in evaluate(ratios, judged=False)}
    assert statuses["rps_project_over_floor"] == statuses["single_row_speedup"] == "not judged (quick mode)"
    assert statuses["p99_project_over_floor_sync"] == "n/a"


def _results() -> dict[str, Any]:
    """A minimal results document with a project row, no alternative and one missed target."""
    ratios = {"rps_project_over_floor": 0.5, "p99_project_over_floor_sync": 1.2, "single_row_speedup": 80.0}
    return {
        "mode": "quick",
        "finished_at": "2026-01-01 00:00 UTC",
        "settings": {"connections": 16, "rounds": 1, "duration_s": 2.0},
        "machine": {"cpu_count": 2, "python": "3.11.7", "versions": {"onnxruntime": "1.0"}},
        "model": {"version": "forest-abc", "stand_in": False},
        "http": {
            "project": {"label": "project", "workers": 2, **median_round([_round(500, 24)])},
            "floor": {"label": "floor", "workers": 2, **median_round([_round(1000, 20)])},
            "floor_sync": {"label": "sync floor", "workers": 2, **median_round([_round(900, 16)])},
        },
        "memory": {"project": {"median_worker_rss_mib": 80.5}},
        "batch": {"rows_per_s": 50_000, "batch_size": 10_000, "connections": 2, "p50_ms": 200.0, "errors": 0},
        "ratios": ratios,
        "targets": evaluate(ratios),
    }


def test_markdown_marks_missed_targets_and_unrun_servers() -> None:
    text = render_markdown(_results())
    assert "| /predict throughput ≥ 0.8 × floor | 0.50 | **MISSED** |" in text
    assert "| alternative | — | not run |" in text
    assert "| project | 2 | 500.0 |" in text and "80.5 |" in text
    assert "50,000 rows/s" in text and "forest-abc" in text
    assert "| sync floor | 2 | 900.0 |" in text
    assert "| /predict p99 ≤ 1.5 × sync-worker floor | 1.20 | met |" in text
    assert "Side by side (same run): throughput / gthread floor 0.50, p99 / sync floor 1.20." in text


def test_write_results_writes_json_and_markdown_without_leftovers(tmp_path: Path) -> None:
    json_path, md_path = write_results(_results(), tmp_path / "out")
    assert json.loads(json_path.read_text())["model"]["version"] == "forest-abc"
    assert md_path.read_text().startswith("Benchmark (quick mode")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["latest.json", "latest.md"]


def test_front_ratios_compare_the_front_with_the_floors_and_the_project_without_it() -> None:
    http = {
        "project": {"requests_per_s": 900.0, "p99_ms": 10.0, "server_cpu_us": 400.0},
        "front": {"requests_per_s": 810.0, "p99_ms": 15.0, "server_cpu_us": 500.0},
        "floor": {"requests_per_s": 1000.0, "p99_ms": 8.0},
        "floor_sync": {"requests_per_s": 1000.0, "p99_ms": 12.0},
    }
    ratios = http_ratios(http)
    assert ratios["rps_front_over_floor"] == 0.81 and ratios["p99_front_over_floor_sync"] == 1.25
    assert ratios["rps_front_over_project"] == 0.9 and ratios["p99_front_over_project"] == 1.5
    assert ratios["cpu_per_request_front_over_project"] == 1.25
    statuses = {item["key"]: item["status"] for item in evaluate(ratios)}
    assert statuses["rps_front_over_floor"] == "MISSED" and statuses["p99_front_over_floor_sync"] == "met"
