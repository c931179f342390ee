"""Transitional alias of bench.apps.alternative for bench/batch.py; delete once batch.py imports it."""

from bench.apps.alternative import load_pipeline

__all__ = ["load_pipeline"]
