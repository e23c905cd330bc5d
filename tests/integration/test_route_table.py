"""The route table: every method+path the two official SDKs and Conductor's OSS REST controllers define
reaches the handler meant for it, or a 404/405 — never another handler that happens to match.

The SDK lists are read from the installed packages (conductor-python's generated API modules, the JS
SDK's bundle), so a new SDK release is checked without editing this file. "Meant for it" means the
route FastAPI resolves the sample path to has the same template as the SDK's (parameter names aside).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.routing import Match

from podium.api.app import create_app
from podium.domain.settings import Settings

JS_SDK = Path.home() / ".cache/podium-js-sdk/node_modules/@io-orkes/conductor-javascript/dist/index.js"

# Conductor OSS 3.32's REST controllers (docs/compatibility.md), beyond what the SDKs call.
OSS: list[tuple[str, str]] = [
    ("GET", "/api/metadata/workflow/names-and-versions"), ("GET", "/api/metadata/workflow/latest-versions"),
    ("POST", "/api/metadata/workflow/validate"), ("GET", "/api/workflow/search-v2"),
    ("GET", "/api/workflow/search-by-tasks"), ("GET", "/api/workflow/search-by-tasks-v2"),
    ("DELETE", "/api/workflow/{workflowId}/terminate-remove"), ("GET", "/api/workflow/externalstoragelocation"),
    ("GET", "/api/tasks/queue/size"), ("GET", "/api/tasks/{taskId}/log"),
    ("DELETE", "/api/workflow/bulk/remove"), ("DELETE", "/api/workflow/bulk/terminate-remove"),
    ("POST", "/api/workflow/bulk/search"), ("GET", "/api/queue"), ("GET", "/api/queue/size"),
    ("POST", "/api/queue/update/{workflowId}/{taskRefName}/{status}"),
    ("POST", "/api/queue/update/{workflowId}/task/{taskId}/{status}"),
    ("GET", "/api/admin/config"), ("GET", "/api/admin/queues"), ("GET", "/api/admin/task/{tasktype}"),
    ("POST", "/api/admin/sweep/requeue/{workflowId}"), ("POST", "/api/admin/consistency/verifyAndRepair/{workflowId}"),
    ("GET", "/api/event/handler/{name}"), ("GET", "/api/event/execution/{handlerName}"),
    ("GET", "/api/metadata/tags/workflow/{name}"),
    ("GET", "/api/workflow/{workflowId}/tasks"), ("POST", "/api/workflow/{workflowId}/messages"),
    ("GET", "/api/health"), ("GET", "/api/version"),
]  # fmt: skip


PY_CALL = r"'(/[A-Za-z0-9_/{}.-]+)', '(GET|POST|PUT|DELETE|PATCH)'"


def python_sdk_routes() -> list[tuple[str, str]]:
    """Every (method, /api path) in conductor-python's generated API modules."""
    found: set[tuple[str, str]] = set()
    pkg = resources.files("conductor.client")
    for folder in ("http/api", "orkes/api"):
        base = pkg.joinpath(folder)
        if not base.is_dir():
            continue
        for f in base.iterdir():
            if f.name.endswith(".py"):
                for path, method in re.findall(
                    r"'(/[A-Za-z0-9_/{}.-]+)', '(GET|POST|PUT|DELETE|PATCH)'", f.read_text()
                ):
                    found.add((method, "/api" + path))
    return sorted(found)


def js_sdk_routes() -> list[tuple[str, str]]:
    """Every (method, path) of @io-orkes/conductor-javascript's generated services."""
    if not JS_SDK.is_file():
        return []
    text = JS_SDK.read_text()
    call = r"\.(?:get|post|put|delete|patch)\(\{"
    pattern = r"\.(get|post|put|delete|patch)\(\{(?:(?!" + call + r").){0,800}?url: \"(/api/[^\"]+)\""
    return sorted({(m.upper(), p) for m, p in re.findall(pattern, text, re.S)})


def _normal(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", template)


def _sample(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "sample1", template)


@pytest.fixture(scope="module")
def app() -> Iterator[Any]:
    yield create_app(Settings(db="sqlite:///:memory:", run_background=False))


def _leaves(routes: list[Any]) -> Iterator[Any]:
    """The routes in matching order, those of included routers in their place."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _leaves(inner.routes)
        else:
            yield route


def resolve(app: Any, method: str, path: str) -> tuple[str, str] | None:
    """(endpoint name, route template) FastAPI picks for a request, or None for a 404/405."""
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "query_string": b"", "headers": []}
    for route in _leaves(app.router.routes):
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route.endpoint.__name__, route.path
    return None


ALL = sorted(set(python_sdk_routes()) | set(js_sdk_routes()) | set(OSS))


def test_the_sdk_lists_were_read() -> None:
    assert len(python_sdk_routes()) > 150
    assert ("POST", "/api/workflow/test") in python_sdk_routes()
    if JS_SDK.is_file():
        assert ("POST", "/api/tasks/{workflowId}/{status}/signal") in js_sdk_routes()


@pytest.mark.parametrize(("method", "template"), ALL, ids=[f"{m} {p}" for m, p in ALL])
def test_every_conductor_route_reaches_its_handler_or_404(app: Any, method: str, template: str) -> None:
    got = resolve(app, method, _sample(template))
    if got is None:
        return  # 404 or 405 with Conductor's body (the error handlers make both)
    endpoint, route = got
    assert endpoint == "unsupported" or _normal(route) == _normal(template), (
        f"{method} {template} is caught by {endpoint} ({route})"
    )


def test_misroutes_of_issue_14_are_gone(app: Any) -> None:
    assert resolve(app, "POST", "/api/workflow/test") == ("test_workflow", "/api/workflow/test")
    assert resolve(app, "POST", "/api/tasks/w1/COMPLETED/signal")[0] == "signal_async"  # type: ignore[index]
    assert resolve(app, "POST", "/api/tasks/w1/COMPLETED/signal/sync")[0] == "signal_sync"  # type: ignore[index]
    assert resolve(app, "DELETE", "/api/metadata/workflow/x/tags")[0] == "delete_tag"  # type: ignore[index]
    assert resolve(app, "GET", "/api/event/queue/config")[0] == "unsupported"  # type: ignore[index]


def test_unknown_routes_answer_404_with_conductors_body(api: httpx.Client) -> None:
    for method, path in (
        ("GET", "/event/queue/config"),
        ("GET", "/event/queue/config/sqs/q1"),
        ("GET", "/event/handler/h1"),
        ("GET", "/no-such-thing"),
        ("GET", "/workflow/a/b/c/d"),
        ("PUT", "/scheduler/schedules/s1/pause"),
    ):
        r = api.request(method, path)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
        body = r.json()
        assert body["status"] == 404 and body["message"] and "instance" in body and body["retryable"] is False
    r = api.request("PATCH", "/workflow")
    assert r.status_code == 405 and r.json()["status"] == 405
