"""Signals: POST /api/tasks/{workflowId}/{status}/signal[/sync] over HTTP and through conductor-python."""

from __future__ import annotations

from typing import Any

import httpx

from conftest import wait_until


def _start(api: httpx.Client, uniq: str) -> str:
    child = {
        "name": f"sigchild_{uniq}",
        "version": 1,
        "tasks": [{"name": "approve", "taskReferenceName": "approve", "type": "HUMAN"}],
        "outputParameters": {"approved": "${approve.output.ok}"},
    }
    parent = {
        "name": f"sigparent_{uniq}",
        "version": 1,
        "tasks": [
            {"name": "first", "taskReferenceName": "first", "type": "WAIT"},
            {"name": "sub", "taskReferenceName": "sub", "type": "SUB_WORKFLOW",
             "subWorkflowParam": {"name": f"sigchild_{uniq}", "version": 1}},
            {"name": "last", "taskReferenceName": "last", "type": "WAIT"},
        ],
        "outputParameters": {"a": "${first.output.a}", "approved": "${sub.output.approved}", "z": "${last.output.z}"},
    }  # fmt: skip
    for d in (child, parent):
        assert api.post("/metadata/workflow", json=d).status_code == 200
    r = api.post("/workflow", json={"name": f"sigparent_{uniq}", "version": 1})
    assert r.status_code == 200, r.text
    wid = r.text
    wait_until(lambda: _pending(api, wid) == ["first"], what="the first WAIT")
    return wid


def _pending(api: httpx.Client, wid: str) -> list[str]:
    wf = api.get(f"/workflow/{wid}").json()
    return [t["referenceTaskName"] for t in wf["tasks"] if t["status"] in ("SCHEDULED", "IN_PROGRESS")]


def test_signals_reach_waits_and_humans_in_sub_workflows(api: httpx.Client, uniq: str) -> None:
    wid = _start(api, uniq)
    r = api.post(f"/tasks/{wid}/COMPLETED/signal/sync", params={"returnStrategy": "BLOCKING_TASK"}, json={"a": 1})
    assert r.status_code == 200, r.text
    blocking = r.json()
    # It waited until the workflow blocked again: on the HUMAN task of the sub-workflow.
    assert blocking["responseType"] == "BLOCKING_TASK" and blocking["targetWorkflowId"] == wid
    assert blocking["taskType"] == "HUMAN" and blocking["referenceTaskName"] == "approve"
    child_id = blocking["workflowId"]
    assert child_id != wid
    r = api.post(f"/tasks/{wid}/COMPLETED/signal/sync", params={"returnStrategy": "BLOCKING_WORKFLOW"}, json={})
    # The HUMAN was the first pending task: completed, the child ends and the parent blocks on "last".
    assert r.status_code == 200, r.text
    assert r.json()["responseType"] == "BLOCKING_WORKFLOW" and r.json()["workflowId"] == wid
    assert [t["referenceTaskName"] for t in r.json()["tasks"]][-1] == "last"
    r = api.post(f"/tasks/{wid}/COMPLETED/signal", json={"z": 9})
    assert r.status_code == 200 and r.content == b""
    wait_until(lambda: api.get(f"/workflow/{wid}").json()["status"] == "COMPLETED", what="the end")
    assert api.get(f"/workflow/{wid}").json()["output"] == {"a": 1, "approved": None, "z": 9}
    # Nothing left to signal: 404 with Conductor's body (not update-by-reference's 400).
    r = api.post(f"/tasks/{wid}/COMPLETED/signal", json={})
    assert r.status_code == 404 and "WAIT" in r.json()["message"]


def test_sync_default_is_target_workflow_and_bad_input_is_400(api: httpx.Client, uniq: str) -> None:
    wid = _start(api, uniq)
    assert api.post(f"/tasks/{wid}/DONE/signal", json={}).status_code == 400
    r = api.post(f"/tasks/{wid}/COMPLETED/signal/sync", params={"returnStrategy": "NOPE"}, json={})
    assert r.status_code == 400
    assert _pending(api, wid) == ["first"]  # refused before anything changed
    r = api.post(f"/tasks/{wid}/COMPLETED/signal/sync", json={"a": 5})
    body = r.json()
    assert body["responseType"] == "TARGET_WORKFLOW" and body["workflowId"] == wid
    assert body["targetWorkflowStatus"] == "RUNNING" and "signalTimeout" not in body
    assert api.post("/tasks/nope/COMPLETED/signal", json={}).status_code == 404


def test_conductor_python_signal_methods(server: Any, api: httpx.Client, uniq: str) -> None:
    from conductor.client.configuration.configuration import Configuration
    from conductor.client.http.api.task_resource_api import TaskResourceApi
    from conductor.client.http.api_client import ApiClient

    tasks = TaskResourceApi(ApiClient(Configuration(server_api_url=server.url + "/api")))
    wid = _start(api, uniq)
    resp = tasks.signal_workflow_task_sync(wid, "COMPLETED", {"a": 2}, return_strategy="TARGET_WORKFLOW")
    assert resp.target_workflow_id == wid and resp.response_type == "TARGET_WORKFLOW"
    wait_until(lambda: _pending(api, wid) == ["sub"] or "approve" in str(api.get(f"/workflow/{wid}").json()))
    tasks.signal_workflow_task_async(wid, "COMPLETED", {"ok": True})
    wait_until(lambda: _pending(api, wid) == ["last"], what="the last WAIT")
    wf = api.get(f"/workflow/{wid}").json()
    sub = next(t for t in wf["tasks"] if t["referenceTaskName"] == "sub")
    assert sub["outputData"]["approved"] is True
