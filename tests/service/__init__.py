"""tests.service package."""
