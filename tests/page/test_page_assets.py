"""The page and its assets as HTTP resources: weight, content types, caching, and nothing from elsewhere."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from service.http.app import create_app
from service.http.page_routes import PAGE_DIR
from service.process.settings import Settings
from tests.page.conftest import COMMITTED_MODEL

MAX_PAGE_BYTES = 300 * 1024
ASSET_URL = re.compile(r'(?:href|src)="(page/[^"]+)"')


def asset_urls(client: FlaskClient) -> list[str]:
    """The asset URLs the page refers to."""
    return ["/" + url for url in ASSET_URL.findall(client.get("/").get_data(as_text=True))]


def test_the_page_and_everything_it_loads_weigh_under_300_kb(client: FlaskClient) -> None:
    urls = asset_urls(client)
    served = {url.partition("?")[0].removeprefix("/page/") for url in urls}
    assert served == {p.name for p in PAGE_DIR.iterdir() if p.suffix in (".css", ".js")}  # all of them, once
    total = len(client.get("/").data) + sum(len(client.get(url).data) for url in urls)
    assert 10_000 < total < MAX_PAGE_BYTES
    on_disk = sum(path.stat().st_size for path in PAGE_DIR.iterdir() if path.is_file())
    assert on_disk < MAX_PAGE_BYTES


def test_the_page_is_html_revalidated_on_every_visit(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get("/", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""


@pytest.mark.parametrize(("suffix", "content_type"), [(".js", "text/javascript"), (".css", "text/css")])
def test_assets_have_their_type_and_are_cached_for_a_year(
    client: FlaskClient, suffix: str, content_type: str
) -> None:
    urls = [u for u in asset_urls(client) if u.partition("?")[0].endswith(suffix)]
    assert urls
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        assert response.content_type == f"{content_type}; charset=utf-8"
        assert "immutable" in response.headers["Cache-Control"]
        assert url.endswith("?v=" + response.headers["ETag"].strip('"'))  # a new version gets a new URL
        assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_the_policy_forbids_loading_or_sending_anything_elsewhere(client: FlaskClient) -> None:
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "connect-src 'self'" in policy
    assert "script-src 'self'" in policy


def test_the_page_refers_to_no_other_origin(client: FlaskClient) -> None:
    texts = [client.get("/").get_data(as_text=True)] + [
        client.get(url).get_data(as_text=True) for url in asset_urls(client)
    ]
    for text in texts:
        urls = re.findall(r"https?://[^\s\"')]+", text)
        assert set(urls) <= {"http://www.w3.org/2000/svg"}  # the SVG namespace is a name, not a fetch


def test_an_unknown_asset_is_a_json_404(client: FlaskClient) -> None:
    response = client.get("/page/secret.py")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_vendored_code_is_declared() -> None:
    notes = (PAGE_DIR / "VENDORED.md").read_text()
    assert "Nothing is vendored" in notes


def test_the_page_is_served_before_the_model_is_ready() -> None:
    unready = create_app(Settings(model_path=COMMITTED_MODEL), None).test_client()
    assert unready.get("/").status_code == 200  # the page then says the model is not available
    assert unready.get("/model").status_code == 503
