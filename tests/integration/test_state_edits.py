"""Workflow state edits, sync execute's return strategies and small wire differences, over HTTP (issue #14)."""

from __future__ import annotations

from typing import Any

import httpx
from test_core_api import poll, register, taskdef


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


# -- state edits -----------------------------------------------------------------------------------
def _waiting(api: httpx.Client, uniq: str, **extra: Any) -> tuple[str, str]:
    """A workflow blocked on an open-ended WAIT ``w``, then an INLINE echo of variables and w's output."""
    tasks = [
        {"name": "w", "taskReferenceName": "w", "type": "WAIT"},
        {
            "name": "echo",
            "taskReferenceName": "echo",
            "type": "INLINE",
            "inputParameters": {
                "evaluatorType": "graaljs",
                "expression": "$.v",
                "v": {"vars": "${workflow.variables}", "w": "${w.output}"},
            },
        },
    ]
    name = register(api, uniq, tasks, variables={"keep": 1, "a": 0}, **extra)
    wid = api.post("/workflow", json={"name": name}).text
    return name, wid


def test_update_variables_merges_and_answers_the_workflow(api: httpx.Client, uniq: str) -> None:
    _, wid = _waiting(api, uniq)
    r = api.post(f"/workflow/{wid}/variables", json={"a": 2, "b": {"c": 3}})
    assert r.status_code == 200, r.text
    wf = r.json()
    assert wf["workflowId"] == wid and wf["variables"] == {"keep": 1, "a": 2, "b": {"c": 3}}
    assert api.get(f"/workflow/{wid}").json()["variables"] == {"keep": 1, "a": 2, "b": {"c": 3}}
    assert api.post(f"/workflow/{wid}/variables", json=[1]).status_code == 400
    api.delete(f"/workflow/{wid}")
    r = api.post(
        f"/workflow/{wid}/state",
        json={"variables": {"late": True}, "taskReferenceName": "w", "taskResult": {"status": "COMPLETED"}},
    )
    assert r.status_code == 200 and r.json()["status"] == "TERMINATED"
    wf = api.get(f"/workflow/{wid}").json()
    assert wf["variables"]["late"] is True and wf["tasks"][0]["status"] == "CANCELED"
    assert api.post("/workflow/nope_missing/variables", json={"a": 1}).status_code == 404


def test_update_state_sets_variables_completes_the_task_and_waits(api: httpx.Client, uniq: str) -> None:
    _, wid = _waiting(api, uniq)
    body = {
        "taskReferenceName": "w",
        "taskResult": {"status": "COMPLETED", "outputData": {"ok": True}},
        "variables": {"a": 5},
    }
    r = api.post(f"/workflow/{wid}/state", params={"requestId": "r1", "waitForSeconds": 5}, json=body)
    assert r.status_code == 200, r.text
    run = r.json()
    assert run["status"] == "COMPLETED" and run["requestId"] == "r1" and run["targetWorkflowId"] == wid
    echo = run["tasks"][-1]
    assert echo["outputData"]["result"] == {"vars": {"keep": 1, "a": 5}, "w": {"ok": True}}
    bad = api.post(f"/workflow/{wid}/state", json={"taskResult": {"status": "COMPLETED"}})
    assert bad.status_code == 400


def test_update_state_through_conductor_python(server: Any, api: httpx.Client, uniq: str) -> None:
    from conductor.client.configuration.configuration import Configuration
    from conductor.client.http.models.task_result import TaskResult
    from conductor.client.http.models.workflow_state_update import WorkflowStateUpdate
    from conductor.client.orkes.orkes_workflow_client import OrkesWorkflowClient

    _, wid = _waiting(api, uniq)
    client = OrkesWorkflowClient(Configuration(server_api_url=server.url + "/api"))
    client.update_variables(wid, {"a": 9})
    assert api.get(f"/workflow/{wid}").json()["variables"]["a"] == 9
    update = WorkflowStateUpdate(
        task_reference_name="w",
        task_result=TaskResult(status="COMPLETED", output_data={"by": "sdk"}),
        variables={"b": 1},
    )
    run = client.update_state(wid, update, wait_for_seconds=5)
    assert run.status == "COMPLETED"
    assert run.output["result"] == {"vars": {"keep": 1, "a": 9, "b": 1}, "w": {"by": "sdk"}}


