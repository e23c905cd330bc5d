"""Worker protocol details over HTTP: callbacks, limits, timeouts, failure workflows, update-v2, priority."""

from __future__ import annotations

import time
from typing import Any

import httpx
from test_core_api import poll, register, taskdef, update

from conftest import wait_until


def test_in_progress_with_callback_requeues_after_delay(api: httpx.Client, uniq: str) -> None:
    t = f"cb_{uniq}"
    taskdef(api, t)
    name = register(api, uniq, [{"name": t, "taskReferenceName": "a"}])
    wid = api.post("/workflow", json={"name": name}).text
    [task] = poll(api, t)
    r = update(api, task, status="IN_PROGRESS", callbackAfterSeconds=1, outputData={"progress": 50})
    assert r.status_code == 200
    stored = api.get(f"/tasks/{task['taskId']}").json()
    assert stored["status"] == "SCHEDULED" and stored["callbackAfterSeconds"] == 1
    assert stored["outputData"] == {"progress": 50}
    assert poll(api, t) == []  # not before the callback delay
    started = time.monotonic()
    again = poll(api, t, timeout=3000)
    assert again and again[0]["taskId"] == task["taskId"] and again[0]["pollCount"] == 2
    assert time.monotonic() - started < 3
    update(api, again[0])
    assert api.get(f"/workflow/{wid}").json()["status"] == "COMPLETED"


def test_concurrent_exec_limit_holds_back_tasks(api: httpx.Client, uniq: str) -> None:
    t = f"cl_{uniq}"
    taskdef(api, t, concurrentExecLimit=1)
    name = register(api, uniq, [{"name": t, "taskReferenceName": "a"}])
    for _ in range(3):
        api.post("/workflow", json={"name": name})
    first = poll(api, t, count=3)
    assert len(first) == 1
    assert poll(api, t, count=3) == []  # the others were postponed while one runs


def test_rate_limit_per_frequency(api: httpx.Client, uniq: str) -> None:
    t = f"rl_{uniq}"
    taskdef(api, t, rateLimitPerFrequency=2, rateLimitFrequencyInSeconds=60)
    name = register(api, uniq, [{"name": t, "taskReferenceName": "a"}])
    for _ in range(4):
        api.post("/workflow", json={"name": name})
    got = poll(api, t, count=4)
    assert len(got) == 2
    for task in got:
        update(api, task)
    assert poll(api, t, count=4) == []


def test_response_timeout_is_enforced_by_the_sweeper(api: httpx.Client, uniq: str) -> None:
    t = f"rt_{uniq}"
    taskdef(api, t, responseTimeoutSeconds=1, retryCount=1, retryDelaySeconds=0, timeoutSeconds=0)
    name = register(api, uniq, [{"name": t, "taskReferenceName": "a"}])
    wid = api.post("/workflow", json={"name": name}).text
    [task] = poll(api, t)

    def timed_out() -> bool:
        tasks = api.get(f"/workflow/{wid}").json()["tasks"]
        return len(tasks) == 2 and tasks[0]["status"] == "TIMED_OUT"

    wait_until(timed_out, timeout=10, interval=0.1, what="response timeout")
    [retry] = poll(api, t, timeout=2000)
    assert retry["retryCount"] == 1 and retry["retriedTaskId"] == task["taskId"]
    assert update(api, task).status_code == 200  # the late worker's update is ignored
    assert api.get(f"/tasks/{task['taskId']}").json()["status"] == "TIMED_OUT"
    update(api, retry)
    assert api.get(f"/workflow/{wid}").json()["status"] == "COMPLETED"


def test_workflow_timeout_and_failure_workflow(api: httpx.Client, uniq: str) -> None:
    t, ft = f"wt_{uniq}", f"ft_{uniq}"
    taskdef(api, t)
    taskdef(api, ft)
    failure = register(api, uniq + "_fail", [{"name": ft, "taskReferenceName": "f"}])
    name = register(
        api,
        uniq,
        [{"name": t, "taskReferenceName": "a"}],
        timeoutSeconds=1,
        timeoutPolicy="TIME_OUT_WF",
        failureWorkflow=failure,
    )
    wid = api.post("/workflow", json={"name": name, "input": {"order": 7}, "correlationId": "cid"}).text
    wait_until(lambda: api.get(f"/workflow/{wid}").json()["status"] == "TIMED_OUT", timeout=10, interval=0.1)
    wf = api.get(f"/workflow/{wid}").json()
    assert wf["reasonForIncompletion"].startswith("Workflow timed out after")
    assert wf["tasks"][0]["status"] == "CANCELED"
    fid = wf["output"]["conductor.failure_workflow"]
    fwf = api.get(f"/workflow/{fid}").json()
    assert fwf["workflowName"] == failure and fwf["correlationId"] == "cid"
    assert fwf["input"]["workflowId"] == wid and fwf["input"]["order"] == 7
    assert fwf["input"]["failureStatus"] == "TIMED_OUT" and fwf["input"]["failedWorkflow"]["workflowId"] == wid


