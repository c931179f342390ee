"""The batch CLI with `--explain` beside the same run without it (`python -m bench.explain_cli`).

Both runs score the same generated customers (`training.generate`, Parquet → Parquet and CSV → CSV) with
the committed model in a subprocess (`python -m scoring.batch`), alternating plain and explained runs
`--repeats` times; the figure is the median rows per CPU-second (the subprocess's user + system time).
Target (issue 24): with `--explain` at least 0.3 × the rows per CPU-second without. Writes
bench/results/explain-cli.{json,md} (explain-cli-quick.* with --quick).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.batch import write_inputs
from bench.harness import report

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "models" / "purchase_model.onnx"
RESULTS = REPO / "bench" / "results"
QUICK_ROWS, FULL_ROWS = 200_000, 2_000_000
TARGET = 0.3  # explained rows per CPU-second over plain rows per CPU-second


def _children_cpu() -> float:
    """User + system CPU seconds of every child this process has waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cli(input_path: Path, output: Path, explain: bool) -> dict[str, float]:
    """One CLI run in a subprocess: rows, wall and CPU seconds, rows per CPU-second."""
    argv = [
        sys.executable,
        "-m",
        "scoring.batch",
        "--input",
        str(input_path),
        "--output",
        str(output),
        "--model",
        str(MODEL),
        *(["--explain"] if explain else []),
    ]
    cpu, wall = _children_cpu(), time.perf_counter()
    subprocess.run(
        argv,
        check=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=3600,
    )
    wall, cpu = time.perf_counter() - wall, _children_cpu() - cpu
    rows = json.loads(output.with_name(output.name + ".manifest.json").read_text())["rows_read"]
    return {"rows": rows, "wall_s": wall, "cpu_s": cpu, "rows_per_cpu_s": rows / cpu}


def compare(input_path: Path, folder: Path, suffix: str, repeats: int) -> dict[str, Any]:
    """Plain and explained runs alternated `repeats` times; medians and their ratio."""
    runs: dict[str, list[dict[str, float]]] = {"plain": [], "explain": []}
    for _ in range(repeats):
        for name in runs:
            output = folder / f"{name}{suffix}"
            runs[name].append(run_cli(input_path, output, explain=name == "explain"))
            output.unlink()
    medians = {name: statistics.median(r["rows_per_cpu_s"] for r in found) for name, found in runs.items()}
    return {"runs": runs, "median_rows_per_cpu_s": medians, "ratio": medians["explain"] / medians["plain"]}


def run(quick: bool, repeats: int) -> dict[str, Any]:
    """Both formats side by side."""
    rows = QUICK_ROWS if quick else FULL_ROWS
    with tempfile.TemporaryDirectory(prefix="bench-explain-") as tmp:
        folder = Path(tmp)
        inputs = write_inputs(folder, rows, csv=True)
        formats = {
            "parquet": compare(inputs["parquet"], folder, ".parquet", repeats),
            "csv": compare(inputs["csv"], folder, ".csv", repeats),
        }
    return {
        "mode": "quick" if quick else "full",
        "rows": rows,
        "repeats": repeats,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "target": TARGET,
        "formats": formats,
        "passed": all(f["ratio"] >= TARGET for f in formats.values()),
    }


def page(results: dict[str, Any]) -> list[report.Block]:
    """The results page: one sentence on the run, one table."""
    table = report.Table(
        ["input → output", "plain rows per CPU-s", "`--explain` rows per CPU-s", "ratio", "target"],
        [False, True, True, True, False],
    )
    for name, found in results["formats"].items():
        medians = found["median_rows_per_cpu_s"]
        verdict = "met" if found["ratio"] >= results["target"] else "MISSED"
        table.add(
            f"{name} → {name}",
            round(medians["plain"]),
            round(medians["explain"]),
            f"{found['ratio']:.2f}",
            f"≥ {results['target']} × ({verdict})",
        )
    intro = (
        f"Batch CLI with and without `--explain` ({results['mode']} mode, {results['rows']:,} rows, "
        f"median of {results['repeats']} alternated runs, {results['cpus']} cores, load average "
        f"{results['load_average'][0]:.1f}; `python -m bench.explain_cli`)."
    )
    return [intro, table]


def main(argv: list[str] | None = None) -> int:
    """Run, log the markdown, write bench/results/explain-cli[-quick].{json,md} (the page says whether the
    target is met); exit 0."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(prog="python -m bench.explain_cli", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} rows instead of {FULL_ROWS:,}")
    parser.add_argument("--repeats", type=int, default=3, help="alternated runs of each (default 3)")
    args = parser.parse_args(argv)
    results = run(args.quick, args.repeats)
    blocks = page(results)
    report.write(RESULTS, "explain-cli-quick" if args.quick else "explain-cli", results, blocks)
    logger.info("%s", report.markdown(blocks))
    return 0  # a missed target is reported in the page, as bench.run does


if __name__ == "__main__":
    sys.exit(main())
