"""POST /api/workflow/test: a workflow run with mocked worker outputs, over HTTP and through conductor-python."""

from __future__ import annotations

from typing import Any

import httpx


def _simple(name: str, ref: str, **inputs: Any) -> dict[str, Any]:
    return {"name": name, "taskReferenceName": ref, "type": "SIMPLE", "inputParameters": inputs}


def _definition(uniq: str) -> dict[str, Any]:
    return {
        "name": f"wftest_{uniq}",
        "version": 1,
        "schemaVersion": 2,
        "tasks": [
            _simple(f"charge_{uniq}", "charge", amount="${workflow.input.amount}"),
            {
                "name": "route",
                "taskReferenceName": "route",
                "type": "SWITCH",
                "evaluatorType": "value-param",
                "expression": "tier",
                "inputParameters": {"tier": "${charge.output.tier}"},
                "decisionCases": {"gold": [_simple(f"gift_{uniq}", "gift", who="${charge.output.who}")]},
                "defaultCase": [],
            },
        ],
        "outputParameters": {"gift": "${gift.output.sent}"},
    }


def test_runs_to_the_end_with_mocks_retries_included(api: httpx.Client, uniq: str) -> None:
    r = api.post("/metadata/taskdefs", json=[{"name": f"charge_{uniq}", "retryCount": 1, "retryDelaySeconds": 600}])
    assert r.status_code == 200
    body = {
        "name": f"wftest_{uniq}",
        "workflowDef": _definition(uniq),
        "input": {"amount": 7},
        "taskRefToMockOutput": {
            "charge": [
                {"status": "FAILED", "output": {"why": "card declined"}},
                {"status": "COMPLETED", "output": {"tier": "gold", "who": "ann"}},
            ],
            "gift": [{"status": "COMPLETED", "output": {"sent": True}}],
        },
    }
    r = api.post("/workflow/test", json=body)
    assert r.status_code == 200, r.text
    wf = r.json()
    assert wf["status"] == "COMPLETED", wf
    assert wf["workflowName"] == f"wftest_{uniq}"  # not a workflow named "test"
    assert wf["output"] == {"gift": True}
    charges = [t for t in wf["tasks"] if t["referenceTaskName"] == "charge"]
    assert [t["status"] for t in charges] == ["FAILED", "COMPLETED"]  # each attempt took the next mock
    assert charges[0]["inputData"]["amount"] == 7
    gift = next(t for t in wf["tasks"] if t["referenceTaskName"] == "gift")
    assert gift["inputData"]["who"] == "ann"
    # Nothing of the run is kept: not found by id, not in search, no message on the real queues.
    assert api.get(f"/workflow/{wf['workflowId']}").status_code == 404
    found = api.get("/workflow/search", params={"query": f"workflowType = wftest_{uniq}"}).json()
    assert found["totalHits"] == 0
    assert api.get("/tasks/queue/size", params={"taskType": f"charge_{uniq}"}).json() == 0


def test_a_task_without_a_mock_leaves_the_run_running(api: httpx.Client, uniq: str) -> None:
    body = {
        "name": f"wftest_{uniq}",
        "workflowDef": _definition(uniq),
        "taskRefToMockOutput": {"charge": [{"status": "COMPLETED", "output": {"tier": "gold"}}]},
    }
    wf = api.post("/workflow/test", json=body).json()
    assert wf["status"] == "RUNNING"
    assert [t["referenceTaskName"] for t in wf["tasks"]] == ["charge", "route", "gift"]
    assert wf["tasks"][-1]["status"] == "SCHEDULED"
    assert api.get("/tasks/queue/size", params={"taskType": f"gift_{uniq}"}).json() == 0


def test_registered_definition_and_sub_workflow_mocks(api: httpx.Client, uniq: str) -> None:
    child = {"name": f"child_{uniq}", "version": 1, "tasks": [_simple(f"inner_{uniq}", "inner")],
             "outputParameters": {"v": "${inner.output.v}"}}  # fmt: skip
    parent = {
        "name": f"parent_{uniq}",
        "version": 1,
        "tasks": [
            {
                "name": "sub",
                "taskReferenceName": "sub",
                "type": "SUB_WORKFLOW",
                "subWorkflowParam": {"name": f"child_{uniq}", "version": 1},
            },
        ],
        "outputParameters": {"v": "${sub.output.v}"},
    }
    for d in (child, parent):
        assert api.post("/metadata/workflow", json=d).status_code == 200
    body = {
        "name": f"parent_{uniq}",
        "version": 1,
        "subWorkflowTestRequest": {
            "sub": {"name": f"child_{uniq}", "taskRefToMockOutput": {"inner": [{"output": {"v": 42}}]}}
        },
    }
    r = api.post("/workflow/test", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "COMPLETED" and r.json()["output"] == {"v": 42}


def test_bad_requests_are_400_and_unknown_definition_404(api: httpx.Client, uniq: str) -> None:
    r = api.post("/workflow/test", json={"name": f"missing_{uniq}"})
    assert r.status_code == 404 and r.json()["status"] == 404
    bad_mock = {"workflowDef": _definition(uniq), "taskRefToMockOutput": {"charge": "nope"}}
    r = api.post("/workflow/test", json=bad_mock)
    assert r.status_code == 400 and r.json()["validationErrors"][0]["path"] == "taskRefToMockOutput.charge"
    bad_status = {"workflowDef": _definition(uniq), "taskRefToMockOutput": {"charge": [{"status": "DONE"}]}}
    assert api.post("/workflow/test", json=bad_status).status_code == 400
    assert api.post("/workflow/test", json=[1]).status_code == 400


def test_conductor_python_test_workflow(server: Any, uniq: str) -> None:
    from conductor.client.configuration.configuration import Configuration
    from conductor.client.http.models.workflow_test_request import WorkflowTestRequest
    from conductor.client.orkes.orkes_workflow_client import OrkesWorkflowClient

    client = OrkesWorkflowClient(Configuration(server_api_url=server.url + "/api"))
    req = WorkflowTestRequest(
        name=f"wftest_{uniq}",
        workflow_def=None,
        input={"amount": 3},
        task_ref_to_mock_output={
            "charge": [{"status": "COMPLETED", "output": {"tier": "silver"}}],
        },
    )
    req._workflow_def = _definition(uniq)  # the SDK serialises a dict as it is
    run = client.test_workflow(req)
    assert run.status == "COMPLETED"
    assert [t.reference_task_name for t in run.tasks] == ["charge", "route"]
    assert run.tasks[0].output_data == {"tier": "silver"}
