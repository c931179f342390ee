"""Drift and live-quality monitoring: reference profile, window counts, statistics, feedback (no Flask)."""
