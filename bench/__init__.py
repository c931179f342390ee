"""Benchmarks: side-by-side throughput, latency and memory figures (`make bench`).

`bench/harness/` measures (servers, load, /proc, rounds, targets, the one renderer), `bench/apps/` holds
what is measured besides the service, and each scenario is one `python -m bench.<name>` module: `run`
(`make bench`: the HTTP line-up of `http_bench`, the in-process `engine`, the targets and page of
`report`), `rejection`, `batch`, `front`, `devices`, `device_micro`, `layouts`, `soak`, `profile_service`.
"""
