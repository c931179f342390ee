"""tests.bench package."""
