"""Property-based run against the service's own /openapi.json: no 5xx, every response matches the spec.

Drives schemathesis' Hypothesis strategies directly (its pytest plugin's `from_fixture` relies on a
pytest private attribute that pytest 9 removed).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from runtime.predictor import Predictor
from service.http.app import create_app
from service.process.settings import Settings
from tests.service.conftest import COMMITTED_MODEL

MIN_REQUESTS = 500
BODY_OPERATIONS = [("POST", "/predict"), ("POST", "/predict/batch")]
GET_OPERATIONS = ["/health", "/ready", "/model", "/metrics", "/openapi.json", "/docs"]
calls: list[str] = []
finished: set[str] = set()


@pytest.fixture(scope="module")
def api_app(settings: Settings, predictor: Predictor) -> Flask:
    """One app for the whole property-based run; counts the requests it serves.

    The body limit (413, a transport limit) is raised above what the generator can send: a batch of
    10,001 customers whose genders carry the whitespace the pattern allows must reach validation."""
    app = create_app(replace(settings, max_body_bytes=64 * 1024 * 1024), predictor)

    @app.before_request
    def count() -> None:
        calls.append("request")

    return app


@pytest.fixture(scope="module")
def api_schema(api_app: Flask) -> schemathesis.BaseSchema:
    """The schema as the app serves it."""
    return schemathesis.openapi.from_wsgi("/openapi.json", api_app)


def run_operation(
    api_schema: schemathesis.BaseSchema,
    method: str,
    path: str,
    mode: GenerationMode,
    n: int,
    excluded: list[Any] | None = None,
) -> None:
    """Generate `n` cases for one operation and validate every response against the spec."""
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(excluded_checks=excluded)

    check()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize(("method", "path"), BODY_OPERATIONS)
def test_body_operations_never_fail_and_match_the_spec(
    api_schema: schemathesis.BaseSchema, method: str, path: str, mode: GenerationMode
) -> None:
    before = len(calls)
    run_operation(api_schema, method, path, mode, 150)
    assert len(calls) - before >= 100
    finished.add(f"{method} {path} {mode.value}")


@pytest.mark.parametrize("path", GET_OPERATIONS)
def test_get_operations_match_the_spec(api_schema: schemathesis.BaseSchema, path: str) -> None:
    run_operation(api_schema, "GET", path, GenerationMode.POSITIVE, 5)


def test_at_least_500_generated_requests_in_total() -> None:
    if len(finished) < 2 * len(BODY_OPERATIONS):
        pytest.skip("needs the whole module's property-based run")
    assert len(calls) >= MIN_REQUESTS, f"only {len(calls)} generated requests (run the whole module)"


@pytest.fixture(scope="module")
def feedback_schema(tmp_path_factory: pytest.TempPathFactory) -> schemathesis.BaseSchema:
    """The document of an app with drift monitoring on (the committed model has a reference profile)."""
    committed = Predictor.from_path(COMMITTED_MODEL)
    db = tmp_path_factory.mktemp("feedback") / "monitoring.sqlite3"
    app = create_app(Settings(model_path=COMMITTED_MODEL, monitor_db=str(db)), committed)
    return schemathesis.openapi.from_wsgi("/openapi.json", app)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_feedback_never_fails_and_matches_the_spec(
    feedback_schema: schemathesis.BaseSchema, mode: GenerationMode
) -> None:
    # a well-formed but made-up token is refused (400: its signature fails), so schema-valid bodies are
    # not expected to be accepted; everything else (no 5xx, statuses and shapes as documented) is checked
    run_operation(feedback_schema, "POST", "/feedback", mode, 100, excluded=[positive_data_acceptance])
