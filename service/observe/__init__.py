"""What the service records about itself: JSON logs, Prometheus metrics, the per-request middleware."""
