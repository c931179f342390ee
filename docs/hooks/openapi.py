"""MkDocs hook: the service's OpenAPI document, rendered at build time.

The document comes from the service itself (`service.http.app.create_app`, no model loaded, monitoring off:
the same route table and schemas as a running service's `/openapi.json`). `docs/api/reference.md` gets it as
Markdown tables per operation in place of its `<!-- openapi -->` marker, and the raw JSON is added to the
site as `api/openapi.json`. Nothing is fetched from the network.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PAGE = "api/reference.md"
MARKER = "<!-- openapi -->"
JSON_FILE = "api/openapi.json"
JSON = "application/json"
API_KEYS_PAGE = "../operations/api-keys.md"
SECTIONS = (  # (title, path prefixes), first match wins
    ("Predictions", ("/predict",)),
    ("Feedback and monitoring", ("/feedback", "/monitoring")),
    ("Model, health and metrics", ("/health", "/ready", "/model", "/metrics")),
    ("Open Inference Protocol (V2)", ("/v2",)),
    ("The page and these documents", ("/",)),
)
RULES = (  # (keyword, how it reads)
    ("minimum", ">= {}"),
    ("maximum", "<= {}"),
    ("minItems", "at least {} item(s)"),
    ("maxItems", "at most {} items"),
    ("minLength", "at least {} characters"),
    ("maxLength", "at most {} characters"),
    ("pattern", "matches `{}`"),
)
Spec = dict[str, Any]


def load_spec() -> Spec:
    """The OpenAPI document the service serves, built from its route table without a model."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from service.http.app import create_app
    from service.process.settings import Settings

    settings = Settings(model_path=REPO / "models" / "purchase_model.onnx", monitor=False)
    response = create_app(settings, None).test_client().get("/openapi.json")
    if response.status_code != 200:
        raise RuntimeError(f"/openapi.json answered {response.status_code}")
    spec: Spec = json.loads(response.data)
    return spec


def _cell(text: object) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def paragraphs(text: str) -> str:
    """Docstring-style text as Markdown: a blank line before a list and after its last item."""
    out: list[str] = []
    in_list = False
    for line in text.splitlines():
        item = line.startswith("- ")
        starts = item and not in_list and bool(out) and bool(out[-1].strip())
        ends = not item and in_list and bool(line.strip()) and not line.startswith(" ")
        if starts or ends:
            out.append("")
        in_list = item or (in_list and line.startswith(" "))
        out.append(line)
    return "\n".join(out)


def _number(value: float) -> str:
    """1000000.0 as 1000000, 0.5 as 0.5."""
    return str(int(value)) if float(value).is_integer() else str(value)


def _schema_link(ref: str) -> str:
    """A link to a component schema's section on this page."""
    name = ref.rsplit("/", 1)[-1]
    return f"[{name}](#schema-{name.lower()})"


