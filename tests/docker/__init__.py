"""tests.docker package."""
