"""Workflow and task search against a real SQLite store (Conductor's search endpoints)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from podium.domain.model import Task, Workflow
from podium.domain.search import SearchQuery
from podium.service.search import parse_search, search_tasks, search_workflows, search_workflows_by_tasks
from podium.store.search_sql import search_workflows_sql
from podium.store.sqlite import SqliteStore


def wf(wid: str, name: str, status: str, start: int, **extra: Any) -> Workflow:
    version = extra.pop("version", 1)
    w: dict[str, Any] = {
        "workflowId": wid,
        "workflowName": name,
        "workflowVersion": version,
        "status": status,
        "createTime": start,
        "startTime": start,
        "updateTime": start + 100,
        "workflowDefinition": {"name": name, "version": version, "tasks": []},
        "input": {},
        "output": {},
        **extra,
    }
    return cast(Workflow, w)


def task(tid: str, wid: str, seq: int, ttype: str, status: str, update: int, **extra: Any) -> Task:
    t: dict[str, Any] = {
        "taskId": tid,
        "workflowInstanceId": wid,
        "seq": seq,
        "taskType": ttype,
        "taskDefName": extra.pop("taskDefName", ttype),
        "referenceTaskName": extra.pop("ref", f"{tid}_ref"),
        "status": status,
        "updateTime": update,
        **extra,
    }
    return cast(Task, t)


WORKFLOWS = [
    wf("w1", "order_flow", "COMPLETED", 1000, endTime=2000, correlationId="c-1",
       input={"orderId": "A-1", "customer": "Alice"}, output={"ok": True}),
    wf("w2", "order_flow", "RUNNING", 2000, version=2, correlationId="c-2", priority=5,
       input={"orderId": "B-2", "customer": "bob"}),
    wf("w3", "payment_flow", "FAILED", 3000, endTime=3500, reasonForIncompletion="boom",
       failedReferenceTaskNames=["pay"], failedTaskNames=["charge"], input={"amount": 10}),
    wf("w4", "payment_child", "COMPLETED", 4000, endTime=4100, parentWorkflowId="w3", correlationId="c-1"),
    wf("w5", "order_flow", "TERMINATED", 5000, endTime=5600, input={"orderId": "100%_sure"}),
]  # fmt: skip

TASKS = [
    task("t1", "w1", 1, "SIMPLE", "COMPLETED", 1400, taskDefName="encode", workflowType="order_flow",
         correlationId="c-1", scheduledTime=1100, startTime=1200, endTime=1400, inputData={"file": "a.mp4"},
         outputData={"size": 3}, workerId="wk1", domain="d1", workflowPriority=0),
    task("t2", "w1", 2, "HTTP", "FAILED", 1300, taskDefName="http_call", workflowType="order_flow",
         correlationId="c-1", scheduledTime=1250, startTime=1260, endTime=1300, reasonForIncompletion="503"),
    task("t3", "w2", 1, "SIMPLE", "IN_PROGRESS", 2100, taskDefName="encode", workflowType="order_flow",
         correlationId="c-2", scheduledTime=2050, startTime=2060, inputData={"file": "b.mov"}),
    task("t4", "w3", 1, "SIMPLE", "SCHEDULED", 3100, taskDefName="charge", scheduledTime=3100),
]  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteStore]:
    s = SqliteStore(f"sqlite:///{tmp_path_factory.mktemp('search') / 'p.db'}")
    for w in WORKFLOWS:
        s.insert_workflow(w, None)
    s.upsert_tasks(TASKS)
    yield s
    s.close()


def ids(store: SqliteStore, query: str | None = None, free_text: str | None = None, sort: Any = None,
        start: int = 0, size: int = 100, **kw: Any) -> tuple[int, list[str]]:  # fmt: skip
    q = parse_search(start, size, sort, free_text, query, **kw)
    out = search_workflows(store, q, summaries=False)
    return out["totalHits"], [r["workflowId"] for r in out["results"]]


def tids(store: SqliteStore, query: str | None = None, free_text: str | None = None, sort: Any = None) -> list[str]:
    out = search_tasks(store, parse_search(0, 100, sort, free_text, query, tasks=True), summaries=False)
    assert out["totalHits"] == len(out["results"])
    return [r["taskId"] for r in out["results"]]


# -- workflow filters ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (None, ["w5", "w4", "w3", "w2", "w1"]),
        ("workflowType = order_flow", ["w5", "w2", "w1"]),
        ("workflowType IN (payment_flow, payment_child)", ["w4", "w3"]),
        ("workflowType = order*", ["w5", "w2", "w1"]),
        ("workflowType = *_flow", ["w5", "w3", "w2", "w1"]),
        ("workflowType = ORDER*", []),
        ("workflowType = 'order_fl?w'", []),
        ("workflowType != 'order*'", ["w4", "w3"]),
        ("status IN (RUNNING, FAILED)", ["w3", "w2"]),
        ("status != COMPLETED", ["w5", "w3", "w2"]),
        ("workflowId = w3", ["w3"]),
        ("workflowId IN (w1, w4, nope)", ["w4", "w1"]),
        ("version = 2", ["w2"]),
        ("startTime > 2000 AND startTime <= 4000", ["w4", "w3"]),
        ("startTime BETWEEN 2000 AND 3000", ["w3", "w2"]),
        ("startTime >= '1970-01-01T00:00:04Z'", ["w5", "w4"]),
        ("updateTime < 2100", ["w1"]),
        ("endTime > 3000", ["w5", "w4", "w3"]),
        ("endTime < 3000", ["w1"]),
        ("correlationId = c-1", ["w4", "w1"]),
        ("correlationId != c-1", ["w5", "w3", "w2"]),
        ("correlationId = 'c-*'", ["w4", "w2", "w1"]),
        ("correlationId = ''", ["w5", "w3"]),
        ("parentWorkflowId = w3", ["w4"]),
        ("parentWorkflowId = ''", ["w5", "w3", "w2", "w1"]),
        ("priority = 5", ["w2"]),
        ("reasonForIncompletion = boom", ["w3"]),
        ("executionTime > 500", ["w5", "w1"]),
        ("workflowType = order_flow AND status = COMPLETED", ["w1"]),
        ("(workflowType = order_flow) AND startTime > 1000 AND status IN (RUNNING, TERMINATED)", ["w5", "w2"]),
    ],
)
def test_workflow_filters(store: SqliteStore, query: str | None, expected: list[str]) -> None:
    assert ids(store, query) == (len(expected), expected)


def test_top_level_only(store: SqliteStore) -> None:
    assert ids(store, "correlationId = c-1", top_level_only=True) == (1, ["w1"])


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("startTime:ASC", ["w1", "w2", "w3", "w4", "w5"]),
        ("workflowId:DESC", ["w5", "w4", "w3", "w2", "w1"]),
        ("workflowType:ASC;startTime:DESC", ["w5", "w2", "w1", "w4", "w3"]),
        (["status:ASC", "workflowId:DESC"], ["w4", "w1", "w3", "w2", "w5"]),
        ("endTime:DESC", ["w5", "w4", "w3", "w1", "w2"]),
        ("executionTime:DESC", ["w1", "w5", "w3", "w4", "w2"]),
        ("priority:DESC,startTime:ASC", ["w2", "w1", "w3", "w4", "w5"]),
        ("correlationId:ASC,startTime:DESC", ["w4", "w1", "w2", "w5", "w3"]),
        ("parentWorkflowId:DESC", ["w4", "w5", "w3", "w2", "w1"]),
    ],
)
def test_workflow_sort(store: SqliteStore, sort: Any, expected: list[str]) -> None:
    assert ids(store, sort=sort) == (5, expected)


def test_paging_and_total_hits(store: SqliteStore) -> None:
    pages = [ids(store, start=s, size=2) for s in (0, 2, 4, 6)]
    assert [p[0] for p in pages] == [5, 5, 5, 5]
    assert [p[1] for p in pages] == [["w5", "w4"], ["w3", "w2"], ["w1"], []]
    assert ids(store, "workflowType = order_flow", size=0) == (3, [])
    assert ids(store, "workflowType = order_flow", sort="startTime:ASC", start=1, size=1) == (3, ["w2"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*", ["w5", "w4", "w3", "w2", "w1"]),
        ("alice", ["w1"]),
        ("ALICE", ["w1"]),
        ("A-1", ["w1"]),
        ("A_1", []),
        ("100%", ["w5"]),
        ("100%_sure", ["w5"]),
        ("Al*ce", ["w1"]),
        ("orderId", ["w5", "w2", "w1"]),
        ("orderId bob", ["w2"]),
        ('"customer":"bob"', ["w2"]),
        ('"order_flow" TERMINATED', ["w5"]),
        ("boom", ["w3"]),
        ("no-such-thing", []),
    ],
)
def test_workflow_free_text(store: SqliteStore, text: str, expected: list[str]) -> None:
    total, found = ids(store, free_text=text)
    assert (total, sorted(found)) == (len(expected), sorted(expected))


def test_free_text_default_order_is_newest_first_and_combines_with_clauses(store: SqliteStore) -> None:
    assert ids(store, free_text="orderId") == (3, ["w5", "w2", "w1"])
    assert ids(store, "status = RUNNING", free_text="orderId") == (1, ["w2"])
    assert ids(store, free_text="orderId", sort="startTime:ASC", start=1, size=1) == (3, ["w2"])


def test_workflow_summaries(store: SqliteStore) -> None:
    out = search_workflows(store, parse_search(0, 100, "startTime:ASC", None, "workflowType = order_flow"))
    assert out["totalHits"] == 3
    first, second, _ = out["results"]
    assert first == {
        "workflowType": "order_flow",
        "version": 1,
        "workflowId": "w1",
        "correlationId": "c-1",
        "startTime": "1970-01-01T00:00:01.000Z",
        "updateTime": "1970-01-01T00:00:01.100Z",
        "endTime": "1970-01-01T00:00:02.000Z",
        "status": "COMPLETED",
        "input": '{"orderId":"A-1","customer":"Alice"}',
        "output": '{"ok":true}',
        "executionTime": 1000,
        "failedReferenceTaskNames": "",
        "priority": 0,
        "failedTaskNames": [],
        "taskToDomain": {},
        "parentWorkflowId": "",
    }
    assert second["version"] == 2 and second["executionTime"] == 0 and "endTime" not in second
    failed = search_workflows(store, parse_search(0, 10, None, None, "workflowId = w3"))["results"][0]
    assert failed["failedReferenceTaskNames"] == "pay" and failed["failedTaskNames"] == ["charge"]
    assert failed["reasonForIncompletion"] == "boom"


def test_full_workflow_results(store: SqliteStore) -> None:
    out = search_workflows(store, parse_search(0, 10, None, None, "workflowId = w2"), summaries=False)
    (w,) = out["results"]
    assert w["workflowDefinition"] == {"name": "order_flow", "version": 2, "tasks": []}
    assert w["tasks"] == [] and w["input"] == {"orderId": "B-2", "customer": "bob"} and w["priority"] == 5


# -- tasks --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (None, ["t4", "t3", "t1", "t2"]),
        ("taskType = SIMPLE", ["t4", "t3", "t1"]),
        ("taskType IN (HTTP, WAIT)", ["t2"]),
        ("taskDefName = encode", ["t3", "t1"]),
        ("taskDefName = 'http_*'", ["t2"]),
        ("taskId = t2", ["t2"]),
        ("status IN (SCHEDULED, IN_PROGRESS)", ["t4", "t3"]),
        ("workflowId = w1", ["t1", "t2"]),
        ("workflowType = order_flow", ["t3", "t1", "t2"]),
        ("correlationId = c-1", ["t1", "t2"]),
        ("referenceTaskName = t3_ref", ["t3"]),
        ("updateTime >= 2100", ["t4", "t3"]),
        ("startTime > 1200", ["t3", "t2"]),
        ("scheduledTime < 1200", ["t1"]),
        ("endTime > 0", ["t1", "t2"]),
        ("workerId = wk1 AND domain = d1", ["t1"]),
        ("seq = 2", ["t2"]),
    ],
)
def test_task_filters(store: SqliteStore, query: str | None, expected: list[str]) -> None:
    assert tids(store, query) == expected


def test_task_free_text_and_sort(store: SqliteStore) -> None:
    assert tids(store, free_text="a.mp4") == ["t1"]
    assert tids(store, free_text="MOV") == ["t3"]
    assert tids(store, "taskType = SIMPLE", free_text="file") == ["t3", "t1"]
    assert tids(store, sort="updateTime:ASC") == ["t2", "t1", "t3", "t4"]
    assert tids(store, sort="workflowId:ASC;seq:DESC") == ["t2", "t1", "t3", "t4"]
    assert tids(store, sort="startTime:DESC") == ["t3", "t2", "t1", "t4"]


def test_task_summaries(store: SqliteStore) -> None:
    out = search_tasks(store, parse_search(0, 10, None, None, "taskId = t1", tasks=True))
    assert out == {
        "totalHits": 1,
        "results": [
            {
                "workflowId": "w1",
                "workflowType": "order_flow",
                "correlationId": "c-1",
                "scheduledTime": "1970-01-01T00:00:01.100Z",
                "startTime": "1970-01-01T00:00:01.200Z",
                "updateTime": "1970-01-01T00:00:01.400Z",
                "endTime": "1970-01-01T00:00:01.400Z",
                "status": "COMPLETED",
                "executionTime": 200,
                "queueWaitTime": 100,
                "taskDefName": "encode",
                "taskType": "SIMPLE",
                "input": '{"file":"a.mp4"}',
                "output": '{"size":3}',
                "taskId": "t1",
                "workflowPriority": 0,
                "domain": "d1",
            }
        ],
    }
    # t4 carries no workflowType: the summary takes it from its workflow.
    (t4,) = search_tasks(store, parse_search(0, 10, None, None, "taskId = t4", tasks=True))["results"]
    assert t4["workflowType"] == "payment_flow" and "correlationId" not in t4


def test_full_task_results_carry_derived_fields(store: SqliteStore) -> None:
    out = search_tasks(store, parse_search(0, 10, None, None, "taskId = t3", tasks=True), summaries=False)
    (t,) = out["results"]
    assert t["queueWaitTime"] == 10 and t["loopOverTask"] is False and t["inputData"] == {"file": "b.mov"}


def test_search_workflows_by_tasks(store: SqliteStore) -> None:
    out = search_workflows_by_tasks(store, parse_search(0, 10, None, None, "taskType = SIMPLE", tasks=True))
    assert out["totalHits"] == 3
    assert [r["workflowId"] for r in out["results"]] == ["w3", "w2", "w1"]
    assert out["results"][0]["workflowType"] == "payment_flow"
    # Two tasks of one workflow: the duplicate is dropped from the page and from the total.
    out = search_workflows_by_tasks(
        store, parse_search(0, 10, None, None, "workflowId = w1", tasks=True), summaries=False
    )
    assert out["totalHits"] == 1 and [r["workflowId"] for r in out["results"]] == ["w1"]
    assert out["results"][0]["tasks"] == []


# -- scale: query plans and timings -------------------------------------------------------------
N = 20_000


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SqliteStore, Path]]:
    path = tmp_path_factory.mktemp("big") / "p.db"
    s = SqliteStore(f"sqlite:///{path}")
    names = [f"flow_{i}" for i in range(10)]
    with s.transaction():
        for i in range(N):
            status = "RUNNING" if i % 10 == 0 else "COMPLETED"
            extra: dict[str, Any] = {} if status == "RUNNING" else {"endTime": 1_000_000 + i * 10 + 5}
            payload = {"orderId": f"order-{i}", "email": f"user{i}@example.com", "note": "lorem ipsum " * 20}
            s.insert_workflow(
                wf(f"id-{i:06d}", names[i % 10], status, 1_000_000 + i * 10, correlationId=f"corr-{i}",
                   input=payload, **extra),
                None,
            )  # fmt: skip
    yield s, path
    s.close()


def plan(path: Path, q: SearchQuery) -> str:
    _, page, args = search_workflows_sql(q, "sqlite")
    with sqlite3.connect(path) as c:
        rows = c.execute("EXPLAIN QUERY PLAN " + page, [*args, q.size, q.start]).fetchall()
    c.close()
    return " | ".join(str(r[3]) for r in rows)


def test_default_search_walks_the_start_time_index(big: tuple[SqliteStore, Path]) -> None:
    _, path = big
    p = plan(path, parse_search(0, 100, None, "*", None))
    assert "SCAN workflows USING COVERING INDEX workflows_by_start" in p
    assert "SCAN workflows |" not in p + " |"  # no full table scan
    filtered = plan(path, parse_search(0, 100, None, None, "status = RUNNING"))
    assert "workflows_by_status (status=?)" in filtered
    by_name = plan(path, parse_search(0, 100, None, None, "workflowType = flow_3"))
    assert "workflows_by_name (name=?)" in by_name


def test_results_at_scale(big: tuple[SqliteStore, Path]) -> None:
    store, _ = big
    total, first = ids(store)
    assert total == N and first[:2] == [f"id-{N - 1:06d}", f"id-{N - 2:06d}"] and len(first) == 100
    assert ids(store, start=N - 50, size=100) == (N, [f"id-{i:06d}" for i in range(49, -1, -1)])
    assert ids(store, "status = RUNNING", size=1) == (N // 10, [f"id-{N - 10:06d}"])
    assert ids(store, free_text="user12345@") == (1, ["id-012345"])
    assert ids(store, free_text="order-1999", sort="startTime:ASC", size=3)[1] == [
        "id-001999", "id-019990", "id-019991"
    ]  # fmt: skip


SCENARIOS: list[tuple[str, dict[str, Any]]] = [
    ("default", {}),
    ("default, deep page", {"start": N - 100}),
    ("status = RUNNING", {"query": "status = RUNNING"}),
    ("workflowType = flow_3", {"query": "workflowType = flow_3"}),
    ("type + status", {"query": "workflowType = flow_3 AND status = COMPLETED"}),
    ("time range", {"query": f"startTime > {1_000_000 + N * 5} AND startTime < {1_000_000 + N * 6}"}),
    ("sort endTime (no index)", {"sort": "endTime:DESC"}),
    ("free text, common", {"free_text": "example.com"}),
    ("free text, rare", {"free_text": "user12345@"}),
]


def test_measure_search_timings(big: tuple[SqliteStore, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """Reports timings (run with -s to see them); never asserts on time."""
    store, _ = big
    lines = []
    for label, kw in SCENARIOS:
        q = parse_search(kw.get("start", 0), 100, kw.get("sort"), kw.get("free_text"), kw.get("query"))
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            out = search_workflows(store, q)
            best = min(best, time.perf_counter() - t0)
        assert out["totalHits"] >= len(out["results"]) > 0
        lines.append(f"{label:28s} {best * 1000:7.2f} ms  totalHits={out['totalHits']}")
    with capsys.disabled():
        print(f"\nsearch timings over {N} workflows (best of 3, summaries included):")
        print("\n".join(lines))
