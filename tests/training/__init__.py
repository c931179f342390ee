"""tests.training package."""
