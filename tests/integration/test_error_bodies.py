"""Every error path answers with the same ErrorResponse shape (docs/compatibility.md), built by podium.api.errors alone.

The server runs in this process (uvicorn on loopback) so the tests can make its store fail (503) and a
service raise something unexpected (500).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from conftest import free_port, wait_until
from podium.api.app import create_server
from podium.api.browser_guard import BrowserGuard
from podium.api.fastlane import FastLane
from podium.domain.settings import Settings
from podium.service.container import Services

INSTANCE = "error-shape-node"
LIMIT = 4096
KEYS = {"status", "message", "instance", "retryable"}


class InProcessServer:
    def __init__(self, db: Path) -> None:
        settings = Settings(
            db=f"sqlite:///{db}", port=free_port(), server_id=INSTANCE, max_payload_bytes=LIMIT, run_background=False
        )
        self.asgi = create_server(settings)
        assert isinstance(self.asgi, BrowserGuard) and isinstance(self.asgi.app, FastLane)
        self.services: Services = self.asgi.app.svc
        config = uvicorn.Config(self.asgi, host="127.0.0.1", port=settings.port, log_level="critical", loop="asyncio")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{settings.port}/api"

    def __enter__(self) -> InProcessServer:
        self.thread.start()
        wait_until(lambda: self.server.started, what="in-process server started")
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    with InProcessServer(tmp_path_factory.mktemp("errors") / "podium.db") as s:
        yield s


@pytest.fixture
def http(node: InProcessServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=node.url, timeout=10) as c:
        yield c


def assert_error(
    r: httpx.Response, status: int, *, retryable: bool = False, validation: bool = False
) -> dict[str, Any]:
    """Check one error answer against ErrorResponse and return its body."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = r.json()
    assert set(body) == (KEYS | {"validationErrors"} if validation else KEYS), body
    assert body["status"] == status
    assert body["instance"] == INSTANCE
    assert body["retryable"] is retryable
    assert isinstance(body["message"], str) and body["message"]
    if validation:
        assert body["validationErrors"] and all({"path", "message"} <= set(e) for e in body["validationErrors"])
    return body


def test_not_found(http: httpx.Client) -> None:
    assert "nope" in assert_error(http.get("/workflow/nope"), 404)["message"]
    assert "nope" in assert_error(http.get("/metadata/taskdefs/nope"), 404)["message"]


def test_unknown_route_and_method(http: httpx.Client) -> None:
    assert_error(http.get("/no/such/route"), 404)
    assert_error(http.delete("/metadata/taskdefs"), 405)
    assert_error(httpx.get(http.base_url.join("/ui/static/x/nope.js")), 404)


def test_validation_errors(http: httpx.Client) -> None:
    body = assert_error(http.post("/metadata/workflow", json={"name": "bad", "tasks": []}), 400, validation=True)
    assert body["message"] == "Validation failed, check below errors for detail."
    # a query parameter of the wrong type: FastAPI's own validation, same body
    assert_error(http.get("/workflow/running/x", params={"version": "one"}), 400, validation=True)


def test_invalid_argument_on_the_routes_and_the_fast_lane(http: httpx.Client) -> None:
    json_type = {"content-type": "application/json"}
    assert_error(http.post("/metadata/taskdefs", content=b"{not json", headers=json_type), 400)
    assert_error(http.post("/workflow", content=b"{not json", headers=json_type), 400)
    assert_error(http.get("/tasks/poll/batch/t", params={"count": "many"}), 400, validation=True)


def test_conflict(http: httpx.Client) -> None:
    wf = {"name": "twice", "version": 1, "tasks": [{"name": "t", "taskReferenceName": "t", "type": "SIMPLE"}]}
    assert http.post("/metadata/workflow", json=wf).status_code == 200
    assert "already exists" in assert_error(http.post("/metadata/workflow", json=wf), 409)["message"]


def test_payload_too_large_on_the_routes_and_the_fast_lane(http: httpx.Client) -> None:
    big = b'"' + b"x" * LIMIT + b'"'
    assert_error(http.post("/metadata/taskdefs", content=big, headers={"content-type": "application/json"}), 413)
    assert_error(http.post("/tasks", content=big, headers={"content-type": "application/json"}), 413)


def test_a_refusal_in_the_wrong_state_is_a_409(http: httpx.Client) -> None:
    # Conductor answers 500 (IllegalStateException); a refusal is not a server error, so Podium says 409.
    wf = {"name": "resumable", "version": 1, "tasks": [{"name": "rt", "taskReferenceName": "rt", "type": "SIMPLE"}]}
    assert http.post("/metadata/workflow", json=wf).status_code == 200
    wid = http.post("/workflow", json={"name": "resumable"}).text
    assert_error(http.put(f"/workflow/{wid}/resume"), 409)


def test_unexpected_errors_are_500s(
    http: httpx.Client, node: InProcessServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*_: object, **__: object) -> Any:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(node.services.metadata, "list_task_defs", boom)
    monkeypatch.setattr(node.services.tasks, "update", boom)
    assert assert_error(http.get("/metadata/taskdefs"), 500)["message"] == "RuntimeError: kaboom"
    assert assert_error(http.post("/tasks", json={"taskId": "x"}), 500)["message"] == "RuntimeError: kaboom"
    assert sum("unhandled error" in r.getMessage() for r in caplog.records) == 2


def test_a_failed_commit_is_a_retryable_503(tmp_path: Path) -> None:
    # A server of its own: the failed group commit leaves that store for nothing but shutting down.
    with InProcessServer(tmp_path / "podium.db") as node, httpx.Client(base_url=node.url, timeout=10) as http:
        store: Any = node.services.store
        commit = store.commit

        def failing_commit() -> None:
            store.commit = commit
            raise OSError("disk on fire")

        store.commit = failing_commit
        r = http.post("/metadata/taskdefs", json=[{"name": "lost_td"}])
        assert store.commit is commit  # the barrier did try to commit
        assert "disk on fire" in assert_error(r, 503, retryable=True)["message"]