def type_of(schema: Spec) -> str:
    """A short type: `string`, `array of Customer`, `"Yes" or "No"`, a link for a component."""
    if "$ref" in schema:
        return _schema_link(schema["$ref"])
    if "enum" in schema:
        return " or ".join(f"`{json.dumps(value)}`" for value in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "object" and schema.get("properties"):
        return "object with " + ", ".join(f"`{name}`" for name in schema["properties"])
    if kind == "array":
        return f"array of {type_of(schema.get('items', {}))}"
    return f"{kind} ({schema['format']})" if "format" in schema else str(kind)


def rules_of(schema: Spec) -> str:
    """The validation keywords of a schema, in words."""
    rules = []
    for keyword, text in RULES:
        if keyword in schema:
            value = schema[keyword]
            rules.append(text.format(_number(value) if isinstance(value, float) else value))
    if schema.get("exclusiveMinimum") is True and "minimum" in schema:
        rules[0] = f"> {_number(schema['minimum'])}"
    if schema.get("nullable"):
        rules.append("may be null")
    if schema.get("additionalProperties") is False:
        rules.append("no other fields")
    return ", ".join(rules)


def field_rows(schema: Spec, prefix: str = "") -> list[str]:
    """One table row per field of an object schema, nested objects and arrays of objects flattened."""
    rows = []
    required = set(schema.get("required", ()))
    for name, field in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        example = f" Example: `{json.dumps(field['example'])}`." if "example" in field else ""
        rows.append(
            f"| `{path}` | {type_of(field)} | {'yes' if name in required else 'no'} | "
            f"{_cell(rules_of(field))} | {_cell(field.get('description', ''))}{example} |"
        )
        items = field.get("items", {})
        if field.get("type") == "object" and "properties" in field:
            rows += field_rows(field, f"{path}.")
        elif field.get("type") == "array" and "properties" in items:
            rows += field_rows(items, f"{path}[].")
    return rows


def schema_table(schema: Spec) -> str:
    """A schema as Markdown: a link for a component, a field table for an inline object."""
    if "$ref" in schema:
        return f"Schema: {_schema_link(schema['$ref'])}.\n"
    if "oneOf" in schema:
        forms = [f"*Form {i}*\n\n{schema_table(form)}" for i, form in enumerate(schema["oneOf"], 1)]
        return "One of these forms:\n\n" + "\n".join(forms)
    rows = field_rows(schema)
    if not rows:
        description = f" {schema['description']}" if "description" in schema else ""
        return f"Schema: {type_of(schema)}.{description}\n"
    head = "| field | type | required | rules | description |\n| --- | --- | --- | --- | --- |\n"
    return head + "\n".join(rows) + "\n"


def _security(operation: Spec) -> str:
    """Which API key an operation takes (enforced only when keys are configured)."""
    names = [name for requirement in operation.get("security", []) for name in requirement]
    if not names:
        return "API key: none, always open.\n"
    return (
        f"API key: `{names[0]}` (`Authorization: Bearer <key>`), needed only when API keys are configured "
        f"([API keys]({API_KEYS_PAGE})).\n"
    )


def _responses(operation: Spec) -> str:
    """The answers of an operation: status, meaning, body."""
    lines = ["| status | meaning | body (JSON unless told) |", "| --- | --- | --- |"]
    for status, answer in sorted(operation["responses"].items()):
        bodies = [  # JSON unless told
            type_of(content.get("schema", {}))
            if media == JSON
            else f"`{media}`: {type_of(content.get('schema', {}))}"
            for media, content in answer.get("content", {}).items()
        ]
        lines.append(f"| {status} | {_cell(answer['description'])} | {'; '.join(bodies)} |")
    return "\n".join(lines) + "\n"


def render_operation(method: str, path: str, operation: Spec) -> str:
    """One operation: heading, summary, key, parameters, request body, responses (and inline bodies)."""
    anchor = operation["operationId"].lower()
    parts = [f"### `{method.upper()} {path}` {{#{anchor}}}", "", operation["summary"]]
    parts += ["", _security(operation)]
    parameters = operation.get("parameters", [])
    in_path = [p for p in parameters if p["in"] == "path"]
    if in_path:
        parts.append(
            "Path parameters: " + ", ".join(f"`{p['name']}` ({p['schema']['type']})" for p in in_path) + ".\n"
        )
    for p in (p for p in parameters if p["in"] == "query"):
        kind = p["schema"]["type"] + ("" if p.get("required") else ", optional")
        parts.append(f"Query parameter `{p['name']}` ({kind}): {p.get('description', '')}\n")
    body = operation.get("requestBody")
    if body:
        for media, content in body["content"].items():
            parts += [f"**Request body** (`{media}`, required):", "", schema_table(content["schema"])]
    parts += ["**Responses**", "", _responses(operation)]
    for status, answer in sorted(operation["responses"].items()):
        for media, content in answer.get("content", {}).items():
            schema = content.get("schema", {})
            if status.startswith("2") and "properties" in schema:
                parts += [f"**{status} body** (`{media}`):", "", schema_table(schema)]
    return "\n".join(parts)


def _section(path: str) -> int:
    """The index in SECTIONS of the section a path belongs to."""
    return next(i for i, (_, prefixes) in enumerate(SECTIONS) if path.startswith(prefixes))


def render(spec: Spec) -> str:
    """The whole document as Markdown: description, headers, key schemes, operations by section, schemas."""
    schemes = spec.get("components", {}).get("securitySchemes", {})
    parts = [
        f"Document `{spec['info']['title']}` version {spec['info']['version']} (OpenAPI {spec['openapi']}); "
        "download it as [openapi.json](openapi.json).",
        "",
        "## Rules",
        "",
        paragraphs(spec["info"].get("description", "")),
        "",
        "Every response carries these headers:",
        "",
    ]
    operations = [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]
    first = operations[0][2]["responses"]["200"].get("headers", {})
    parts += [f"- `{name}`: {header['description']}" for name, header in first.items()]
    parts += ["", "## API keys", ""]
    parts += [f"- `{name}`: {scheme.get('description', '')}" for name, scheme in schemes.items()]
    for index, (title, _) in enumerate(SECTIONS):
        chosen = sorted((o for o in operations if _section(o[0]) == index), key=lambda o: (o[0], o[1]))
        if chosen:
            parts += ["", f"## {title}", ""]
            parts += [render_operation(method, path, op) for path, method, op in chosen]
    parts += ["", "## Schemas", ""]
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        parts += [f"### {name} {{#schema-{name.lower()}}}", "", schema_table(schema)]
    return "\n".join(parts) + "\n"


# --- MkDocs events ------------------------------------------------------------------------------------
_SPEC: Spec = {}


def on_config(config: Any) -> Any:
    """Build the document once per build."""
    _SPEC.clear()
    _SPEC.update(load_spec())
    return config


def on_files(files: Any, config: Any) -> Any:
    """Add the raw document to the site as api/openapi.json."""
    from mkdocs.structure.files import File

    files.append(File.generated(config, JSON_FILE, content=json.dumps(_SPEC, indent=2) + "\n"))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Put the rendered document in place of the marker on the API reference page."""
    if page.file.src_uri != PAGE:
        return markdown
    if MARKER not in markdown:
        raise RuntimeError(f"{PAGE} lost its {MARKER} marker")
    return markdown.replace(MARKER, render(_SPEC))
