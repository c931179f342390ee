"""Chaos suite (`make chaos`): real components misbehaving on loopback — stalled clients, a PostgreSQL
store that stops or freezes, replicas that start together, hostile model files. Every test here is marked
`chaos`; `make test` leaves them out and `.ci/run` runs them with `make chaos`."""

from __future__ import annotations

from pathlib import Path

import pytest

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test of this folder `chaos`."""
    for item in items:
        if _HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.chaos)
