"""``/docs`` in a real browser that may reach only this server: the Swagger UI comes from the package."""
# ruff: noqa: F811  (the fixtures are imported from ui_browser and named as test parameters)

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
from ui_browser import browser, needs_browser  # noqa: F401

from conftest import ServerProcess

pytestmark = needs_browser


def test_docs_render_the_operations_with_no_other_host(browser: Any, server: ServerProcess) -> None:
    context = browser.new_context(base_url=server.url)
    context.set_default_timeout(15000)
    elsewhere: list[str] = []
    ours = urlsplit(server.url).netloc

    def only_this_server(route: Any) -> None:
        if urlsplit(route.request.url).netloc == ours:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto("/docs")
        # Swagger UI renders one block per operation once it has read /openapi.json.
        page.locator(".opblock").first.wait_for()
        assert page.locator(".opblock").count() > 50
        assert page.locator('.opblock-summary-path[data-path="/api/workflow/{workflow_id}/status"]').count() > 0
    finally:
        context.close()
    assert elsewhere == [], "the docs page asked another host"
    assert errors == []


def test_only_the_page_assets_are_served(server: ServerProcess) -> None:
    page = httpx.get(server.url + "/docs").text
    assert "/docs/assets/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    js = httpx.get(server.url + "/docs/assets/swagger-ui-bundle.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert httpx.get(server.url + "/docs/assets/swagger-ui.css").headers["content-type"].startswith("text/css")
    for other in ("index.html", "swagger-initializer.js", "..%2F__init__.py", "nope.js"):
        assert httpx.get(server.url + "/docs/assets/" + other).status_code == 404, other
    assert httpx.get(server.url + "/redoc").status_code == 404
