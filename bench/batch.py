"""Batch-scoring benchmarks: rows per CPU-second and peak memory, side by side (`python -m bench.batch`).

Paths, on the same generated customers (`training.generate`):
- CLI Parquet → Parquet and CSV → Parquet (`python -m scoring.batch`, a subprocess; its CPU from rusage);
- raw onnxruntime in process: `session.run` on prepared arrays, 65,536 rows per call (what the scorers read
  from the lookup table instead, runtime/forest_table.py);
- the common alternative: pandas `read_csv` + scikit-learn `predict_proba` on the joblib pipeline;
- each CLI run again with a scorer that does nothing (`bench.cli_floor`): the CLI's own floor per row;
- Spark `local[2]` and a standalone cluster of two one-core workers (bench/spark_cost.py): the real job
  (`scoring.spark.score`), the same job with a scorer that does nothing (Spark's own cost per row) and,
  on the cluster, an MLflow-style `pandas_udf` calling scikit-learn.
Peak resident memory of the CLI at 1 M and 10 M rows in the full mode (target: within 1.2×); the quick
mode (a smoke run, ≤ 60 s on 2 cores) reads it off its CLI Parquet run instead of scoring 1 M rows more.
`run(quick)` returns a dict; `render_markdown` turns it into the section the lead wires into `make bench`.
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

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from bench.harness import report
from bench.spark_cost import run_cluster, run_local, spark_available
from training.generate import generate_chunks

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "models" / "purchase_model.onnx"
PIPELINE = REPO / "models" / "purchase_pipeline.joblib"
RESULTS = REPO / "bench" / "results"
ORT_BATCH = 65_536
QUICK_ROWS, FULL_ROWS = 300_000, 2_000_000
MEMORY_ROWS = (1_000_000, 10_000_000)  # the full mode's memory runs
TARGETS = {  # name: (numerator, denominator, minimum ratio)
    "CLI Parquet ≥ 0.6 × raw onnxruntime": ("cli_parquet", "raw_onnxruntime", 0.6),
    "CLI Parquet ≥ 2 × pandas + scikit-learn": ("cli_parquet", "pandas_sklearn", 2.0),
    "CLI CSV ≥ 2 × pandas + scikit-learn": ("cli_csv", "pandas_sklearn", 2.0),
    "CLI Parquet ≥ 0.8 × its do-nothing floor": ("cli_parquet", "cli_parquet_floor", 0.8),
    "CLI CSV ≥ 0.8 × its do-nothing floor": ("cli_csv", "cli_csv_floor", 0.8),
    "Spark cluster ≥ 0.8 × the same job doing nothing": ("spark_cluster", "spark_cluster_floor", 0.8),
    "Spark cluster ≥ 3 × pandas_udf + scikit-learn": ("spark_cluster", "spark_cluster_sklearn", 3.0),
}
MEMORY_TARGET = 1.2
FLOOR_TARGETS = {
    "parquet": "CLI Parquet ≥ 0.8 × its do-nothing floor",
    "csv": "CLI CSV ≥ 0.8 × its do-nothing floor",
}
FLOOR_ROWS, FLOOR_REPEATS = 2_000_000, 7  # `--floor`: the CLI against its floor alone, alternated


def write_inputs(folder: Path, rows: int, csv: bool) -> dict[str, Path]:
    """Generated customers as Parquet (row groups of 131,072) and, when asked, CSV; streamed in chunks."""
    paths = {"parquet": folder / f"customers-{rows}.parquet"}
    if csv:
        paths["csv"] = folder / f"customers-{rows}.csv"
    parquet_writer: pq.ParquetWriter | None = None
    csv_writer: pcsv.CSVWriter | None = None
    try:
        for chunk in generate_chunks(rows, seed=7):
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            if parquet_writer is None:
                parquet_writer = pq.ParquetWriter(paths["parquet"], table.schema)
                csv_writer = pcsv.CSVWriter(paths["csv"], table.schema) if csv else None
            parquet_writer.write_table(table, row_group_size=131_072)
            if csv_writer is not None:
                csv_writer.write_table(table)
    finally:
        if parquet_writer is not None:
            parquet_writer.close()
        if csv_writer is not None:
            csv_writer.close()
    return paths


def _children_cpu() -> float:
    """User + system CPU seconds of every child this process has waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cli(input_path: Path, output: Path, module: str = "scoring.batch") -> dict[str, Any]:
    """One CLI run in a subprocess: rows, wall, CPU seconds, rows per CPU-second, peak memory.

    `module` bench.cli_floor runs the same CLI with a scorer that does nothing (its floor)."""
    cpu, wall = _children_cpu(), time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run(
        [
            sys.executable,
            "-m",
            module,
            "--input",
            str(input_path),
            "--output",
            str(output),
            "--model",
            str(MODEL),
        ],
        check=True,
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=3600,
    )
    wall, cpu = time.perf_counter() - wall, _children_cpu() - cpu
    manifest = json.loads(output.with_name(output.name + ".manifest.json").read_text())
    rows = manifest["rows_read"]
    return {
        "rows": rows,
        "wall_s": wall,
        "cpu_s": cpu,
        "rows_per_cpu_s": rows / cpu,
        "peak_rss_mib": manifest["peak_rss_bytes"] / 2**20,
        "arrow_peak_mib": manifest["arrow_peak_bytes"] / 2**20,
    }


