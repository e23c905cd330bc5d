"""The UI's server side: the shell on every page path, versioned assets, and nothing shadowed."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from conftest import ServerProcess
from podium.ui.pages import PAGE_PATHS, load_assets

PAGES = [
    "/",
    "/execution/abc-123",
    "/workflows",
    "/workflows/order",
    "/taskdefs",
    "/taskdefs/t1",
    "/queues",
    "/eventhandlers",
    "/eventhandlers/h1",
    "/tasks",
    "/schedules",
    "/schedules/nightly",
    "/secrets",
    "/environment",
]


def test_every_page_path_is_listed() -> None:
    assert len(PAGE_PATHS) == len(PAGES)


@pytest.mark.parametrize("path", PAGES)
def test_pages_serve_the_shell(server: ServerProcess, path: str) -> None:
    r = httpx.get(server.url + path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-cache"
    assert re.search(r'<script type="module" src="/ui/static/[0-9a-f]{16}/app\.js">', r.text)
    assert "{{static}}" not in r.text


def test_assets_are_versioned_and_cached(server: ServerProcess) -> None:
    shell = httpx.get(server.url + "/").text
    match = re.search(r"/ui/static/([0-9a-f]{16})/style\.css", shell)
    assert match
    digest = match.group(1)
    for name, kind in [
        ("app.js", "text/javascript"),
        ("style.css", "text/css"),
        ("favicon.svg", "image/svg+xml"),
        ("graph.js", "text/javascript"),
    ]:
        r = httpx.get(f"{server.url}/ui/static/{digest}/{name}")
        assert r.status_code == 200, name
        assert r.headers["content-type"].startswith(kind)
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    stale = httpx.get(f"{server.url}/ui/static/0000000000000000/app.js")
    assert stale.status_code == 200
    assert stale.headers["cache-control"] == "no-cache"
    assert httpx.get(f"{server.url}/ui/static/{digest}/nope.js").status_code == 404
    assert httpx.get(f"{server.url}/ui/static/{digest}/index.html").status_code == 404


def test_api_and_service_paths_are_not_shadowed(server: ServerProcess) -> None:
    assert httpx.get(server.url + "/health").json()["healthy"] is True
    assert httpx.get(server.url + "/openapi.json").json()["info"]["title"] == "Podium"
    assert "swagger" in httpx.get(server.url + "/docs").text.lower()
    assert httpx.get(server.url + "/metrics").headers["content-type"].startswith("text/plain")
    r = httpx.get(server.url + "/api/workflow/search", params={"size": 0})
    assert r.status_code == 200 and "totalHits" in r.json()
    missing = httpx.get(server.url + "/api/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/json")
    paths = httpx.get(server.url + "/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/ui") or p in PAGE_PATHS], "UI routes stay out of the API schema"


HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.mark.parametrize("path", ["/no/such/page", "/workflow", "/executions/x/y"])
def test_unknown_pages_get_the_ui_not_found_page(server: ServerProcess, path: str) -> None:
    """A browser gets the shell with a 404 (the UI draws its own not-found page)."""
    r = httpx.get(server.url + path, headers=HTML)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert re.search(r'<script type="module" src="/ui/static/[0-9a-f]{16}/app\.js">', r.text)


@pytest.mark.parametrize(
    ("method", "path", "accept"),
    [
        ("GET", "/api/no/such/thing", HTML["Accept"]),  # API paths keep JSON, even for a browser
        ("GET", "/health/nope", HTML["Accept"]),
        ("GET", "/ui/static/x/nothing.js", HTML["Accept"]),
        ("GET", "/no/such/page", "application/json"),  # a client not asking for HTML
        ("POST", "/no/such/page", HTML["Accept"]),
    ],
)
def test_other_misses_keep_the_json_404(server: ServerProcess, method: str, path: str, accept: str) -> None:
    r = httpx.request(method, server.url + path, headers={"Accept": accept})
    assert r.status_code in (404, 405)
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["status"] == r.status_code


def test_skip_on_a_paused_workflow_is_a_409_with_the_reason(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url + "/api") as api:
        name = f"skip409_{id(api)}"
        tasks = [{"name": f"{name}_t", "taskReferenceName": r, "type": "SIMPLE"} for r in ("a", "b")]
        assert api.post(
            "/metadata/workflow", params={"overwrite": "true"}, json={"name": name, "tasks": tasks}
        ).is_success
        wid = api.post("/workflow", json={"name": name, "input": {}}).text
        assert api.put(f"/workflow/{wid}/pause").is_success
        r = api.put(f"/workflow/{wid}/skiptask/b", json={})
        assert r.status_code == 409
        assert r.json()["message"] == f"The workflow {wid} is not running so the task referenced by b cannot be skipped"
        assert api.put(f"/workflow/{wid}/resume").is_success
        assert api.put(f"/workflow/{wid}/skiptask/b", json={}).status_code in (200, 204)
        assert api.put(f"/workflow/{wid}/skiptask/b", json={}).status_code == 409  # already processed


def test_load_assets_digest_changes_with_content(tmp_path: Path) -> None:
    root = tmp_path
    (root / "index.html").write_text('<script src="{{static}}/app.js"></script>')
    (root / "app.js").write_text("console.log(1)")
    first = load_assets(root)
    assert first.shell == f'<script src="/ui/static/{first.digest}/app.js"></script>'.encode()
    assert first.files["app.js"].media_type.startswith("text/javascript")
    (root / "app.js").write_text("console.log(2)")
    assert load_assets(root).digest != first.digest


def test_packaged_assets_are_complete() -> None:
    assets = load_assets()
    imports: set[str] = set()
    for name, asset in assets.files.items():
        if name.endswith(".js"):
            imports |= set(re.findall(r"'\./([\w-]+\.js)'", asset.body.decode()))
    assert imports, "modules import each other"
    assert imports <= set(assets.files), f"missing modules: {imports - set(assets.files)}"
    assert "VENDORED.md" in assets.files