# -- sync execute: return strategies -------------------------------------------------------------
def _nested(api: httpx.Client, uniq: str) -> str:
    """A parent whose sub-workflow blocks on an open-ended WAIT."""
    child = register(
        api,
        uniq + "_o",
        [{"name": "w", "taskReferenceName": "inner", "type": "WAIT", "inputParameters": {"x": "${workflow.input.x}"}}],
    )
    sub = {
        "name": "s",
        "taskReferenceName": "sub",
        "type": "SUB_WORKFLOW",
        "subWorkflowParam": {"name": child, "version": 1},
        "inputParameters": {"x": "${workflow.input.x}"},
    }
    return register(api, uniq, [sub])


def test_execute_blocking_strategies_look_into_sub_workflows(api: httpx.Client, uniq: str) -> None:
    name = _nested(api, uniq)
    body = {"name": "ignored_body_name", "input": {"x": 7}}
    params: dict[str, Any] = {"waitForSeconds": 5, "requestId": "q"}
    run = api.post(f"/workflow/execute/{name}/1", params=params, json=body).json()
    assert run["responseType"] == "TARGET_WORKFLOW" and run["status"] == "RUNNING" and "signalTimeout" not in run
    top = run["workflowId"]
    assert api.get(f"/workflow/{top}").json()["workflowName"] == name  # the path's name won

    run = api.post(
        f"/workflow/execute/{name}/1", params={**params, "returnStrategy": "BLOCKING_WORKFLOW"}, json=body
    ).json()
    assert run["responseType"] == "BLOCKING_WORKFLOW" and run["workflowId"] != run["targetWorkflowId"]
    sub = api.get(f"/workflow/{run['workflowId']}").json()
    assert sub["parentWorkflowId"] == run["targetWorkflowId"] and run["tasks"][0]["referenceTaskName"] == "inner"

    run = api.post(
        f"/workflow/execute/{name}/1", params={**params, "returnStrategy": "BLOCKING_TASK"}, json=body
    ).json()
    assert run["responseType"] == "BLOCKING_TASK" and run["referenceTaskName"] == "inner"
    assert run["taskType"] == "WAIT" and run["status"] == "IN_PROGRESS" and run["input"]["x"] == 7
    assert run["targetWorkflowStatus"] == "RUNNING" and run["requestId"] == "q" and "output" in run

    run = api.post(
        f"/workflow/execute/{name}/1", params={**params, "returnStrategy": "blocking_task_input"}, json=body
    ).json()
    assert run["responseType"] == "BLOCKING_TASK_INPUT" and run["input"]["x"] == 7 and run["taskId"]
    assert api.post(f"/workflow/execute/{name}/1", params={"returnStrategy": "NOPE"}, json=body).status_code == 400


def test_execute_does_not_stop_at_a_timed_wait(api: httpx.Client, uniq: str) -> None:
    name = register(
        api,
        uniq,
        [{"name": "t", "taskReferenceName": "timed", "type": "WAIT", "inputParameters": {"duration": "1 days"}}],
    )
    r = api.post(f"/workflow/execute/{name}/1", params={"waitForSeconds": 1}, json={})
    run = r.json()
    assert run["status"] == "RUNNING" and run["signalTimeout"] is True
    run = api.post(
        f"/workflow/execute/{name}/1", params={"waitForSeconds": 1, "returnStrategy": "BLOCKING_TASK"}, json={}
    ).json()
    # Nothing blocks: the workflow itself, labelled as what it is.
    assert run["responseType"] == "TARGET_WORKFLOW" and run["signalTimeout"] is True and run["tasks"]


