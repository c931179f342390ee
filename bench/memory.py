"""Transitional alias of bench.harness.procs for bench/batch.py; delete once batch.py imports the harness."""

from bench.harness.procs import cpu_seconds

__all__ = ["cpu_seconds"]
