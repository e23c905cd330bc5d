"""Workflow state edits, sync execute's return strategies and small wire differences, over HTTP (issue #14)."""

from __future__ import annotations

from typing import Any

import httpx
from test_core_api import poll, register, taskdef

from conftest import wait_until


# -- small differences ---------------------------------------------------------------------------
def test_update_v2_without_a_next_task_answers_a_bare_204(api: httpx.Client, uniq: str) -> None:
    t = f"v2n_{uniq}"
    taskdef(api, t)
    name = register(api, uniq, [{"name": t, "taskReferenceName": "a"}])
    api.post("/workflow", json={"name": name})
    [task] = poll(api, t, workerid="w1")
    body = {"workflowInstanceId": task["workflowInstanceId"], "taskId": task["taskId"], "workerId": "w1"}
    # Still running: nothing to hand out. No Content-Type, so the JS SDK reads null, not {}.
    r = api.post("/tasks/update-v2", json={**body, "status": "IN_PROGRESS", "callbackAfterSeconds": 60})
    assert r.status_code == 204 and r.content == b"" and "content-type" not in r.headers
    r = api.post("/tasks/update-v2", json={**body, "status": "COMPLETED"})
    assert r.status_code == 204 and r.content == b"" and "content-type" not in r.headers


def test_workflow_tasks_status_filter_is_case_insensitive_and_comma_split(api: httpx.Client, uniq: str) -> None:
    t = f"ts_{uniq}"
    taskdef(api, t)
    name = register(api, uniq, [{"name": t, "taskReferenceName": "a"}, {"name": t, "taskReferenceName": "b"}])
    wid = api.post("/workflow", json={"name": name}).text
    [task] = poll(api, t)
    api.post("/tasks", json={"workflowInstanceId": wid, "taskId": task["taskId"], "status": "COMPLETED"})
    got = api.get(f"/workflow/{wid}/tasks", params={"status": "completed"}).json()
    assert [x["referenceTaskName"] for x in got["results"]] == ["a"] and got["totalHits"] == 1
    got = api.get(f"/workflow/{wid}/tasks", params={"status": "Completed,scheduled"}).json()
    assert [x["referenceTaskName"] for x in got["results"]] == ["a", "b"]


def test_queue_sizes_split_task_types_on_commas(api: httpx.Client, uniq: str) -> None:
    a, b = f"qa_{uniq}", f"qb_{uniq}"
    for t in (a, b):
        taskdef(api, t)
    name = register(api, uniq, [{"name": a, "taskReferenceName": "a"}])
    api.post("/workflow", json={"name": name})
    got = api.get("/tasks/queue/sizes", params={"taskType": f"{a},{b}"}).json()
    assert got == {a: 1, b: 0}


def test_get_workflow_summarize_leaves_out_task_payloads(api: httpx.Client, uniq: str) -> None:
    t = f"sm_{uniq}"
    taskdef(api, t)
    name = register(api, uniq, [{"name": t, "taskReferenceName": "a", "inputParameters": {"x": "${workflow.input.x}"}}])
    wid = api.post("/workflow", json={"name": name, "input": {"x": "big"}}).text
    full = api.get(f"/workflow/{wid}").json()
    assert full["tasks"][0]["inputData"] == {"x": "big"}
    short = api.get(f"/workflow/{wid}", params={"summarize": True}).json()
    assert short["input"] == {"x": "big"} and short["tasks"][0]["referenceTaskName"] == "a"
    assert "inputData" not in short["tasks"][0] and "outputData" not in short["tasks"][0]


def test_bulk_terminate_honours_trigger_failure_workflow(api: httpx.Client, uniq: str) -> None:
    t = f"bt_{uniq}"
    taskdef(api, t)
    failure = register(api, uniq + "_f", [{"name": "w", "taskReferenceName": "w", "type": "WAIT"}])
    name = register(api, uniq, [{"name": t, "taskReferenceName": "a"}], failureWorkflow=failure)
    plain = api.post("/workflow", json={"name": name}).text
    wid = api.post("/workflow", json={"name": name}).text
    r = api.post("/workflow/bulk/terminate", params={"reason": "x"}, json=[plain])
    assert r.json()["bulkSuccessfulResults"] == [plain]
    r = api.post("/workflow/bulk/terminate", params={"reason": "y", "triggerFailureWorkflow": True}, json=[wid])
    assert r.json()["bulkSuccessfulResults"] == [wid]
    assert "conductor.failure_workflow" not in api.get(f"/workflow/{plain}").json()["output"]
    assert api.get(f"/workflow/{wid}").json()["output"]["conductor.failure_workflow"]
