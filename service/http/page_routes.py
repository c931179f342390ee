"""The web page at `GET /` and its static assets under `/page/`, read once when the app is built.

Assets are addressed with a content hash in the query (`/page/app.js?v=<hash>`), so they are cached for a
year; the page itself is revalidated on every visit with its ETag. Everything is same-origin: the
Content-Security-Policy forbids loading or sending anything elsewhere.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from flask import Response, request

from service.http.api import ErrorHandler, Rule, operation
from service.http.errors import NotFound

logger = logging.getLogger(__name__)

PAGE_DIR = Path(__file__).resolve().parent / "page"
INDEX = "index.html"
ASSET_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
ASSET_CACHE = "public, max-age=31536000, immutable"
PAGE_CACHE = "no-cache"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class Asset:
    """One file as served: its bytes, content type, strong ETag and cache policy."""

    body: bytes
    content_type: str
    etag: str
    cache_control: str


def _etag(body: bytes) -> str:
    """A strong ETag from the content."""
    return hashlib.sha256(body).hexdigest()[:16]


def load_assets(folder: Path = PAGE_DIR) -> tuple[Asset, dict[str, Asset]]:
    """Read the page and its assets; the page's `{{name}}` placeholders become hashed asset URLs."""
    assets: dict[str, Asset] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix in ASSET_TYPES:
            body = path.read_bytes()
            assets[path.name] = Asset(body, ASSET_TYPES[path.suffix], _etag(body), ASSET_CACHE)
    html = (folder / INDEX).read_text(encoding="utf-8")
    for name, asset in assets.items():
        html = html.replace("{{" + name + "}}", f"page/{name}?v={asset.etag}")
    body = html.encode()
    page = Asset(body, "text/html; charset=utf-8", _etag(body), PAGE_CACHE)
    return page, assets


def _send(asset: Asset) -> Response:
    """Answer 200 with the asset, or 304 when the browser already holds this version."""
    headers = {
        "ETag": f'"{asset.etag}"',
        "Cache-Control": asset.cache_control,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": CSP,
        "Referrer-Policy": "no-referrer",
    }
    if request.if_none_match.contains(asset.etag):
        return Response(status=304, headers=headers)
    return Response(asset.body, content_type=asset.content_type, headers=headers)


class PageViews:
    """The page at `/` and its assets at `/page/<name>`, read once when the views are built."""

    def __init__(self) -> None:
        self.page, self.assets = load_assets()
        logger.debug("web page: %d bytes plus %d assets", len(self.page.body), len(self.assets))

    def rules(self) -> tuple[Rule, ...]:
        """The URL rules, in the order the OpenAPI document lists them."""
        return (Rule("/", "GET", self.index), Rule("/page/<name>", "GET", self.page_asset))

    def error_handlers(self) -> tuple[ErrorHandler, ...]:
        """None of its own."""
        return ()

    @operation(
        "page",
        "The web page: try a customer, the map, the model, monitoring.",
        "HTML page.",
        content_type="text/html",
    )
    def index(self) -> Response:
        """The page for the people who use the predictions."""
        return _send(self.page)

    @operation(
        "pageAsset",
        "A script or stylesheet of the web page (content-hashed URL).",
        "The asset.",
        content_type="text/plain",
    )
    def page_asset(self, name: str) -> Response:
        """A script or stylesheet of the page."""
        asset = self.assets.get(name)
        if asset is None:
            raise NotFound("No such page asset; the page is at '/', the API at /openapi.json.")
        return _send(asset)
