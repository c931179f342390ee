"""The POST /feedback body: its documented schema and a cheap, capped check before any token is verified.

A body is one item `{"feedback_token": "...", "purchased": true}` or `{"feedback": [item, ...]}` with 1 to
MAX_FEEDBACK items. `purchased` is a JSON boolean: 1/0, strings and null are refused (422), as the OpenAPI
document says. Checks run in the service's validation order (docs/api-limits.md): the body is an object,
unknown keys, then each item's fields; every problem is counted, the first MAX_ERRORS are explained, and no
token is verified (HMAC) or looked up before the whole body has passed.
"""

from __future__ import annotations

import logging
from typing import Any

from service.http.reject import MAX_ERRORS, UNKNOWN_FIELD, refusal
from service.http.schemas import detail

logger = logging.getLogger(__name__)

MAX_FEEDBACK = 1000
TOKEN, PURCHASED, FEEDBACK = "feedback_token", "purchased", "feedback"
ITEM_KEYS = (TOKEN, PURCHASED)
MISSING = "Missing data for required field."
RULES = {
    TOKEN: "Must be a string (the feedback_token of a prediction).",
    PURCHASED: "Must be true or false (a JSON boolean; 1/0 and strings are refused).",
}
Details = list[dict[str, Any]]

ITEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [TOKEN, PURCHASED],
    "additionalProperties": False,
    "properties": {
        TOKEN: {"type": "string", "description": "From the prediction's answer."},
        PURCHASED: {"type": "boolean", "description": "Whether the customer bought: true or false."},
    },
}
BODY_SCHEMA: dict[str, Any] = {
    "oneOf": [
        ITEM_SCHEMA,
        {
            "type": "object",
            "required": [FEEDBACK],
            "additionalProperties": False,
            "properties": {
                FEEDBACK: {"type": "array", "items": ITEM_SCHEMA, "minItems": 1, "maxItems": MAX_FEEDBACK}
            },
        },
    ]
}


def _valid(name: str, value: Any) -> bool:
    """Whether an item field has its documented JSON type."""
    return type(value) is str if name == TOKEN else type(value) is bool


def _item_problems(item: Any) -> int:
    """How many problems one item has (0: valid)."""
    if type(item) is not dict:
        return 1
    present = sum(name in item for name in ITEM_KEYS)
    bad = sum(1 for name in ITEM_KEYS if name not in item or not _valid(name, item[name]))
    return bad + len(item) - present


def _item_details(item: Any, room: int, prefix: str, index: int | None) -> Details:
    """At most `room` explained problems of one item: unknown keys first, then its fields."""
    if type(item) is not dict:
        return [detail(prefix or "(body)", index, f"{prefix or 'The body'} must be a JSON object.")]
    path = (lambda name: f"{prefix}.{name}") if prefix else (lambda name: name)
    details: Details = []
    if len(item) > sum(name in item for name in ITEM_KEYS):
        details += [detail(path(k[:64]), index, UNKNOWN_FIELD) for k in item if k not in ITEM_KEYS][:room]
    for name in ITEM_KEYS:
        if name not in item:
            details.append(detail(path(name), index, MISSING))
        elif not _valid(name, item[name]):
            details.append(detail(path(name), index, RULES[name]))
    return details[:room]


def items(body: Any) -> list[tuple[object, object]]:
    """(token, purchased) pairs of a valid body; InvalidInput (422) naming the first problems otherwise."""
    if type(body) is dict and FEEDBACK in body:
        unknown = len(body) - 1
        details = [detail(k[:64], None, UNKNOWN_FIELD) for k in body if k != FEEDBACK][:MAX_ERRORS]
        entries = body[FEEDBACK]
        if type(entries) is not list or not 1 <= len(entries) <= MAX_FEEDBACK:
            details.append(detail(FEEDBACK, None, f"Must hold 1 to {MAX_FEEDBACK} items."))
            raise refusal(details[:MAX_ERRORS], unknown + 1)
        problems = unknown
        for index, entry in enumerate(entries):
            count = _item_problems(entry)
            if count:
                problems += count
                if len(details) < MAX_ERRORS:
                    details += _item_details(entry, MAX_ERRORS - len(details), f"{FEEDBACK}[{index}]", index)
        if problems:
            raise refusal(details, problems)
        return [(entry[TOKEN], entry[PURCHASED]) for entry in entries]
    problems = _item_problems(body)
    if problems:
        raise refusal(_item_details(body, MAX_ERRORS, "", None), problems)
    return [(body[TOKEN], body[PURCHASED])]
