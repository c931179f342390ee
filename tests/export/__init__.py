"""tests.export package."""
