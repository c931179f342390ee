"""The measuring harness every benchmark of bench/ runs on.

- `procs`: the one /proc walker (workers, descendants, CPU seconds, resident memory);
- `servers`: a line-up of servers on free loopback ports (gunicorn, the nginx launcher, uvicorn), always
  stopped; `gunicorn`: the service's own gunicorn with its log, for the soak run and the fault tests;
- `wrk`: the wrk driver; `steady_load`: a paced, counted load; `rounds`: interleaved wrk rounds;
- `variants`: side-by-side variant benchmarks (options, ratios to a reference, their table);
- `targets`: ratios, medians over rounds and a target's verdict;
- `report`: the one renderer of bench/results/*.md and *.json;
- `machine`: machine, library and model facts; `models`: the models to measure.
"""