def test_update_v2_returns_the_next_task(api: httpx.Client, uniq: str) -> None:
    t = f"v2_{uniq}"
    taskdef(api, t)
    name = register(api, uniq, [{"name": t, "taskReferenceName": "a"}])
    for _ in range(2):
        api.post("/workflow", json={"name": name})
    [first] = poll(api, t, workerid="w9")
    body = {
        "workflowInstanceId": first["workflowInstanceId"],
        "taskId": first["taskId"],
        "status": "COMPLETED",
        "workerId": "w9",
    }
    r = api.post("/tasks/update-v2", json=body)
    assert r.status_code == 200
    nxt: dict[str, Any] = r.json()
    assert nxt["taskType"] == t and nxt["status"] == "IN_PROGRESS" and nxt["workerId"] == "w9"
    body = {"workflowInstanceId": nxt["workflowInstanceId"], "taskId": nxt["taskId"], "status": "COMPLETED"}
    r = api.post("/tasks/update-v2", json=body)
    assert r.status_code == 204 and not r.content


def test_priority_orders_the_queue(api: httpx.Client, uniq: str) -> None:
    t = f"pr_{uniq}"
    taskdef(api, t)
    name = register(api, uniq, [{"name": t, "taskReferenceName": "a"}])
    low = api.post("/workflow", json={"name": name, "priority": 1}).text
    high = api.post("/workflow", json={"name": name, "priority": 90}).text
    got = poll(api, t, count=2)
    assert [g["workflowInstanceId"] for g in got] == [high, low]
    assert api.post("/workflow", json={"name": name, "priority": 100}).status_code == 400


def test_start_delay(api: httpx.Client, uniq: str) -> None:
    t = f"sd_{uniq}"
    taskdef(api, t)
    name = register(api, uniq, [{"name": t, "taskReferenceName": "a", "startDelay": 1}])
    api.post("/workflow", json={"name": name})
    assert poll(api, t) == []
    assert poll(api, t, timeout=3000)


def test_inline_definition_runs_without_registration(api: httpx.Client, uniq: str) -> None:
    t = f"in_{uniq}"
    body = {
        "name": f"inline_{uniq}",
        "workflowDef": {"name": f"inline_{uniq}", "version": 1, "tasks": [{"name": t, "taskReferenceName": "a"}]},
        "input": {"v": 1},
    }
    wid = api.post("/workflow", json=body).text
    [task] = poll(api, t)  # an unregistered name runs with the ad-hoc defaults
    assert task["workflowInstanceId"] == wid
    assert api.get(f"/metadata/workflow/inline_{uniq}").status_code == 404
    unknown = api.post("/workflow", json={"name": f"nope_{uniq}"})
    assert unknown.status_code == 404 and unknown.json()["message"].startswith("No such workflow")


def test_a_retried_attempt_does_not_carry_what_the_failed_attempt_ran(api: httpx.Client, uniq: str) -> None:
    t = f"ra_{uniq}"
    taskdef(api, t, retryCount=1, retryDelaySeconds=0)
    name = register(api, uniq, [{"name": t, "taskReferenceName": "a"}])
    wid = api.post("/workflow", json={"name": name}).text
    [task] = poll(api, t, workerid="w-1")
    update(
        api,
        task,
        status="FAILED",
        reasonForIncompletion="boom",
        outputData={"partial": 1},
        externalOutputPayloadStoragePath="out/a.json",
        executionMetadata={"serverSendTime": 5},
    )
    old, new = api.get(f"/workflow/{wid}").json()["tasks"]
    assert old["externalOutputPayloadStoragePath"] == "out/a.json" and old["workerId"] == "w-1"
    assert new["status"] == "SCHEDULED" and new["retriedTaskId"] == old["taskId"]
    assert new["reasonForIncompletion"] == "boom"  # Conductor carries the reason into the next attempt
    assert new["outputData"] == {} and new["pollCount"] == 0 and new["startTime"] == 0
    for gone in ("workerId", "externalOutputPayloadStoragePath", "executionMetadata"):
        assert gone not in new, gone
    [again] = poll(api, t, workerid="w-2")
    assert again["taskId"] == new["taskId"] and again["workerId"] == "w-2"
    update(api, again)
    assert api.get(f"/workflow/{wid}").json()["status"] == "COMPLETED"
