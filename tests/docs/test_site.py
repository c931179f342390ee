"""The documentation site: offline configuration, every page in the navigation, the rendered API reference.

`make docs-build` (part of `make test`) runs `mkdocs build --strict`, which fails on a broken link or a page
missing from the navigation; these tests check what the build cannot: that nothing is fetched from the
network and that the OpenAPI hook renders every operation and schema the service documents.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
HOOK = DOCS / "hooks" / "openapi.py"


def load_config() -> dict[str, Any]:
    """mkdocs.yml as data."""
    config: dict[str, Any] = yaml.safe_load((REPO / "mkdocs.yml").read_text())
    return config


def nav_pages(nav: Any) -> set[str]:
    """Every page file named in the navigation, at any depth."""
    if isinstance(nav, str):
        return {nav}
    if isinstance(nav, list):
        return set().union(*(nav_pages(item) for item in nav))
    if isinstance(nav, dict):
        return set().union(*(nav_pages(value) for value in nav.values()))
    return set()


@pytest.fixture(scope="module")
def hook() -> ModuleType:
    """docs/hooks/openapi.py, imported from its path as MkDocs does."""
    spec = importlib.util.spec_from_file_location("docs_openapi_hook", HOOK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_site_needs_nothing_from_the_network() -> None:
    config = load_config()
    assert config["theme"]["name"] == "material"
    assert config["theme"]["font"] is False  # no Google Fonts
    plugins = [p if isinstance(p, str) else next(iter(p)) for p in config.get("plugins", [])]
    assert "social" not in plugins and not any(p.startswith("material/social") for p in plugins)
    assert "repo_url" not in config  # the header would call the GitHub API


def test_every_page_is_in_the_navigation_and_every_nav_entry_exists() -> None:
    pages = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    listed = nav_pages(load_config()["nav"])
    assert sorted(pages - listed) == []
    assert sorted(listed - pages) == []


def test_the_reference_renders_every_operation_and_schema(hook: ModuleType) -> None:
    spec = hook.load_spec()
    markdown = hook.render(spec)
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert f"### `{method.upper()} {path}` {{#{operation['operationId'].lower()}}}" in markdown
    for name in spec["components"]["schemas"]:
        assert f"### {name} {{#schema-{name.lower()}}}" in markdown
    assert "[Customer](#schema-customer)" in markdown  # a request body links to its schema


def test_field_rows_read_the_validation_keywords(hook: ModuleType) -> None:
    schema = {
        "type": "object",
        "required": ["age"],
        "properties": {
            "age": {"type": "number", "minimum": 0.0, "exclusiveMinimum": True, "maximum": 120.0},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3, "description": "a | b"},
        },
    }
    assert hook.field_rows(schema) == [
        "| `age` | number | yes | > 0, <= 120 |  |",
        "| `tags` | array of string | no | at most 3 items | a \\| b |",
    ]


def test_the_reference_page_keeps_its_marker(hook: ModuleType) -> None:
    assert hook.MARKER in (DOCS / hook.PAGE).read_text()
