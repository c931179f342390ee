"""Transitional alias of bench.harness.variants for bench/front.py; delete once front.py imports it."""

from bench.harness.report import write
from bench.harness.variants import measure_models, parser, plan_from, render, summarize

__all__ = ["measure_models", "parser", "plan_from", "render", "summarize", "write"]