def run_raw_onnxruntime(parquet: Path) -> dict[str, Any]:
    """onnxruntime alone on prepared arrays, 65,536 rows per call (even lengths, one thread)."""
    from runtime.session import open_session

    table = pq.read_table(parquet)
    age = table.column("Age").to_numpy().astype(np.float64).reshape(-1, 1)
    salary = table.column("EstimatedSalary").to_numpy().astype(np.float64).reshape(-1, 1)
    gender = np.array(table.column("Gender").to_pylist(), dtype=object).reshape(-1, 1)
    session = open_session(MODEL.read_bytes())
    cpu, wall = time.process_time(), time.perf_counter()
    for start in range(0, len(age), ORT_BATCH):
        end = start + ORT_BATCH
        session.run(
            ["probabilities"],
            {"age": age[start:end], "salary": salary[start:end], "gender": gender[start:end]},
        )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"rows": len(age), "wall_s": wall, "cpu_s": cpu, "rows_per_cpu_s": len(age) / cpu}


def run_pandas_sklearn(csv: Path) -> dict[str, Any]:
    """The common alternative: pandas read_csv, then the joblib pipeline's predict_proba."""
    import pandas as pd

    from bench.apps.alternative import load_pipeline

    pipeline = load_pipeline(PIPELINE)
    cpu, wall = time.process_time(), time.perf_counter()
    frame = pd.read_csv(csv)
    frame = frame.rename(columns={"Age": "age", "EstimatedSalary": "salary", "Gender": "gender"})
    probabilities = pipeline.predict_proba(frame[["age", "salary", "gender"]])[:, 1]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "rows": len(probabilities),
        "wall_s": wall,
        "cpu_s": cpu,
        "rows_per_cpu_s": len(probabilities) / cpu,
    }


