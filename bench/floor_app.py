"""Transitional alias of bench.apps.floor for bench/front.py's "bench.floor_app:app"; delete once it uses
bench.harness.servers.FLOOR_APP."""

from bench.apps.floor import app

__all__ = ["app"]
