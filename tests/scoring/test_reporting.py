"""Progress output (a bar on a terminal, log lines otherwise); the batch benchmark's ratios and markdown."""

from __future__ import annotations

import io
import logging

import pytest

from bench.batch import ratios, render_markdown
from scoring import progress
from scoring.progress import Progress


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        """Pretend to be a TTY."""
        return True


def test_a_terminal_gets_a_bar_with_rows_rate_and_eta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "BAR_EVERY_SECONDS", 0.0)
    stream = Terminal()
    bar = Progress(1000, stream=stream, clock=0.0)
    bar.advance(250)
    bar.finish()
    text = stream.getvalue()
    assert text.startswith("\r[######")
    assert "250 rows" in text and "rows/s" in text and "25.0%" in text and "ETA" in text
    assert text.endswith("\n")


def test_a_pipe_gets_log_lines_instead(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(progress, "LOG_EVERY_SECONDS", 0.0)
    stream = io.StringIO()
    with caplog.at_level(logging.INFO, logger="scoring.progress"):
        Progress(10, stream=stream, clock=0.0).advance(5)
    assert stream.getvalue() == ""
    assert any("progress: 5 rows" in r.getMessage() for r in caplog.records)


def fake_results(cli: float, spark: float | None, memory_10m: float) -> dict:
    """Benchmark results shaped like bench.batch.run's, with chosen rates."""
    path = {"rows": 100, "wall_s": 1.0, "cpu_s": 1.0, "rows_per_cpu_s": 100.0}
    paths = {
        "raw_onnxruntime": {**path, "rows_per_cpu_s": 300.0},
        "cli_parquet": {**path, "steady_rows_per_cpu_s": cli},
        "cli_csv": {**path, "steady_rows_per_cpu_s": cli},
        "pandas_sklearn": {**path, "rows_per_cpu_s": 100.0},
        "spark_cluster": {"skipped": "java missing"} if spark is None else {**path, "rows_per_cpu_s": spark},
        "spark_cluster_floor": {**path, "rows_per_cpu_s": 120.0},
        "spark_cluster_sklearn": {**path, "rows_per_cpu_s": 30.0},
    }
    one = {"arrow_peak_mib": 10.0, "rows_per_cpu_s": 1.0}
    memory = {"1000000": {**one, "peak_rss_mib": 200.0}, "10000000": {**one, "peak_rss_mib": memory_10m}}
    results = {
        "mode": "quick",
        "rows": 100,
        "paths": paths,
        "memory": memory,
        "cli_startup_cpu_s": 0.5,
        "machine": {"cpus": 2, "load_average": (1.0, 1.0, 1.0)},
        "cli_floor": {"parquet": {"ratio": 0.9}, "csv": {"ratio": 0.7}},
    }
    results["ratios"] = ratios(results)
    return results


def test_ratios_judge_each_target() -> None:
    found = fake_results(cli=210.0, spark=100.0, memory_10m=260.0)["ratios"]
    assert found["CLI Parquet ≥ 0.6 × raw onnxruntime"]["met"] is True  # 0.7
    assert found["CLI Parquet ≥ 2 × pandas + scikit-learn"]["met"] is True  # 2.1
    assert found["Spark cluster ≥ 0.8 × the same job doing nothing"]["met"] is True  # 100 / 120 = 0.83
    assert found["Spark cluster ≥ 3 × pandas_udf + scikit-learn"]["met"] is True  # 3.3
    assert found["CLI Parquet ≥ 0.8 × its do-nothing floor"]["met"] is True  # the alternated median, 0.9
    assert found["CLI CSV ≥ 0.8 × its do-nothing floor"]["met"] is False  # 0.7
    assert found["CLI peak memory 10 M ≤ 1.2 × 1 M"]["met"] is False  # 1.3


def test_markdown_shows_skips_and_failures_plainly() -> None:
    text = render_markdown(fake_results(cli=150.0, spark=None, memory_10m=200.0))
    assert "skipped: java missing" in text
    assert "| CLI Parquet ≥ 2 × pandas + scikit-learn | 1.50 | NOT met |" in text
    assert "| Spark cluster ≥ 0.8 × the same job doing nothing | — | skipped |" in text
    assert "| 10,000,000 rows | 200 |" in text
