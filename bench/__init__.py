"""Benchmarks: side-by-side throughput, latency and memory figures (`make bench`)."""