def test_execute_with_return_strategy_through_conductor_python(server: Any, api: httpx.Client, uniq: str) -> None:
    from conductor.client.configuration.configuration import Configuration
    from conductor.client.http.models.start_workflow_request import StartWorkflowRequest
    from conductor.client.orkes.orkes_workflow_client import OrkesWorkflowClient

    name = _nested(api, uniq)
    client = OrkesWorkflowClient(Configuration(server_api_url=server.url + "/api"))
    req = StartWorkflowRequest(name=name, version=1, input={"x": 4})
    resp = client.execute_workflow_with_return_strategy(req, wait_for_seconds=5, return_strategy="BLOCKING_TASK_INPUT")
    assert resp.is_blocking_task_input() and resp.get_task_input() == {"x": 4}
    task = resp.get_blocking_task()
    assert task is not None and task["referenceTaskName"] == "inner" and task["taskType"] == "WAIT"
    resp = client.execute_workflow_with_return_strategy(req, wait_for_seconds=5, return_strategy="BLOCKING_WORKFLOW")
    wf = resp.get_workflow()
    assert resp.is_blocking_workflow() and wf is not None and wf["workflowId"] != wf["targetWorkflowId"]
    resp = client.execute_workflow_with_return_strategy(req, wait_for_seconds=5)
    assert resp.is_target_workflow() and resp.workflow_id == resp.target_workflow_id


# -- jump ------------------------------------------------------------------------------------------
def test_jump_cancels_the_running_task_and_goes_on_from_the_target(server: Any, api: httpx.Client, uniq: str) -> None:
    t = f"j_{uniq}"
    taskdef(api, t)
    tasks = [
        {"name": t, "taskReferenceName": "a"},
        {"name": t, "taskReferenceName": "b"},
        {"name": t, "taskReferenceName": "c", "inputParameters": {"v": "${workflow.input.v}"}},
    ]
    name = register(api, uniq, tasks)
    wid = api.post("/workflow", json={"name": name, "input": {"v": 1}}).text
    r = api.post(f"/workflow/{wid}/jump/c", json={"extra": 2})
    assert r.status_code == 200, r.text
    wf = api.get(f"/workflow/{wid}").json()
    assert [(x["referenceTaskName"], x["status"]) for x in wf["tasks"]] == [("a", "CANCELED"), ("c", "SCHEDULED")]
    assert wf["tasks"][1]["inputData"] == {"v": 1, "extra": 2}
    [got] = poll(api, t)
    assert got["referenceTaskName"] == "c"  # a's queue entry went with the cancel
    api.post("/tasks", json={"workflowInstanceId": wid, "taskId": got["taskId"], "status": "COMPLETED"})
    assert api.get(f"/workflow/{wid}").json()["status"] == "COMPLETED"
    assert api.post(f"/workflow/{wid}/jump/a", json={}).status_code == 409  # no longer running

    # Backwards, through conductor-python (which sends the reference as a query parameter).
    from conductor.client.configuration.configuration import Configuration
    from conductor.client.http.api.workflow_resource_api import WorkflowResourceApi
    from conductor.client.http.api_client import ApiClient

    wid = api.post("/workflow", json={"name": name, "input": {"v": 1}}).text
    [a] = poll(api, t)
    api.post("/tasks", json={"workflowInstanceId": wid, "taskId": a["taskId"], "status": "COMPLETED"})
    sdk = WorkflowResourceApi(ApiClient(Configuration(server_api_url=server.url + "/api")))
    sdk.jump_to_task({}, wid, task_reference_name="a")
    wf = api.get(f"/workflow/{wid}").json()
    assert [(x["referenceTaskName"], x["status"]) for x in wf["tasks"]] == [
        ("a", "COMPLETED"),
        ("b", "CANCELED"),
        ("a", "SCHEDULED"),
    ]
    assert api.post(f"/workflow/{wid}/jump/nope", json={}).status_code == 400


# -- exact semantics -------------------------------------------------------------------------------
def test_workflow_retry_resolves_the_new_attempts_input_with_its_own_id(api: httpx.Client, uniq: str) -> None:
    t = f"rt_{uniq}"
    taskdef(api, t, retryCount=0)
    params = {"me": "${CPEWF_TASK_ID}", "x": "${workflow.input.x}"}
    name = register(api, uniq, [{"name": t, "taskReferenceName": "a", "inputParameters": params}])
    wid = api.post("/workflow", json={"name": name, "input": {"x": 3}}).text
    [first] = poll(api, t)
    assert first["inputData"] == {"me": first["taskId"], "x": 3}
    api.post("/tasks", json={"workflowInstanceId": wid, "taskId": first["taskId"], "status": "FAILED"})
    assert api.get(f"/workflow/{wid}").json()["status"] == "FAILED"
    assert api.post(f"/workflow/{wid}/retry").status_code == 204
    [second] = poll(api, t)
    assert second["taskId"] != first["taskId"]
    assert second["inputData"] == {"me": second["taskId"], "x": 3}


