"""The core REST API over real HTTP against a real server process and SQLite file."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from conftest import wait_until


def register(api: httpx.Client, uniq: str, tasks: list[dict[str, Any]], **extra: Any) -> str:
    name = f"wf_{uniq}"
    r = api.post("/metadata/workflow", json={"name": name, "version": 1, "tasks": tasks, **extra})
    assert r.status_code == 200, r.text
    return name


def taskdef(api: httpx.Client, name: str, **extra: Any) -> None:
    r = api.post("/metadata/taskdefs", json=[{"name": name, **extra}])
    assert r.status_code == 200, r.text


def poll(api: httpx.Client, task_type: str, count: int = 1, timeout: int = 0, **params: Any) -> list[dict[str, Any]]:
    r = api.get(f"/tasks/poll/batch/{task_type}", params={"count": count, "timeout": timeout, **params})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    tasks: list[dict[str, Any]] = r.json()
    return tasks


def update(api: httpx.Client, task: dict[str, Any], status: str = "COMPLETED", **extra: Any) -> httpx.Response:
    body = {"workflowInstanceId": task["workflowInstanceId"], "taskId": task["taskId"], "status": status, **extra}
    return api.post("/tasks", json=body)


def test_health_and_docs(server: Any) -> None:
    r = httpx.get(server.url + "/health")
    assert r.json() == {"healthResults": [], "suppressedHealthResults": [], "healthy": True}
    assert httpx.get(server.url + "/api/health").status_code == 200
    assert httpx.get(server.url + "/docs").status_code == 200
    spec = httpx.get(server.url + "/openapi.json").json()
    assert "/api/tasks/poll/batch/{tasktype}" in spec["paths"]


def test_task_def_crud_and_errors(api: httpx.Client, uniq: str) -> None:
    taskdef(api, uniq, retryCount=2)
    got = api.get(f"/metadata/taskdefs/{uniq}").json()
    assert got["retryCount"] == 2 and got["responseTimeoutSeconds"] == 3600 and got["timeoutPolicy"] == "TIME_OUT_WF"
    assert "createTime" in got
    r = api.put("/metadata/taskdefs", json={"name": uniq, "retryCount": 5})
    assert r.status_code == 200
    assert api.get(f"/metadata/taskdefs/{uniq}").json()["retryCount"] == 5
    assert api.put("/metadata/taskdefs", json={"name": uniq + "_missing"}).status_code == 404
    bad = api.post("/metadata/taskdefs", json=[{"name": uniq, "retryCount": -1}])
    assert bad.status_code == 400
    body = bad.json()
    assert body["status"] == 400 and body["validationErrors"] and "message" in body
    assert api.get(f"/metadata/taskdefs/{uniq}").json()["retryCount"] == 5  # nothing stored changed
    nf = api.get(f"/metadata/taskdefs/{uniq}_nope")
    assert nf.status_code == 404 and nf.json()["status"] == 404
    assert api.delete(f"/metadata/taskdefs/{uniq}").status_code == 200
    assert api.delete(f"/metadata/taskdefs/{uniq}").status_code == 404


def test_malformed_json_and_oversized_bodies_are_rejected(api: httpx.Client, uniq: str) -> None:
    r = api.post("/metadata/taskdefs", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "Malformed JSON" in r.json()["message"]
    r = api.post("/workflow", json={"name": uniq, "input": "not a map"})
    assert r.status_code == 400
    big = b'{"name": "x", "input": {"blob": "' + b"a" * (6 * 2**20) + b'"}}'
    r = api.post("/workflow", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["status"] == 413


def test_workflow_def_versions_and_conflict(api: httpx.Client, uniq: str) -> None:
    name = register(api, uniq, [{"name": "t", "taskReferenceName": "t", "type": "SIMPLE"}])
    dup = api.post(
        "/metadata/workflow", json={"name": name, "version": 1, "tasks": [{"name": "t", "taskReferenceName": "t"}]}
    )
    assert dup.status_code == 409 and dup.json()["message"] == f"Workflow with {name}.1 already exists!"
    r = api.post(
        "/metadata/workflow",
        params={"overwrite": "True"},
        json={"name": name, "version": 2, "tasks": [{"name": "t2", "taskReferenceName": "t2"}]},
    )
    assert r.status_code == 200
    assert api.get(f"/metadata/workflow/{name}").json()["version"] == 2
    assert api.get(f"/metadata/workflow/{name}", params={"version": 1}).json()["tasks"][0]["name"] == "t"
    invalid = api.post("/metadata/workflow", json={"name": name + "x", "tasks": []})
    assert invalid.status_code == 400 and invalid.json()["validationErrors"]
    assert api.get(f"/metadata/workflow/{name}x").status_code == 404
    assert api.delete(f"/metadata/workflow/{name}/2").status_code == 200
    assert api.get(f"/metadata/workflow/{name}").json()["version"] == 1


def test_start_poll_update_complete(api: httpx.Client, uniq: str) -> None:
    t1, t2 = f"a_{uniq}", f"b_{uniq}"
    taskdef(api, t1)
    taskdef(api, t2)
    name = register(
        api,
        uniq,
        [
            {"name": t1, "taskReferenceName": "a", "inputParameters": {"x": "${workflow.input.x}"}},
            {"name": t2, "taskReferenceName": "b", "inputParameters": {"y": "${a.output.y}"}},
        ],
        outputParameters={"final": "${b.output.z}"},
    )
    r = api.post("/workflow", json={"name": name, "input": {"x": 5}, "correlationId": "c-1"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    wid = r.text
    assert poll(api, t2) == []
    [task] = poll(api, t1, count=5, workerid="w1")
    assert task["inputData"] == {"x": 5} and task["status"] == "IN_PROGRESS" and task["workerId"] == "w1"
    assert task["pollCount"] == 1 and task["correlationId"] == "c-1"
    r = update(api, task, outputData={"y": 7})
    assert r.status_code == 200 and r.text == task["taskId"]
    [task2] = poll(api, t2)
    assert task2["inputData"] == {"y": 7}
    assert update(api, task2, outputData={"z": "done"}).status_code == 200
    wf = api.get(f"/workflow/{wid}").json()
    assert wf["status"] == "COMPLETED" and wf["output"] == {"final": "done"}
    assert [t["referenceTaskName"] for t in wf["tasks"]] == ["a", "b"]
    assert [t["seq"] for t in wf["tasks"]] == [1, 2]
    assert wf["workflowName"] == name and wf["workflowVersion"] == 1 and wf["correlationId"] == "c-1"
    slim = api.get(f"/workflow/{wid}", params={"includeTasks": "false"}).json()
    assert slim["tasks"] == []
    status = api.get(f"/workflow/{wid}/status", params={"includeOutput": "true"}).json()
    assert status == {"workflowId": wid, "status": "COMPLETED", "correlationId": "c-1", "output": {"final": "done"}}
    # a late duplicate update is ignored with 200
    assert update(api, task2, status="FAILED").status_code == 200
    assert api.get(f"/tasks/{task2['taskId']}").json()["status"] == "COMPLETED"


def test_single_poll_204_and_unknown_task_update_404(api: httpx.Client, uniq: str) -> None:
    r = api.get(f"/tasks/poll/{uniq}")
    assert r.status_code == 204 and r.content == b""
    r = api.post("/tasks", json={"workflowInstanceId": "nope", "taskId": "nope", "status": "COMPLETED"})
    assert r.status_code == 404 and r.json()["status"] == 404
    r = api.post("/tasks", json={"taskId": "x", "status": "DONE"})
    assert r.status_code == 400
    r = api.get(f"/tasks/poll/batch/{uniq}", params={"timeout": 6000})
    assert r.status_code == 400


def test_long_poll_is_woken_by_start(api: httpx.Client, server: Any, uniq: str) -> None:
    import threading

    t = f"lp_{uniq}"
    taskdef(api, t)
    name = register(api, uniq, [{"name": t, "taskReferenceName": "a"}])
    got: list[Any] = []

    def waiter() -> None:
        with httpx.Client(base_url=server.url + "/api", timeout=30) as c:
            got.append(c.get(f"/tasks/poll/batch/{t}", params={"count": 1, "timeout": 5000}).json())

    th = threading.Thread(target=waiter)
    th.start()
    wait_until(lambda: bool(api.get("/tasks/queue/polldata", params={"taskType": t}).json()), what="poll recorded")
    wid = api.post("/workflow", json={"name": name}).text
    th.join(10)
    assert got and got[0] and got[0][0]["workflowInstanceId"] == wid


def test_retry_after_failure_and_task_logs(api: httpx.Client, uniq: str) -> None:
    t = f"r_{uniq}"
    taskdef(api, t, retryCount=1, retryDelaySeconds=0)
    name = register(api, uniq, [{"name": t, "taskReferenceName": "a"}])
    wid = api.post("/workflow", json={"name": name}).text
    # OSS Conductor answers a retry of a running workflow with 404 "Workflow is still running"
    # (docs/compatibility.md#retry-restart-rerun-and-skip)
    running = api.post(f"/workflow/{wid}/retry")
    assert running.status_code == 404 and running.json()["message"].startswith("Workflow is still running")
    [task] = poll(api, t)
    r = update(api, task, status="FAILED", reasonForIncompletion="boom", logs=[{"log": "line1", "createdTime": 1}])
    assert r.status_code == 200
    assert api.get(f"/tasks/{task['taskId']}/log").json()[0]["log"] == "line1"
    api.post(f"/tasks/{task['taskId']}/log", content=b"raw text line")
    assert [lg["log"] for lg in api.get(f"/tasks/{task['taskId']}/log").json()] == ["line1", "raw text line"]
    [again] = poll(api, t)
    assert again["retryCount"] == 1 and again["retriedTaskId"] == task["taskId"]
    update(api, again, status="FAILED", reasonForIncompletion="boom2")
    wf = api.get(f"/workflow/{wid}").json()
    assert wf["status"] == "FAILED" and "boom2" in wf["reasonForIncompletion"]
    assert wf["failedReferenceTaskNames"] == ["a"]
    # workflow-level retry creates a new attempt and re-opens the workflow
    assert api.post(f"/workflow/{wid}/retry").status_code == 204
    [third] = poll(api, t)
    assert third["retryCount"] == 2
    update(api, third)
    assert api.get(f"/workflow/{wid}").json()["status"] == "COMPLETED"
    # nothing left to retry in a COMPLETED workflow: 409 "There are no retryable tasks"
    # (docs/compatibility.md#retry-restart-rerun-and-skip)
    again_retry = api.post(f"/workflow/{wid}/retry")
    assert again_retry.status_code == 409
    assert again_retry.json()["message"].startswith("There are no retryable tasks!")


def test_pause_resume_terminate_restart_rerun(api: httpx.Client, uniq: str) -> None:
    a, b = f"pa_{uniq}", f"pb_{uniq}"
    taskdef(api, a)
    taskdef(api, b)
    name = register(api, uniq, [{"name": a, "taskReferenceName": "a"}, {"name": b, "taskReferenceName": "b"}])
    wid = api.post("/workflow", json={"name": name, "input": {"k": 1}}).text
    assert api.put(f"/workflow/{wid}/pause").status_code == 200
    assert api.get(f"/workflow/{wid}").json()["status"] == "PAUSED"
    [ta] = poll(api, a)
    update(api, ta)
    assert poll(api, b) == []  # paused: nothing new scheduled
    assert api.put(f"/workflow/{wid}/resume").status_code == 200
    assert api.put(f"/workflow/{wid}/resume").status_code == 409  # Conductor: 500; a refusal is no server error
    [tb] = poll(api, b)
    r = api.delete(f"/workflow/{wid}", params={"reason": "stop it"})
    assert r.status_code == 200
    wf = api.get(f"/workflow/{wid}").json()
    assert wf["status"] == "TERMINATED" and wf["reasonForIncompletion"] == "stop it"
    assert wf["tasks"][-1]["status"] == "CANCELED"
    assert update(api, tb).status_code == 200  # ignored
    assert api.put(f"/workflow/{wid}/pause").status_code == 409
    assert api.post(f"/workflow/{wid}/restart").status_code == 204
    wf = api.get(f"/workflow/{wid}").json()
    assert wf["status"] == "RUNNING" and len(wf["tasks"]) == 1 and wf["input"] == {"k": 1}
    [ta] = poll(api, a)
    update(api, ta, outputData={"o": 1})
    [tb] = poll(api, b)
    update(api, tb)
    assert api.get(f"/workflow/{wid}").json()["status"] == "COMPLETED"
    assert api.delete(f"/workflow/{wid}").status_code == 409
    r = api.post(f"/workflow/{wid}/rerun", json={"reRunFromTaskId": tb["taskId"], "taskInput": {"again": True}})
    assert r.status_code == 200 and r.text == wid
    [tb2] = poll(api, b)
    assert tb2["taskId"] == tb["taskId"] and tb2["inputData"] == {"again": True}
    update(api, tb2)
    assert api.get(f"/workflow/{wid}").json()["status"] == "COMPLETED"


def test_skip_task_and_remove(api: httpx.Client, uniq: str) -> None:
    a, b, c = f"sa_{uniq}", f"sb_{uniq}", f"sc_{uniq}"
    for t in (a, b, c):
        taskdef(api, t)
    name = register(
        api,
        uniq,
        [
            {"name": a, "taskReferenceName": "a"},
            {"name": b, "taskReferenceName": "b"},
            {"name": c, "taskReferenceName": "c"},
        ],
    )
    wid = api.post("/workflow", json={"name": name}).text
    r = api.put(f"/workflow/{wid}/skiptask/b", json={"taskOutput": {"skipped": True}})
    assert r.status_code == 200
    assert api.put(f"/workflow/{wid}/skiptask/a").status_code == 409
    [ta] = poll(api, a)
    update(api, ta)
    assert poll(api, b) == []
    [tc] = poll(api, c)
    update(api, tc)
    wf = api.get(f"/workflow/{wid}").json()
    assert wf["status"] == "COMPLETED"
    assert [(t["referenceTaskName"], t["status"]) for t in wf["tasks"]] == [
        ("b", "SKIPPED"),
        ("a", "COMPLETED"),
        ("c", "COMPLETED"),
    ] or [t["status"] for t in wf["tasks"]].count("SKIPPED") == 1
    assert api.delete(f"/workflow/{wid}/remove").status_code == 200
    assert api.get(f"/workflow/{wid}").status_code == 404


def test_start_by_name_correlated_running_and_queue_admin(api: httpx.Client, uniq: str) -> None:
    t = f"q_{uniq}"
    taskdef(api, t)
    name = register(api, uniq, [{"name": t, "taskReferenceName": "a"}])
    r = api.post(f"/workflow/{name}", params={"correlationId": "cx", "priority": 3}, json={"in": 1})
    wid = r.text
    assert api.get(f"/workflow/running/{name}").json() == [wid]
    cor = api.get(f"/workflow/{name}/correlated/cx").json()
    assert [w["workflowId"] for w in cor] == [wid]
    assert api.get("/tasks/queue/sizes", params={"taskType": t}).json() == {t: 1}
    assert api.get("/tasks/queue/size", params={"taskType": t}).json() == 1
    pd = api.get("/tasks/queue/polldata", params={"taskType": t}).json()
    assert pd == []
    [task] = poll(api, t, workerid="wk")
    assert task["workflowPriority"] == 3
    pd = api.get("/tasks/queue/polldata", params={"taskType": t}).json()
    assert pd[0]["workerId"] == "wk" and pd[0]["queueName"] == t
    bulk = api.post("/workflow/bulk/terminate", json=[wid, "missing-id"]).json()
    assert bulk["bulkSuccessfulResults"] == [wid] and "missing-id" in bulk["bulkErrorResults"]


def test_task_to_domain_routes_to_polling_domain(api: httpx.Client, uniq: str) -> None:
    t = f"d_{uniq}"
    taskdef(api, t)
    name = register(api, uniq, [{"name": t, "taskReferenceName": "a"}])
    assert poll(api, t, domain="laptop") == []  # makes the domain active
    wid = api.post("/workflow", json={"name": name, "taskToDomain": {"*": "laptop,NO_DOMAIN"}}).text
    assert poll(api, t) == []
    [task] = poll(api, t, domain="laptop")
    assert task["domain"] == "laptop" and task["workflowInstanceId"] == wid


def test_prometheus_metrics(api: httpx.Client, server: Any, uniq: str) -> None:
    t = f"m_{uniq}"
    taskdef(api, t)
    name = register(api, uniq, [{"name": t, "taskReferenceName": "a"}])
    api.post("/workflow", json={"name": name})
    [task] = poll(api, t)
    update(api, task)
    text = httpx.get(server.url + "/metrics").text
    assert f'workflow_start_request_total{{workflowName="{name}"}} 1.0' in text
    assert f'task_update_total{{status="COMPLETED",taskType="{t}"}} 1.0' in text
    assert f'workflow_completion_total{{status="COMPLETED",workflowName="{name}"}} 1.0' in text
    assert f'task_poll_count_total{{taskType="{t}"}} 1.0' in text


def test_search_endpoints(api: httpx.Client, uniq: str) -> None:
    t = f"s_{uniq}"
    taskdef(api, t)
    name = register(api, uniq, [{"name": t, "taskReferenceName": "a"}])
    needle = uuid.uuid4().hex
    done = api.post("/workflow", json={"name": name, "correlationId": "k1", "input": {"needle": needle}}).text
    [task] = poll(api, t)
    update(api, task, outputData={"r": 1})
    running = api.post("/workflow", json={"name": name, "correlationId": "k2"}).text
    res = api.get("/workflow/search", params={"query": f"workflowType IN ({name})", "sort": "startTime:ASC"}).json()
    assert res["totalHits"] == 2 and [r["workflowId"] for r in res["results"]] == [done, running]
    summary = res["results"][0]
    assert summary["status"] == "COMPLETED" and summary["workflowType"] == name and summary["correlationId"] == "k1"
    assert isinstance(summary["input"], str) and summary["startTime"].endswith("Z")
    only = api.get("/workflow/search", params={"query": f"workflowType = {name} AND status = RUNNING"}).json()
    assert [r["workflowId"] for r in only["results"]] == [running]
    v2 = api.get("/workflow/search-v2", params={"query": f"workflowType = {name}", "freeText": needle}).json()
    assert v2["totalHits"] == 1 and v2["results"][0]["workflowId"] == done
    tasks = api.get("/tasks/search", params={"query": f"taskType = {t}"}).json()
    assert {r["taskId"] for r in tasks["results"]} >= {task["taskId"]}
    bad = api.get("/workflow/search", params={"query": "nosuchfield = 1"})
    assert bad.status_code == 400 and bad.json()["status"] == 400


def test_admin_endpoints(api: httpx.Client, uniq: str) -> None:
    t = f"adm_{uniq}"
    taskdef(api, t)
    name = register(api, uniq, [{"name": t, "taskReferenceName": "a"}])
    wid = api.post("/workflow", json={"name": name}).text
    pending = api.get(f"/admin/task/{t}").json()
    assert [p["workflowInstanceId"] for p in pending] == [wid]
    assert api.post(f"/admin/sweep/requeue/{wid}").text == "true"
    assert api.post("/admin/sweep/requeue/no-such-workflow").text == "false"
    assert isinstance(api.get("/admin/queues").json(), dict)
    assert api.get("/admin/config").json()["version"]


def test_bulk_endpoints_are_not_taken_for_single_workflow_routes(api: httpx.Client, uniq: str) -> None:
    """/bulk/pause and /{workflow_id}/pause share a shape: every bulk path must reach the bulk handler."""
    t = f"bk_{uniq}"
    taskdef(api, t)
    name = register(api, uniq, [{"name": t, "taskReferenceName": "a"}])
    ids = [api.post("/workflow", json={"name": name}).text for _ in range(2)]

    def ok(r: httpx.Response) -> list[Any]:
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["message"] == "Bulk Request has been processed." and not body["bulkErrorResults"]
        return list(body["bulkSuccessfulResults"])

    assert ok(api.put("/workflow/bulk/pause", json=ids)) == ids
    assert {api.get(f"/workflow/{w}").json()["status"] for w in ids} == {"PAUSED"}
    assert ok(api.put("/workflow/bulk/resume", json=ids)) == ids
    assert ok(api.post("/workflow/bulk/terminate", json=ids, params={"reason": "bulk"})) == ids
    assert ok(api.post("/workflow/bulk/retry", json=ids)) == ids
    assert ok(api.post("/workflow/bulk/terminate", json=ids)) == ids
    assert ok(api.post("/workflow/bulk/restart", json=ids)) == ids
    assert {api.get(f"/workflow/{w}").json()["status"] for w in ids} == {"RUNNING"}
    assert [w["workflowId"] for w in ok(api.post("/workflow/bulk/search", json=ids))] == ids
    assert ok(api.request("DELETE", "/workflow/bulk/terminate-remove", json=ids[:1])) == ids[:1]
    assert ok(api.request("DELETE", "/workflow/bulk/remove", json=ids[1:])) == ids[1:]
    assert all(api.get(f"/workflow/{w}").status_code == 404 for w in ids)
