"""Transitional alias of bench.harness.servers for bench/front.py; delete once front.py imports it."""

from bench.harness.servers import ServerSpec, gunicorn_spec, launcher_spec

__all__ = ["ServerSpec", "gunicorn_spec", "launcher_spec"]