def test_an_inline_sub_workflow_reads_its_own_input(api: httpx.Client, uniq: str) -> None:
    echo = {
        "name": "echo",
        "taskReferenceName": "echo",
        "type": "INLINE",
        "inputParameters": {"evaluatorType": "graaljs", "expression": "$.v", "v": "${workflow.input.x}"},
    }
    inline = {
        "name": f"inl_{uniq}",
        "version": 1,
        "tasks": [echo],
        "outputParameters": {"got": "${echo.output.result}"},
    }
    sub = {
        "name": "s",
        "taskReferenceName": "sub",
        "type": "SUB_WORKFLOW",
        "subWorkflowParam": {"name": f"inl_{uniq}", "workflowDefinition": inline},
        "inputParameters": {"x": "child's"},
    }
    name = register(api, uniq, [sub], outputParameters={"got": "${sub.output.got}"})
    run = api.post(
        f"/workflow/execute/{name}/1", params={"waitForSeconds": 5}, json={"input": {"x": "parent's"}}
    ).json()
    assert run["status"] == "COMPLETED" and run["output"] == {"got": "child's"}


# -- upgrade ---------------------------------------------------------------------------------------
def test_upgrade_moves_a_running_workflow_to_another_version(api: httpx.Client, uniq: str) -> None:
    t = f"up_{uniq}"
    taskdef(api, t)
    name = register(api, uniq, [{"name": t, "taskReferenceName": "a"}, {"name": t, "taskReferenceName": "b"}])
    v2 = {
        "name": name,
        "version": 2,
        "tasks": [
            {"name": t, "taskReferenceName": "pre"},
            {"name": t, "taskReferenceName": "a"},
            {
                "name": t,
                "taskReferenceName": "c",
                "inputParameters": {"p": "${pre.output.k}", "i": "${workflow.input.i}"},
            },
        ],
    }
    assert api.post("/metadata/workflow", json=v2).status_code == 200
    wid = api.post("/workflow", json={"name": name, "version": 1, "input": {"i": 1}}).text
    body = {"name": name, "version": 2, "taskOutput": {"pre": {"k": "given"}}, "workflowInput": {"i": 2}}
    r = api.post(f"/workflow/{wid}/upgrade", json=body)
    assert r.status_code == 200, r.text
    wf = api.get(f"/workflow/{wid}").json()
    assert wf["workflowVersion"] == 2 and wf["input"] == {"i": 2}
    assert [(x["referenceTaskName"], x["status"]) for x in wf["tasks"]] == [("a", "SCHEDULED"), ("pre", "SKIPPED")]
    assert wf["tasks"][1]["outputData"] == {"k": "given"}
    [a] = poll(api, t)
    assert a["referenceTaskName"] == "a"
    api.post("/tasks", json={"workflowInstanceId": wid, "taskId": a["taskId"], "status": "COMPLETED"})
    [c] = poll(api, t)
    assert c["referenceTaskName"] == "c" and c["inputData"] == {"p": "given", "i": 2}  # v2 goes on after a, not b
    bad = {"name": name, "version": 1}
    api.post("/workflow/bulk/terminate", json=[wid])
    assert api.post(f"/workflow/{wid}/upgrade", json=bad).status_code == 409
    other = api.post("/workflow", json={"name": name, "version": 2}).text
    assert api.post(f"/workflow/{other}/upgrade", json={"name": name, "version": 1}).status_code == 400  # pre not in v1
    assert api.post(f"/workflow/{other}/upgrade", json={"name": name, "version": 9}).status_code == 404
    assert api.post(f"/workflow/{other}/upgrade", json={"name": "x" + name, "version": 1}).status_code == 400
