"""Batch-scoring benchmarks: rows per CPU-second and peak memory, side by side (`python -m bench.batch`).

Paths, on the same generated customers (`training.generate`):
- CLI Parquet → Parquet and CSV → Parquet (`python -m scoring.batch`, a subprocess; its CPU from rusage);
- raw onnxruntime in process: `session.run` on prepared arrays, 65,536 rows per call (what the scorers read
  from the lookup table instead, runtime/forest_table.py);
- the common alternative: pandas `read_csv` + scikit-learn `predict_proba` on the joblib pipeline;
- Spark `local[2]` `mapInArrow` (`scoring.spark.score`), warm session, CPU of the JVM and its Python workers;
  and the same job with a scorer that does nothing (constant results): Spark's own cost per row.
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
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from bench.memory import cpu_seconds
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
    "Spark local[2] ≥ 0.5 × CLI Parquet": ("spark_local2", "cli_parquet", 0.5),
}
MEMORY_TARGET = 1.2


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


def run_cli(input_path: Path, output: Path) -> dict[str, Any]:
    """One CLI run in a subprocess: rows, wall, CPU seconds, rows per CPU-second, peak memory."""
    cpu, wall = _children_cpu(), time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run(
        [sys.executable, "-m", "scoring.batch", "--input", str(input_path), "--output", str(output),
         "--model", str(MODEL)],
        check=True, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=3600,
    )  # fmt: skip
    wall, cpu = time.perf_counter() - wall, _children_cpu() - cpu
    manifest = json.loads(output.with_name(output.name + ".manifest.json").read_text())
    rows = manifest["rows_read"]
    return {
        "rows": rows, "wall_s": wall, "cpu_s": cpu, "rows_per_cpu_s": rows / cpu,
        "peak_rss_mib": manifest["peak_rss_bytes"] / 2**20,
        "arrow_peak_mib": manifest["arrow_peak_bytes"] / 2**20,
    }  # fmt: skip


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

    from bench.alternative_app import load_pipeline

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


def _descendants(root: int) -> list[int]:
    """The process and all its descendants, from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def run_spark(parquet: Path, folder: Path) -> dict[str, Any]:
    """Spark local[2], mapInArrow, maxRecordsPerBatch 65,536: the job twice; the second (warm JIT) counts.

    The first run pays the JVM's JIT compilation and the Python workers' start (recorded as `first_run_*`);
    on a nightly job of many millions of rows that cost is spread thin, which the warm run stands for.
    """
    import warnings

    from pyspark.sql import SparkSession

    from scoring.spark import JOB_CONF, PANDAS_WARNING, score

    warnings.filterwarnings("ignore", message=PANDAS_WARNING, category=FutureWarning)
    os.environ.update({"PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"})
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    builder = (
        SparkSession.builder.master("local[2]").appName("bench-batch").config("spark.ui.enabled", "false")
    )
    for key, value in JOB_CONF.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    try:  # the file's own schema, given: Spark runs no schema-reading job before the timed ones
        df = spark.read.schema(spark_schema(parquet)).parquet(str(parquet))
        first = _timed_spark_job(
            lambda: score(df, MODEL).write.mode("overwrite").parquet(str(folder / "spark-1"))
        )
        wall, cpu = _timed_spark_job(
            lambda: score(df, MODEL).write.mode("overwrite").parquet(str(folder / "spark-2"))
        )
        nothing_scored(df).write.mode("overwrite").parquet(str(folder / "spark-floor-warm"))
        floor = _timed_spark_job(
            lambda: nothing_scored(df).write.mode("overwrite").parquet(str(folder / "spark-floor"))
        )
    finally:
        spark.stop()
    rows = pq.read_metadata(parquet).num_rows
    return {
        "rows": rows, "wall_s": wall, "cpu_s": cpu, "rows_per_cpu_s": rows / cpu,
        "first_run_wall_s": first[0], "first_run_cpu_s": first[1],
        "first_run_rows_per_cpu_s": rows / first[1],
        "floor_wall_s": floor[0], "floor_cpu_s": floor[1], "floor_rows_per_cpu_s": rows / floor[1],
    }  # fmt: skip


def nothing_scored(df: Any) -> Any:
    """The scoring job's shape (same columns in, same schema out, written the same way) with a scorer that
    does nothing: what Spark itself costs per row (its Parquet, Arrow and Python-worker work)."""
    import numpy as np
    from pyspark.sql import types as T
    from pyspark.sql.pandas.types import to_arrow_schema

    from scoring.spark import RESULT_FIELDS, input_columns

    selected = df.select(*input_columns(df.columns, None))
    schema = T.StructType([selected.schema.fields[0], *RESULT_FIELDS])
    arrow_schema = to_arrow_schema(schema)

    def constant(batches: Any) -> Any:
        """Every batch's ids with constant results (built for the largest batch seen, sliced per batch)."""
        results: list[pa.Array] = []
        for batch in batches:
            n = batch.num_rows
            if not results or len(results[0]) < n:
                no, null, version = pa.array(["No"] * n), pa.nulls(n, pa.string()), pa.array(["v"] * n)
                results = [pa.array(np.zeros(n)), no, null, null, version]
            columns = [batch.column(0), *(column[:n] for column in results)]
            yield pa.RecordBatch.from_arrays(columns, schema=arrow_schema)

    return selected.mapInArrow(constant, schema)


