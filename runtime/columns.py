"""Header spellings of customer files, mapped to the contract's column names (standard library only).

Training, batch scoring and Spark read the same exports from a CRM, so they share one rule: compare
headers after lower-casing and removing spaces, underscores, hyphens and dots (`User ID`, `UserID`,
`user_id` are one column).
"""

from __future__ import annotations

import re

#: Contract column -> accepted header spellings, compared after `header_key`.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "user_id": ("userid", "id", "customerid"),
    "gender": ("gender", "sex"),
    "age": ("age",),
    "salary": ("estimatedsalary", "salary"),
    "purchased": ("purchased", "purchase", "bought", "label"),
}
#: The inputs a scorer needs, by contract name.
SCORING_INPUTS = ("age", "salary", "gender")


def header_key(name: str) -> str:
    """Return the comparison key of a header cell: lower case without separators."""
    return re.sub(r"[\s_\-.]+", "", name.strip().lstrip("\ufeff").lower())


def map_header(header: list[str]) -> dict[str, int]:
    """Map each recognised contract column to its position in ``header`` (unknown columns ignored)."""
    lookup = {alias: column for column, aliases in HEADER_ALIASES.items() for alias in aliases}
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        column = lookup.get(header_key(cell))
        if column is not None and column not in positions:
            positions[column] = index
    return positions


def find_column(header: list[str], wanted: str) -> int | None:
    """Position of a user-named column: the exact name first, else the same `header_key`."""
    if wanted in header:
        return header.index(wanted)
    keys = [header_key(cell) for cell in header]
    key = header_key(wanted)
    return keys.index(key) if key in keys else None