def run(quick: bool) -> dict[str, Any]:
    """Every measurement; quick: 300,000 rows, peak memory from the CLI Parquet run (under a minute)."""
    rows = QUICK_ROWS if quick else FULL_ROWS
    memory_rows = [] if quick else list(MEMORY_ROWS)
    results: dict[str, Any] = {"mode": "quick" if quick else "full", "rows": rows, "paths": {}, "memory": {}}
    results["machine"] = {"cpus": os.cpu_count(), "load_average": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        folder = Path(tmp)
        data = write_inputs(folder, rows, csv=True)
        tiny = write_inputs(folder, 1, csv=False)["parquet"]
        startup = run_cli(tiny, folder / "startup.parquet")["cpu_s"]
        results["cli_startup_cpu_s"] = startup
        paths = results["paths"]
        paths["raw_onnxruntime"] = run_raw_onnxruntime(data["parquet"])
        paths["cli_parquet"] = steady(run_cli(data["parquet"], folder / "cli-parquet.parquet"), startup)
        if quick:  # the same CLI run's peak memory; the full mode scores 1 M and 10 M rows for it
            results["memory"][str(rows)] = paths["cli_parquet"]
        paths["cli_csv"] = steady(run_cli(data["csv"], folder / "cli-csv.parquet"), startup)
        results["cli_floor"] = cli_vs_floor(data, folder, 3 if quick else FLOOR_REPEATS)
        for fmt, found in results["cli_floor"].items():  # the median floor round, for the paths table
            paths[f"cli_{fmt}_floor"] = steady(found["floor"], startup)
        paths["pandas_sklearn"] = run_pandas_sklearn(data["csv"])
        paths.update(spark_paths(data["parquet"], folder))
        for n in memory_rows:
            source = write_inputs(folder, n, csv=False)["parquet"]
            results["memory"][str(n)] = steady(run_cli(source, folder / f"memory-{n}.parquet"), startup)
            source.unlink()
    results["ratios"] = ratios(results)
    return results


def cli_vs_floor(data: dict[str, Path], folder: Path, repeats: int) -> dict[str, dict[str, Any]]:
    """The CLI against its floor (bench.cli_floor), whole process: each child's own CPU-seconds (its
    rusage, start-up included), the two run in turn `repeats` times per format (the order swapped every
    round, so both see the same load); the figure is the median of the rounds' ratios."""
    found: dict[str, dict[str, Any]] = {}
    for fmt in ("parquet", "csv"):
        rounds: list[dict[str, Any]] = []
        for i in range(repeats):
            order = [("real", "scoring.batch"), ("floor", "bench.cli_floor")]
            pair = {
                name: run_cli(data[fmt], folder / f"{name}-{fmt}.parquet", module)
                for name, module in (order if i % 2 == 0 else order[::-1])
            }
            pair["ratio"] = pair["real"]["rows_per_cpu_s"] / pair["floor"]["rows_per_cpu_s"]
            rounds.append(pair)
        middle = sorted(rounds, key=lambda r: r["ratio"])[len(rounds) // 2]
        found[fmt] = {
            "ratio": statistics.median(r["ratio"] for r in rounds),
            "ratios": [r["ratio"] for r in rounds],
            "real": middle["real"],
            "floor": middle["floor"],
            "real_rows_per_cpu_s": statistics.median(r["real"]["rows_per_cpu_s"] for r in rounds),
            "floor_rows_per_cpu_s": statistics.median(r["floor"]["rows_per_cpu_s"] for r in rounds),
        }
    return found


def floor_blocks(found: dict[str, dict[str, Any]], rows: int, load: tuple[float, ...]) -> list[report.Block]:
    """The CLI-against-floor page: one line per format, the target and every round's ratio."""
    table = report.Table(
        ["input", "CLI rows per CPU-s", "floor rows per CPU-s", "ratio (median)", "rounds", "target"],
        [False, True, True, True, False, False],
    )
    for fmt, f in found.items():
        met = "met" if f["ratio"] >= 0.8 else "NOT met"
        rounds = ", ".join(f"{r:.2f}" for r in f["ratios"])
        table.add(
            fmt,
            round(f["real_rows_per_cpu_s"]),
            round(f["floor_rows_per_cpu_s"]),
            f"{f['ratio']:.2f}",
            rounds,
            f"≥ 0.8: {met}",
        )
    text = (
        f"The CLI against its floor (`python -m bench.batch --floor`): {rows:,} generated customers, "
        "`python -m scoring.batch` and `python -m bench.cli_floor` (the same CLI, a scorer that writes "
        "constant columns) run in turn, whole process (each child's CPU-seconds from its rusage, start-up "
        f"included), the median of the rounds' ratios; load average {load[0]:.1f} on "
        f"{os.cpu_count()} cores at the start."
    )
    return [text, table]


def run_floor(rows: int, repeats: int) -> dict[str, Any]:
    """`--floor`: only the CLI against its floor, on Parquet and CSV."""
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
        folder = Path(tmp)
        found = cli_vs_floor(write_inputs(folder, rows, csv=True), folder, repeats)
    return {
        "rows": rows,
        "repeats": repeats,
        "load_average": load,
        "load_average_end": os.getloadavg(),
        "cli_floor": found,
    }


def spark_paths(parquet: Path, folder: Path) -> dict[str, dict[str, Any]]:
    """Spark local[2] and the standalone cluster: the real job, the same doing nothing, scikit-learn."""
    reason = spark_available()
    if reason:
        names = (
            "spark_local2",
            "spark_local2_floor",
            "spark_cluster",
            "spark_cluster_floor",
            "spark_cluster_sklearn",
        )
        return {name: {"skipped": reason} for name in names}
    found: dict[str, dict[str, Any]] = {}
    for key, measured in (
        ("spark_local2", run_local(parquet, folder)),
        ("spark_cluster", run_cluster(parquet, folder)),
    ):
        rows = measured["rows"]
        for job, suffix in (("real", ""), ("nothing", "_floor"), ("sklearn", "_sklearn")):
            if job in measured:
                found[key + suffix] = {"rows": rows, "master": measured["master"], **measured[job]}
    return found


def steady(measured: dict[str, Any], startup_cpu: float) -> dict[str, Any]:
    """Add rows per CPU-second without the CLI's fixed start-up (imports, model load, self-test)."""
    work = max(measured["cpu_s"] - startup_cpu, 1e-9)
    return {**measured, "steady_rows_per_cpu_s": measured["rows"] / work}


def _rate(path: dict[str, Any]) -> float | None:
    """Steady-state rows per CPU-second: the CLI's without its start-up, the others as measured."""
    return path.get("steady_rows_per_cpu_s", path.get("rows_per_cpu_s"))


def ratios(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each target's measured ratio and whether it is met (None when a path was skipped)."""
    paths = results["paths"]
    found: dict[str, dict[str, Any]] = {}
    floor = {FLOOR_TARGETS[fmt]: f["ratio"] for fmt, f in results.get("cli_floor", {}).items()}
    for name, (top, bottom, minimum) in TARGETS.items():
        a, b = _rate(paths.get(top, {})), _rate(paths.get(bottom, {}))  # a path not run: skipped
        value = floor[name] if name in floor else (a / b if a and b else None)
        found[name] = {"ratio": value, "target": minimum, "met": None if value is None else value >= minimum}
    memory = results["memory"]
    if "10000000" in memory:
        value = memory["10000000"]["peak_rss_mib"] / memory["1000000"]["peak_rss_mib"]
        found["CLI peak memory 10 M ≤ 1.2 × 1 M"] = {
            "ratio": value,
            "target": MEMORY_TARGET,
            "met": value <= MEMORY_TARGET,
        }
    return found


PATH_LABELS = {
    "raw_onnxruntime": "raw onnxruntime in process (65,536 rows/call)",
    "cli_parquet": "CLI Parquet → Parquet",
    "cli_parquet_floor": "CLI Parquet → Parquet, scorer doing nothing (bench.cli_floor)",
    "cli_csv": "CLI CSV → Parquet",
    "cli_csv_floor": "CLI CSV → Parquet, scorer doing nothing (bench.cli_floor)",
    "pandas_sklearn": "pandas read_csv + scikit-learn predict_proba",
    "spark_local2": "Spark local[2] mapInArrow (warm, median of 3)",
    "spark_local2_floor": "Spark local[2], the same job doing nothing",
    "spark_cluster": "Spark standalone 2 × 1 core mapInArrow (warm, median of 3)",
    "spark_cluster_floor": "Spark standalone, the same job doing nothing",
    "spark_cluster_sklearn": "Spark standalone, pandas_udf + scikit-learn predict_proba",
}


def page(results: dict[str, Any]) -> list[report.Block]:
    """The results page: a paragraph on the run, then the paths, memory and targets tables."""
    machine = results["machine"]
    intro = (
        f"Batch scoring ({results['mode']} mode, {results['rows']:,} rows, {machine['cpus']} cores, "
        f"load average {machine['load_average'][0]:.1f}); rows per CPU-second are the comparable figure. "
        "`steady` leaves out fixed start-up: the CLI's "
        f"{results['cli_startup_cpu_s']:.2f} CPU-s (imports, model load, self-test; measured on a one-row "
        "file); Spark's jobs run warm (one untimed run each, then three rounds side by side, the median "
        "counted), their CPU summed over every process of the job (driver, master, workers, executors, "
        "Python workers); raw onnxruntime and pandas + scikit-learn are timed after their imports and loads. "
        "The machine is shared: compare figures of one run, not across runs."
    )
    paths = report.Table(
        ["path", "rows", "wall s", "CPU s", "rows per CPU-s", "steady rows per CPU-s"], [False, *[True] * 5]
    )
    for key, label in PATH_LABELS.items():
        p = results["paths"].get(key)
        if p is None:
            continue
        if "skipped" in p:
            paths.add(label, f"skipped: {p['skipped']}", "", "", "", "")
            continue
        rate = _rate(p) or 0.0
        paths.add(
            label, f"{p['rows']:,}", f"{p['wall_s']:.2f}", f"{p['cpu_s']:.2f}", f"{p['rows_per_cpu_s']:,.0f}",
            f"{rate:,.0f}",
        )  # fmt: skip
    memory = report.Table(
        ["CLI Parquet → Parquet", "peak RSS MiB", "Arrow peak MiB", "rows per CPU-s"], [True] * 4
    )
    for n, m in results["memory"].items():
        memory.add(
            f"{int(n):,} rows", f"{m['peak_rss_mib']:.0f}", f"{m['arrow_peak_mib']:.1f}",
            f"{m['rows_per_cpu_s']:,.0f}",
        )  # fmt: skip
    targets = report.Table(
        [
            "target (steady rows per CPU-s; CLI vs floor: whole process, median of alternated rounds)",
            "measured",
            "status",
        ],
        [False, True, False],
    )
    for name, r in results["ratios"].items():
        status = "skipped" if r["met"] is None else ("met" if r["met"] else "NOT met")
        targets.add(name, "—" if r["ratio"] is None else f"{r['ratio']:.2f}", status)
    return [intro, paths, memory, targets]


def render_markdown(results: dict[str, Any]) -> str:
    """The results as Markdown (bench.harness.report)."""
    return report.markdown(page(results))


def main(argv: list[str] | None = None) -> int:
    """Run, log the markdown, write bench/results/batch-latest.{json,md} (batch-quick.* with --quick)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(prog="python -m bench.batch", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="300,000 rows, memory from the CLI Parquet run (under a minute)",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="only the CLI against its floor, alternated (writes batch-floor.*)",
    )
    parser.add_argument("--rows", type=int, default=FLOOR_ROWS, help="--floor: rows per input file")
    parser.add_argument("--repeats", type=int, default=FLOOR_REPEATS, help="--floor: rounds per format")
    args = parser.parse_args(argv)
    if args.floor:
        found = run_floor(args.rows, args.repeats)
        blocks = floor_blocks(found["cli_floor"], args.rows, found["load_average"])
        report.write(RESULTS, "batch-floor", found, blocks)
        logger.info("%s", report.markdown(blocks))
        return 0
    results = run(args.quick)
    blocks = page(results)
    stem = "batch-quick" if args.quick else "batch-latest"  # a smoke run never replaces the full figures
    report.write(RESULTS, stem, results, blocks)
    logger.info("%s", report.markdown(blocks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
