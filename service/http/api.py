"""The route table's documentation half: OpenAPI metadata attached to each Flask view.

Flask's URL map is the one route table. Each view carries an `Operation` (set with `@operation(...)`),
and service.http.openapi walks `app.url_map` to build the document, so a route module documents a route by
decorating its view and nothing else. A rule whose view has no metadata still appears in the document
(summary from its docstring), and `undocumented(app)` names it: tests/service/test_route_table.py fails
on any.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from flask import Flask
from marshmallow import Schema

logger = logging.getLogger(__name__)

ATTRIBUTE = "__openapi_operation__"
JSON = "application/json"
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
IGNORED_ENDPOINTS = frozenset({"static"})
# An OpenAPI schema: a marshmallow Schema class (documented as a component) or an inline JSON schema.
SchemaRef = type[Schema] | dict[str, Any]
View = TypeVar("View", bound=Callable[..., Any])
_CONVERTER = re.compile(r"<(?:(?P<converter>[a-zA-Z_]+)(?:\([^>]*\))?:)?(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>")
_PARAMETER_TYPES = {"int": "integer", "float": "number"}


@dataclass(frozen=True)
class Operation:
    """What the document says about one view: ids, the success answer, the body and the errors."""

    operation_id: str
    summary: str
    description: str  # of the success answer
    schema: SchemaRef | None = None  # of a JSON success answer
    content_type: str = JSON
    body: SchemaRef | None = None  # a required JSON request body
    errors: tuple[int, ...] = ()  # statuses beyond the ones every route can answer
    status: int = 200
    error_schema: SchemaRef | None = None  # of the error answers (None: the service's Error schema)
    query: tuple[dict[str, Any], ...] = ()  # OpenAPI parameter objects of the query parameters


def operation(
    operation_id: str,
    summary: str,
    description: str,
    schema: SchemaRef | None = None,
    *,
    content_type: str = JSON,
    body: SchemaRef | None = None,
    errors: tuple[int, ...] = (),
    status: int = 200,
    error_schema: SchemaRef | None = None,
    query: tuple[dict[str, Any], ...] = (),
) -> Callable[[View], View]:
    """Attach OpenAPI metadata to a view; apply it below (or above) the Flask route decorator."""
    meta = Operation(
        operation_id, summary, description, schema, content_type, body, errors, status, error_schema, query
    )

    def attach(view: View) -> View:
        setattr(view, ATTRIBUTE, meta)
        return view

    return attach


@dataclass(frozen=True)
class Route:
    """One documented (path, method): the OpenAPI path, its parameters and the view's metadata."""

    path: str
    method: str
    parameters: tuple[tuple[str, str], ...]  # (name, JSON type) of each path parameter
    operation: Operation | None
    endpoint: str
    doc: str


def openapi_path(rule: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A Flask rule as an OpenAPI path (`/a/<int:id>` -> `/a/{id}`) and its parameters' types."""
    parameters: list[tuple[str, str]] = []

    def replace(match: re.Match[str]) -> str:
        parameters.append((match["name"], _PARAMETER_TYPES.get(match["converter"] or "", "string")))
        return "{" + match["name"] + "}"

    return _CONVERTER.sub(replace, rule), tuple(parameters)


def routes(app: Flask) -> Iterator[Route]:
    """Every (path, method) the app serves, in rule order, with its view's metadata (None if missing)."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in IGNORED_ENDPOINTS:
            continue
        view = app.view_functions[rule.endpoint]
        meta = getattr(view, ATTRIBUTE, None)
        path, parameters = openapi_path(rule.rule)
        doc = (view.__doc__ or rule.endpoint).strip().splitlines()[0]
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            yield Route(path, method.lower(), parameters, meta, rule.endpoint, doc)


def undocumented(app: Flask) -> list[str]:
    """'METHOD /path' of every route whose view carries no `@operation` metadata."""
    return [f"{r.method.upper()} {r.path}" for r in routes(app) if r.operation is None]


@dataclass(frozen=True)
class Rule:
    """One URL rule of a views class: the path, its one method and the view (a bound method)."""

    path: str
    method: str
    view: Callable[..., Any]


ErrorHandler = tuple[type[Exception], Callable[..., Any]]


class Views(Protocol):
    """A group of views built from the complete state: its URL rules and its own error handlers."""

    def rules(self) -> tuple[Rule, ...]:
        """The URL rules, in route-table order."""
        ...

    def error_handlers(self) -> tuple[ErrorHandler, ...]:
        """(exception class, handler) pairs this group answers for."""
        ...


def add_views(app: Flask, views: Views) -> None:
    """Register a group's rules with `add_url_rule` (the endpoint is the view's name), then its handlers."""
    for rule in views.rules():
        app.add_url_rule(rule.path, view_func=rule.view, methods=[rule.method])
    for kind, handler in views.error_handlers():
        app.register_error_handler(kind, handler)
