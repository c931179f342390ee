"""Cheap, capped 422s for refused /predict and /predict/batch bodies (docs/api-limits.md).

A body the fast path refuses comes here. Checks run in this order: the body is a JSON object, unknown
keys, then each field (type, then range or allowed value), customer by customer in a batch. Every problem
is counted in plain Python (about a microsecond a customer); only the first MAX_ERRORS are explained, by
the marshmallow schema run on the few known fields of the customers that hold them. So a body with
150,000 unknown keys or 10,000 bad customers costs no more than a valid body of its size, and the 422
still says how many problems there are. tests/service/test_reject.py proves that the counts and the
explanations are exactly the schema's.
"""

from __future__ import annotations

import logging
from typing import Any

from runtime import contract as c
from service.fast import fastpath
from service.http.errors import InvalidInput
from service.http.schemas import (
    MAX_BATCH,
    BatchRequestSchema,
    CustomerSchema,
    detail,
    flatten_errors,
    summarize,
)

logger = logging.getLogger(__name__)

MAX_ERRORS = 10  # problems explained per 422; the message counts all of them
Details = list[dict[str, Any]]
_CUSTOMER, _BATCH = CustomerSchema(), BatchRequestSchema()
_NAMES = c.INPUT_NAMES  # the schema's fields, in its order
_CUSTOMERS = "customers"
UNKNOWN_FIELD = "Unknown field."


def field_ok(name: str, value: Any) -> bool:
    """Whether the schema accepts this value for a customer field (the fast path's rule, one field)."""
    if name == c.GENDER:
        return type(value) is str and c.normalise_gender(value) is not None
    kind = type(value)
    if kind is not float and kind is not int:  # bool, str, None, containers
        return False
    low, high = c.DOMAIN[name]  # NaN and infinities fail a bound; ints compare exactly
    return (low < value <= high) if name in c.EXCLUSIVE_MIN else (low <= value <= high)


def customer_problems(item: Any) -> int:
    """How many problems the schema reports for one customer: 0 exactly when it is valid."""
    if type(item) is not dict:
        return 1
    present = 0
    problems = 0
    for name in _NAMES:
        if name in item:
            present += 1
            if not field_ok(name, item[name]):
                problems += 1
        else:  # required
            problems += 1
    return problems + len(item) - present  # every other key is unknown


def customer_details(item: Any, room: int, prefix: str = "", index: int | None = None) -> Details:
    """At most `room` problems of one customer: unknown keys first (in body order), then its fields."""
    if type(item) is not dict:
        if item is None and prefix:  # a null customer in a batch, as marshmallow says it
            return [detail(prefix, index, "Field may not be null.")]
        what = prefix or "The body"
        return [detail(prefix or "(body)", index, f"{what} must be a JSON object.")]
    details: Details = []
    if len(item) > sum(name in item for name in _NAMES):
        for key in item:
            if key not in _NAMES:
                field = f"{prefix}.{key[:64]}" if prefix else key[:64] or "(body)"  # as flatten_errors
                details.append(detail(field, index, UNKNOWN_FIELD))
                if len(details) >= room:
                    return details
    known = {name: item[name] for name in _NAMES if name in item}
    details += flatten_errors(_CUSTOMER.validate(known), prefix, index)
    return details[:room]


def customer_error(body: Any) -> InvalidInput:
    """The 422 for a refused /predict body."""
    return refusal(customer_details(body, MAX_ERRORS), customer_problems(body))


def batch_error(body: Any) -> InvalidInput:
    """The 422 for a refused /predict/batch body: unknown keys, then `customers`, then each customer."""
    if type(body) is not dict:
        return refusal(customer_details(body, MAX_ERRORS), 1)
    details: Details = []
    unknown = len(body) - (_CUSTOMERS in body)
    if unknown:
        for key in body:
            if key != _CUSTOMERS:
                details.append(detail(key[:64] or "(body)", None, UNKNOWN_FIELD))
                if len(details) >= MAX_ERRORS:
                    break
    customers = body.get(_CUSTOMERS)
    if type(customers) is list and len(customers) > MAX_BATCH:  # refused before any customer is read
        details.append(detail(_CUSTOMERS, None, f"Must hold 1 to {MAX_BATCH} customers."))
        return refusal(details[:MAX_ERRORS], unknown + 1)
    if type(customers) is not list or not customers:  # missing, null, not a list, empty: the schema says
        shell = {_CUSTOMERS: customers} if _CUSTOMERS in body else {}
        details += flatten_errors(_BATCH.validate(shell))
        return refusal(details[:MAX_ERRORS], unknown + 1)
    problems = unknown
    valid = fastpath.customer
    for index, item in enumerate(customers):
        if valid(item) is not None:
            continue
        count = customer_problems(item)
        room = MAX_ERRORS - len(details)
        if room > 0:
            details += customer_details(item, room, f"{_CUSTOMERS}[{index}]", index)
        problems += count
    return refusal(details, problems)


def refusal(details: Details, total: int) -> InvalidInput:
    """One InvalidInput: the explained problems, and a message that counts them all."""
    return InvalidInput(summarize(details, total), details)