def spark_schema(parquet: Path) -> Any:
    """The Parquet file's schema as Spark's StructType (read from its footer, as Spark would)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(pq.read_schema(parquet))


def _timed_spark_job(job: Callable[[], None]) -> tuple[float, float]:
    """Wall and CPU seconds of one job, the CPU summed over this process, the JVM and its Python workers."""
    pids = _descendants(os.getpid())
    cpu, wall = cpu_seconds(pids), time.perf_counter()
    job()
    wall = time.perf_counter() - wall
    return wall, cpu_seconds(sorted(set(pids) | set(_descendants(os.getpid())))) - cpu


def _spark_available() -> str | None:
    """Why Spark cannot run here, or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark missing (make setup-spark)"
    if subprocess.run(["sh", "-c", "command -v java"], capture_output=True, check=False).returncode:
        return "java missing (Debian default-jre-headless; make setup-spark)"
    return None


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
        paths["pandas_sklearn"] = run_pandas_sklearn(data["csv"])
        reason = _spark_available()
        paths["spark_local2"] = {"skipped": reason} if reason else run_spark(data["parquet"], folder)
        for n in memory_rows:
            source = write_inputs(folder, n, csv=False)["parquet"]
            results["memory"][str(n)] = steady(run_cli(source, folder / f"memory-{n}.parquet"), startup)
            source.unlink()
    results["ratios"] = ratios(results)
    return results


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
    for name, (top, bottom, minimum) in TARGETS.items():
        a, b = _rate(paths[top]), _rate(paths[bottom])
        value = a / b if a and b else None
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


def render_markdown(results: dict[str, Any]) -> str:
    """The results as a markdown section (tables of paths, memory and targets)."""
    machine = results["machine"]
    lines = [
        f"Batch scoring ({results['mode']} mode, {results['rows']:,} rows, {machine['cpus']} cores, "
        f"load average {machine['load_average'][0]:.1f}); rows per CPU-second are the comparable figure. "
        "`steady` leaves out fixed start-up: the CLI's "
        f"{results['cli_startup_cpu_s']:.2f} CPU-s (imports, model load, self-test; measured on a one-row "
        "file); Spark's is its second run in one session; raw onnxruntime and pandas + scikit-learn are "
        "timed after their imports and loads.",
        "",
        "| path | rows | wall s | CPU s | rows per CPU-s | steady rows per CPU-s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    names = {
        "raw_onnxruntime": "raw onnxruntime in process (65,536 rows/call)",
        "cli_parquet": "CLI Parquet → Parquet",
        "cli_csv": "CLI CSV → Parquet",
        "pandas_sklearn": "pandas read_csv + scikit-learn predict_proba",
        "spark_local2": "Spark local[2] mapInArrow (second run, warm JIT)",
    }
    for key, label in names.items():
        p = results["paths"][key]
        if "skipped" in p:
            lines.append(f"| {label} | skipped: {p['skipped']} | | | | |")
            continue
        rate = _rate(p) or 0.0
        lines.append(
            f"| {label} | {p['rows']:,} | {p['wall_s']:.2f} | {p['cpu_s']:.2f} | {p['rows_per_cpu_s']:,.0f} "
            f"| {rate:,.0f} |"
        )
        if "first_run_cpu_s" in p:
            lines.append(
                f"| Spark local[2], first run (JIT and worker start) | {p['rows']:,} "
                f"| {p['first_run_wall_s']:.2f} | {p['first_run_cpu_s']:.2f} "
                f"| {p['first_run_rows_per_cpu_s']:,.0f} | |"
            )
        if "floor_cpu_s" in p:
            lines.append(
                f"| Spark local[2], the same job with a scorer that does nothing (Spark's own cost) "
                f"| {p['rows']:,} | {p['floor_wall_s']:.2f} | {p['floor_cpu_s']:.2f} "
                f"| {p['floor_rows_per_cpu_s']:,.0f} | |"
            )
    lines += [
        "",
        "| CLI Parquet → Parquet | peak RSS MiB | Arrow peak MiB | rows per CPU-s |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for n, m in results["memory"].items():
        lines.append(
            f"| {int(n):,} rows | {m['peak_rss_mib']:.0f} | {m['arrow_peak_mib']:.1f} "
            f"| {m['rows_per_cpu_s']:,.0f} |"
        )
    lines += ["", "| target (steady rows per CPU-s) | measured | status |", "| --- | ---: | --- |"]
    for name, r in results["ratios"].items():
        status = "skipped" if r["met"] is None else ("met" if r["met"] else "NOT met")
        measured = "—" if r["ratio"] is None else f"{r['ratio']:.2f}"
        lines.append(f"| {name} | {measured} | {status} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run, log the markdown, write bench/results/batch-latest.{json,md} (batch-quick.* with --quick)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(prog="python -m bench.batch", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="300,000 rows, memory from the CLI Parquet run (under a minute)",
    )
    args = parser.parse_args(argv)
    results = run(args.quick)
    markdown = render_markdown(results)
    RESULTS.mkdir(exist_ok=True)
    stem = "batch-quick" if args.quick else "batch-latest"  # a smoke run never replaces the full figures
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / f"{stem}.md").write_text(markdown)
    logger.info("%s", markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
