"""A built document against its TypedDict, key for key: what tests use to keep the types true."""

from __future__ import annotations

import types
import typing
from typing import Any, get_args, get_origin, get_type_hints, is_typeddict


def mismatches(value: Any, declared: Any, where: str = "document") -> list[str]:
    """Every place a value's keys differ from its TypedDict (missing required, undeclared), recursively."""
    if get_origin(declared) in (typing.Union, types.UnionType):
        options = [mismatches(value, option, where) for option in get_args(declared)]
        return min(options, key=len)  # the member it matches best
    if is_typeddict(declared):
        if not isinstance(value, dict):
            return [f"{where} is {type(value).__name__}, not a mapping"]
        hints = get_type_hints(declared)
        found = [f"{where} lacks {k!r}" for k in sorted(declared.__required_keys__ - value.keys())]
        found += [f"{where} has undeclared {k!r}" for k in sorted(value.keys() - hints.keys())]
        for key in value.keys() & hints.keys():
            found += mismatches(value[key], hints[key], f"{where}.{key}")
        return found
    if get_origin(declared) is dict and isinstance(value, dict):
        return [m for k, v in value.items() for m in mismatches(v, get_args(declared)[1], f"{where}[{k!r}]")]
    if get_origin(declared) is list and isinstance(value, list):
        return [m for i, v in enumerate(value) for m in mismatches(v, get_args(declared)[0], f"{where}[{i}]")]
    return []
