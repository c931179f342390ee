"""What the benchmarks measure besides the service: the floor, the common alternative, the service with one
performance device switched off, and stand-in models for when models/ is empty."""
