"""The fast lane answers exactly as the documented routes do, for good and bad input, over real HTTP.

One app is served twice on one store (twinserve.py): through the fast lane and through FastAPI's
router only. Every request below is put to both and the answers compared.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from twinserve import Twin, twin_servers

LIMIT = 64 * 1024
# Fields that differ between two executions of one definition (ids and clock readings).
VOLATILE = {"taskId", "workflowInstanceId", "scheduledTime", "startTime", "updateTime", "queueWaitTime"}


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twin]:
    with twin_servers(tmp_path_factory.mktemp("twin") / "podium.db", max_payload_bytes=LIMIT) as t:
        yield t


@pytest.fixture()
def clients(twin: Twin) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    with httpx.Client(base_url=twin.fast_url, timeout=30) as f, httpx.Client(base_url=twin.routed_url, timeout=30) as r:
        yield f, r


def same(fast: httpx.Response, routed: httpx.Response) -> None:
    assert (fast.status_code, fast.headers.get("content-type"), fast.content) == (
        routed.status_code,
        routed.headers.get("content-type"),
        routed.content,
    ), fast.request.url


def both(clients: tuple[httpx.Client, httpx.Client], method: str, url: str, **kw: Any) -> httpx.Response:
    """Put one request to both ways in; they must answer byte for byte alike. Returns the answer."""
    chunks = kw.pop("chunks", None)  # a chunked body: a fresh iterator for each request
    fast, routed = (
        c.request(method, url, **kw) if chunks is None else c.request(method, url, content=iter(chunks), **kw)
        for c in clients
    )
    same(fast, routed)
    return fast


def shape(task: dict[str, Any]) -> dict[str, Any]:
    return {k: ("<varies>" if k in VOLATILE else v) for k, v in task.items()}


def setup_flow(api: httpx.Client, name: str) -> None:
    r = api.post("/api/metadata/taskdefs", json=[{"name": name}])
    assert r.status_code == 200, r.text
    tasks = [{"name": name, "taskReferenceName": ref, "type": "SIMPLE"} for ref in ("first", "second")]
    r = api.post("/api/metadata/workflow", json={"name": name, "version": 1, "tasks": tasks})
    assert r.status_code == 200, r.text


BAD_POLLS = [
    "count=0",
    "count=-3",
    "timeout=5001",
    "timeout=-1",
    "count=abc",
    "count=",
    "timeout=1e3",
    "count=1.5",
    "count=%EF%BC%99",  # a full-width digit
    "count=abc&timeout=x",  # both named, in declaration order
    "count=x&count=2&timeout=5001",  # the last of repeated names wins
    "count=2&count=x",
]
EMPTY_POLLS = [
    "",
    "timeout=0",
    "count=3&timeout=0",
    "count=1.0&timeout=0",
    "count=+2&timeout=%200%20",
    "count=1_0&timeout=0",
]


@pytest.mark.parametrize("query", BAD_POLLS + EMPTY_POLLS)
def test_batch_poll_query_validation(clients: tuple[httpx.Client, httpx.Client], query: str) -> None:
    r = both(clients, "GET", f"/api/tasks/poll/batch/nothing_queued_here?{query}&workerid=&domain=")
    assert r.status_code == (400 if query in BAD_POLLS else 200)


@pytest.mark.parametrize("path", ["", "a%20b", "a%2541", "a%2Fb", "x/y", "ü"])
def test_batch_poll_odd_task_types(clients: tuple[httpx.Client, httpx.Client], path: str) -> None:
    r = both(clients, "GET", f"/api/tasks/poll/batch/{path}?timeout=0")  # both answer alike ...
    assert r.status_code < 500, r.text  # ... and neither with a server error


BAD_BODIES: list[dict[str, Any]] = [
    {},
    {"content": b"   "},
    {"content": b"{not json"},
    {"json": []},
    {"json": "text"},
    {"json": {}},
    {"json": {"taskId": "no-such-task", "workflowInstanceId": "no-such-workflow", "status": "COMPLETED"}},
    {"json": {"taskId": 7, "status": "COMPLETED"}},
    {"json": {"name": "no_such_definition"}},
    {"json": {"name": "x", "input": "not a map"}},
    {"content": b"{" + b" " * LIMIT + b"}"},  # over the limit, Content-Length given
    {"chunks": [b'{"taskId":', b" " * LIMIT, b'"x"}']},  # over the limit, chunked
    {"chunks": [b'{"taskId":', b'"nope", "status": ', b'"COMPLETED"}']},  # chunked, within the limit
]


@pytest.mark.parametrize("path", ["/api/tasks", "/api/tasks/update-v2", "/api/workflow"])
@pytest.mark.parametrize("case", range(len(BAD_BODIES)))
def test_bad_bodies(clients: tuple[httpx.Client, httpx.Client], path: str, case: int) -> None:
    r = both(clients, "POST", path, **dict(BAD_BODIES[case]))
    assert r.status_code >= 400


def test_start_poll_and_update_answer_alike(clients: tuple[httpx.Client, httpx.Client]) -> None:
    fast = clients[0]
    name = "parity_flow"
    setup_flow(fast, name)
    start = {"name": name, "input": {"n": 1}, "correlationId": "same"}
    ids = [c.post("/api/workflow", json=start) for c in clients]
    for r in ids:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain") and len(r.text) > 10
    assert ids[0].text != ids[1].text

    params = {"workerid": "w1", "count": 1, "timeout": 0}
    polls = [c.get(f"/api/tasks/poll/batch/{name}", params=params) for c in clients]
    assert [p.status_code for p in polls] == [200, 200]
    firsts = [p.json() for p in polls]
    assert [len(f) for f in firsts] == [1, 1]
    assert shape(firsts[0][0]) == shape(firsts[1][0])
    assert {f[0]["workflowInstanceId"] for f in firsts} == {ids[0].text, ids[1].text}

    def result(task: dict[str, Any], status: str) -> dict[str, Any]:
        return {"workflowInstanceId": task["workflowInstanceId"], "taskId": task["taskId"], "status": status}

    pairs = list(zip(clients, (f[0] for f in firsts), strict=True))
    # Held back for an hour, so that the next polls see only the tasks the completions schedule.
    held = {"workerId": "w1", "callbackAfterSeconds": 3600}
    ongoing = [c.post("/api/tasks/update-v2", json={**result(t, "IN_PROGRESS"), **held}) for c, t in pairs]
    same(*ongoing)
    assert ongoing[0].status_code == 204 and not ongoing[0].content
    nexts = [c.post("/api/tasks/update-v2", json={**result(t, "COMPLETED"), "workerId": "w1"}) for c, t in pairs]
    assert [n.status_code for n in nexts] == [200, 200]
    second = [n.json() for n in nexts]
    assert second[0]["referenceTaskName"] == "second" and shape(second[0]) == shape(second[1])

    done = [c.post("/api/tasks", json=result(t, "COMPLETED")) for c, t in zip(clients, second, strict=True)]
    assert [d.text for d in done] == [t["taskId"] for t in second]
    assert done[0].headers["content-type"] == done[1].headers["content-type"]
    again = [c.post("/api/tasks", json=result(t, "COMPLETED")) for c, t in zip(clients, second, strict=True)]
    assert [a.status_code for a in again] == [d.status_code for d in done]
    for wid in (ids[0].text, ids[1].text):
        assert fast.get(f"/api/workflow/{wid}", params={"includeTasks": False}).json()["status"] == "COMPLETED"
    same(*(c.get(f"/api/tasks/poll/batch/{name}", params={"timeout": 0}) for c in clients))


def test_long_poll_is_woken_alike(clients: tuple[httpx.Client, httpx.Client]) -> None:
    """A long poll through either way in returns as soon as a start makes a task ready."""
    import threading

    fast, routed = clients
    name = "parity_wake"
    setup_flow(fast, name)
    for waiter, starter in ((fast, routed), (routed, fast)):
        got: list[httpx.Response] = []

        def wait(w: httpx.Client = waiter, out: list[httpx.Response] = got) -> None:
            out.append(w.get(f"/api/tasks/poll/batch/{name}", params={"timeout": 5000}))

        t = threading.Thread(target=wait)
        t.start()
        assert starter.post("/api/workflow", json={"name": name}).status_code == 200
        t.join(10)
        assert got and got[0].status_code == 200 and len(got[0].json()) == 1
