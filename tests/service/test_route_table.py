"""One route table: every Flask rule carries OpenAPI metadata and appears in /openapi.json, nothing else."""

from __future__ import annotations

import json

import pytest
from flask import Flask, Response
from marshmallow import Schema, fields

from runtime.predictor import Predictor
from service.http import api, openapi
from service.http.app import create_app
from service.http.openapi import API_VERSION
from service.process.settings import Settings


class ThingSchema(Schema):
    """A made-up answer."""

    name = fields.String(required=True)


def served_operations(app: Flask) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every rule Flask serves (HEAD/OPTIONS and static aside)."""
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path, _ = api.openapi_path(rule.rule)
        out |= {(m.lower(), path) for m in (rule.methods or set()) - {"HEAD", "OPTIONS"}}
    return out


def documented_operations(document: dict[str, object]) -> set[tuple[str, str]]:
    """(method, path) of every operation in an OpenAPI document."""
    paths = document["paths"]
    assert isinstance(paths, dict)
    return {(method, path) for path, ops in paths.items() for method in ops}


def test_every_route_of_the_app_carries_metadata_and_is_documented(
    settings: Settings, predictor: Predictor
) -> None:
    app = create_app(settings, predictor)
    assert api.undocumented(app) == [], "decorate these views with service.http.api.operation(...)"
    document = json.loads(app.test_client().get("/openapi.json").get_data())
    assert documented_operations(document) == served_operations(app)
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids)), "operationIds must be unique"


def test_a_route_without_metadata_is_named_and_still_documented(
    settings: Settings, predictor: Predictor, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings, predictor)

    @app.get("/extra/<int:item>")
    def extra(item: int) -> Response:
        """An extra route someone forgot to document."""
        return Response(str(item))

    assert api.undocumented(app) == ["GET /extra/{item}"]
    document = openapi.build_spec(app, API_VERSION, settings.max_body_bytes)
    operation = document["paths"]["/extra/{item}"]["get"]
    assert operation["summary"] == "An extra route someone forgot to document."
    assert operation["parameters"] == [
        {"name": "item", "in": "path", "required": True, "schema": {"type": "integer"}}
    ]
    assert "route without OpenAPI metadata: GET /extra/{item}" in caplog.text


def test_a_decorated_route_is_documented_from_its_metadata_alone(
    settings: Settings, predictor: Predictor
) -> None:
    app = create_app(settings, predictor)

    @app.route("/things/<name>", methods=["GET", "PUT"])
    @api.operation("thing", "One thing.", "The thing.", ThingSchema, body=ThingSchema, errors=(422, 409))
    def thing(name: str) -> Response:
        """Not the summary: the metadata wins."""
        return Response(name)

    assert api.undocumented(app) == []
    document = openapi.build_spec(app, API_VERSION, settings.max_body_bytes)
    for method in ("get", "put"):
        operation = document["paths"]["/things/{name}"][method]
        assert operation["summary"] == "One thing."
        assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Thing"
        }
        assert {"200", "404", "405", "409", "422", "500"} == set(operation["responses"])
        assert operation["parameters"][0]["schema"] == {"type": "string"}
    assert document["components"]["schemas"]["Thing"]["required"] == ["name"]
