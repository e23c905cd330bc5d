"""Every JSON endpoint, fed mutated bodies over one keep-alive connection: never a 5xx, never a dropped connection.

Runs against a real server process (the fast lane in front, as deployed). Each endpoint starts from a
valid seed naming live records (a running workflow, a polled task), so mutations reach past the
first type check into the services.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from bodyfuzz import RawConnection, mutations

from conftest import ServerProcess


@dataclass
class World:
    name: str
    workflow_id: str  # RUNNING, its first task polled (IN_PROGRESS)
    task_id: str
    ref: str
    done_id: str  # TERMINATED


def _task_def(name: str) -> dict[str, Any]:
    return {"name": name, "retryCount": 1, "timeoutSeconds": 60, "responseTimeoutSeconds": 30, "ownerEmail": "f@x.io"}


def _workflow_def(name: str) -> dict[str, Any]:
    first = {
        "name": name,
        "taskReferenceName": "first",
        "type": "SIMPLE",
        "inputParameters": {"x": "${workflow.input.x}"},
    }
    return {
        "name": name,
        "version": 1,
        "schemaVersion": 2,
        "ownerEmail": "f@x.io",
        "tasks": [first, {"name": name, "taskReferenceName": "second", "type": "SIMPLE"}],
        "outputParameters": {"y": "${first.output.y}"},
    }


def _handler(name: str) -> dict[str, Any]:
    start = {"name": name, "input": {"x": 1}}
    return {
        "name": f"{name}_handler",
        "event": f"conductor:{name}:evt",
        "active": True,
        "condition": "$.x == 1",
        "actions": [{"action": "start_workflow", "start_workflow": start}],
    }


def _task_result(w: World) -> dict[str, Any]:
    return {
        "workflowInstanceId": w.workflow_id,
        "taskId": w.task_id,
        "status": "IN_PROGRESS",
        "workerId": "fz",
        "outputData": {"y": 1},
        "reasonForIncompletion": "r",
        "callbackAfterSeconds": 0,
        "extendLease": False,
        "logs": [{"log": "l", "taskId": w.task_id, "createdTime": 1}],
    }


def _start_request(w: World) -> dict[str, Any]:
    return {
        "name": w.name,
        "version": 1,
        "input": {"x": 1},
        "correlationId": "c",
        "priority": 1,
        "taskToDomain": {"a": "b"},
        "createdBy": "me",
        "idempotencyKey": "k",
        "idempotencyStrategy": "FAIL",
    }


def _rerun_request(w: World) -> dict[str, Any]:
    return {"reRunFromWorkflowId": w.done_id, "workflowInput": {"x": 2}, "taskInput": {"a": 1}, "correlationId": "c"}


# (method, path template, seed body builder). Path fields: {name} {wf} {task} {ref} {done}.
Seed = Callable[[World], Any]


def _schedule(name: str) -> dict[str, object]:
    return {
        "name": name,
        "cronExpression": "0 0 0 1 1 ?",
        "cronSchedules": [{"cronExpression": "0 0 12 ? * MON#1", "zoneId": "Europe/Berlin"}],
        "zoneId": "UTC",
        "runCatchupScheduleInstances": False,
        "scheduleStartTime": 1767614400000,
        "startWorkflowRequest": {"name": name, "input": {"a": [1]}, "priority": 1},
    }


ENDPOINTS: list[tuple[str, str, Seed]] = [
    ("POST", "/api/tasks", _task_result),
    ("POST", "/api/tasks/update-v2", _task_result),
    ("POST", "/api/tasks/{task}/log", lambda w: "a log line"),
    ("POST", "/api/tasks/{wf}/{ref}/IN_PROGRESS", lambda w: {"y": 1, "z": [1]}),
    ("POST", "/api/tasks/{wf}/{ref}/IN_PROGRESS/sync", lambda w: {"y": 1}),
    ("POST", "/api/workflow", _start_request),
    ("POST", "/api/workflow", lambda w: {"name": "adhoc", "workflowDef": _workflow_def(w.name), "input": {}}),
    ("POST", "/api/workflow/{name}", lambda w: {"x": 1, "nested": {"a": [1]}}),
    ("POST", "/api/workflow/execute/{name}/1?waitForSeconds=0", _start_request),
    ("POST", "/api/workflow/correlated/batch", lambda w: {"correlationIds": ["c"], "workflowNames": [w.name]}),
    ("POST", "/api/workflow/{name}/correlated", lambda w: ["c", "d"]),
    ("PUT", "/api/workflow/{wf}/skiptask/second", lambda w: {"taskInput": {"a": 1}, "taskOutput": {"b": 2}}),
    ("POST", "/api/workflow/{done}/rerun", _rerun_request),
    ("POST", "/api/workflow/{wf}/rerun", _rerun_request),
    ("PUT", "/api/workflow/bulk/pause", lambda w: [w.workflow_id]),
    ("PUT", "/api/workflow/bulk/resume", lambda w: [w.workflow_id]),
    ("POST", "/api/workflow/bulk/restart", lambda w: [w.done_id]),
    ("POST", "/api/workflow/bulk/retry", lambda w: [w.done_id]),
    ("POST", "/api/workflow/bulk/search", lambda w: [w.workflow_id]),
    ("POST", "/api/workflow/bulk/terminate", lambda w: [w.workflow_id]),
    ("DELETE", "/api/workflow/bulk/terminate-remove", lambda w: ["no-such-id"]),
    ("DELETE", "/api/workflow/bulk/remove", lambda w: ["no-such-id"]),
    ("POST", "/api/metadata/taskdefs", lambda w: [_task_def(w.name + "_td")]),
    ("PUT", "/api/metadata/taskdefs", lambda w: _task_def(w.name)),
    ("POST", "/api/metadata/workflow/validate", lambda w: _workflow_def(w.name)),
    ("POST", "/api/metadata/taskdefs/validate", lambda w: [_task_def(w.name + "_tv")]),
    ("POST", "/api/metadata/workflow?overwrite=true", lambda w: _workflow_def(w.name + "_wd")),
    ("PUT", "/api/metadata/workflow", lambda w: [_workflow_def(w.name + "_wd2")]),
    ("POST", "/api/event", lambda w: _handler(w.name)),
    ("PUT", "/api/event", lambda w: _handler(w.name)),
    ("POST", "/api/queue/update/{wf}/task/{task}/COMPLETED", lambda w: {"y": 1}),
    ("POST", "/api/queue/update/{wf}/{ref}/COMPLETED", lambda w: {"y": 1}),
    ("POST", "/api/scheduler/schedules", lambda w: _schedule(w.name)),
    ("PUT", "/api/scheduler/bulk/pause", lambda w: [w.name, "no-such-schedule"]),
    ("PUT", "/api/scheduler/schedules/{name}/tags", lambda w: [{"key": "k", "value": "v", "type": "METADATA"}]),
]

CASES_RUN: dict[str, int] = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path_factory.mktemp("fuzz") / "podium.db").start()
    yield srv
    srv.stop()


def _world(base: str, name: str) -> World:
    with httpx.Client(base_url=base + "/api", timeout=30) as api:
        assert api.post("/metadata/taskdefs", json=[_task_def(name)]).status_code == 200
        assert api.put("/metadata/workflow", json=[_workflow_def(name)]).status_code == 200
        assert api.post("/event", json=_handler(name)).status_code == 200
        assert api.post("/scheduler/schedules", json=_schedule(name)).status_code == 200
        wid = api.post(f"/workflow/{name}", json={"x": 1}, params={"correlationId": "c"}).text
        polled = api.get(f"/tasks/poll/batch/{name}", params={"workerid": "fz", "timeout": 1000}).json()
        assert polled, "the seed workflow's first task was not polled"
        done = api.post(f"/workflow/{name}", json={"x": 2}).text
        assert api.delete(f"/workflow/{done}", params={"reason": "seed"}).status_code == 200
        return World(name, wid, polled[0]["taskId"], polled[0]["referenceTaskName"], done)


@pytest.mark.timeout(300)
@pytest.mark.parametrize(("method", "template", "seed"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
def test_no_5xx_and_connection_kept(server: ServerProcess, method: str, template: str, seed: Seed, uniq: str) -> None:
    world = _world(server.url, uniq)
    path = template.format(name=world.name, wf=world.workflow_id, task=world.task_id, ref=world.ref, done=world.done_id)
    conn = RawConnection("127.0.0.1", server.port)
    failures: list[str] = []
    count = 0
    try:
        for label, body in mutations(seed(world)):
            count += 1
            try:
                answer = conn.request(method, path, body)
            except ConnectionError as e:
                failures.append(f"{label}: {e}")
                conn.close()
                conn = RawConnection("127.0.0.1", server.port)
                continue
            if answer.status >= 500 or answer.headers.get("connection") == "close":
                failures.append(f"{label}: {answer.status} {answer.body[:200]!r}")
        # The connection that carried every mutation still serves an ordinary request.
        assert conn.request("GET", "/health", b"").status == 200
    finally:
        conn.close()
    CASES_RUN[f"{method} {template}"] = count
    assert not failures, f"{len(failures)} of {count} cases failed:\n" + "\n".join(failures[:40])
