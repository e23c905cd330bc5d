"""Event handlers end to end through a real server: /api/event CRUD, EVENT tasks on the `conductor`
sink firing handlers, and /api/queue status updates (docs/compatibility.md#events-apievent-apiqueue)."""

from __future__ import annotations

from typing import Any

import httpx
from apikit import start, workflow

from conftest import wait_until


def register(api: httpx.Client, name: str, tasks: list[dict[str, Any]], **extra: Any) -> str:
    r = api.post("/metadata/workflow", json={"name": name, "version": 1, "tasks": tasks, "timeoutSeconds": 0, **extra})
    assert r.status_code == 200, r.text
    return name


def by_ref(wf: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["referenceTaskName"]: t for t in wf["tasks"]}


def ends(api: httpx.Client, wid: str) -> dict[str, Any]:
    wait_until(lambda: workflow(api, wid)["status"] != "RUNNING", timeout=15, what=f"workflow {wid} to end")
    return workflow(api, wid)


def handler(name: str, event: str, *actions: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "event": event, "actions": list(actions), "active": True, **extra}


def emitter(api: httpx.Client, name: str) -> str:
    return register(
        api,
        name,
        [
            {
                "name": "ev",
                "taskReferenceName": "ev",
                "type": "EVENT",
                "sink": "conductor",
                "inputParameters": {"order": "${workflow.input.order}"},
            },
            {"name": "wait", "taskReferenceName": "wait", "type": "WAIT"},
        ],
        outputParameters={"approved": "${wait.output.approved}"},
    )


def test_handler_crud(api: httpx.Client, uniq: str) -> None:
    event = f"conductor:{uniq}:ref"
    action = {"action": "complete_task", "complete_task": {"workflowId": "${workflowInstanceId}", "taskRefName": "w"}}
    h = handler(f"h_{uniq}", event, action)
    assert api.post("/event", json=h).status_code == 200
    dup = api.post("/event", json=h)
    assert dup.status_code == 409 and "already exists" in dup.json()["message"]
    assert api.put("/event", json={**h, "name": f"missing_{uniq}"}).status_code == 404
    assert api.put("/event", json={**h, "active": False}).status_code == 200
    assert api.get(f"/event/{event}").json() == []  # activeOnly defaults to true
    [stored] = api.get(f"/event/{event}", params={"activeOnly": "false"}).json()
    assert stored["name"] == h["name"] and stored["active"] is False
    assert any(x["name"] == h["name"] for x in api.get("/event").json())
    assert api.delete(f"/event/{h['name']}").status_code == 200
    assert api.delete(f"/event/{h['name']}").status_code == 404
    bad = api.post("/event", json={"name": f"bad_{uniq}", "event": "nocolon", "actions": []})
    assert bad.status_code == 400 and bad.json()["validationErrors"]


def test_event_task_fires_a_handler_that_completes_the_wait(api: httpx.Client, uniq: str) -> None:
    name = emitter(api, f"emit_{uniq}")
    complete = {
        "action": "complete_task",
        "complete_task": {
            "workflowId": "${workflowInstanceId}",
            "taskRefName": "wait",
            "output": {"approved": "${order.ok}"},
        },
    }
    assert api.post("/event", json=handler(f"approve_{uniq}", f"conductor:{name}:ev", complete)).status_code == 200
    wid = start(api, name, order={"id": 1, "ok": True})
    wf = ends(api, wid)
    assert wf["status"] == "COMPLETED" and wf["output"] == {"approved": True}
    tasks = by_ref(wf)
    assert tasks["ev"]["outputData"]["event_produced"] == f"conductor:{name}:ev"
    assert tasks["ev"]["outputData"]["workflowInstanceId"] == wid
    assert tasks["wait"]["outputData"]["conductor.event.name"] == f"conductor:{name}:ev"
    assert tasks["wait"]["outputData"]["conductor.event.messageId"] == tasks["ev"]["taskId"]


def test_handler_starts_a_workflow_from_the_payload(api: httpx.Client, uniq: str) -> None:
    ev = {
        "name": "ev",
        "taskReferenceName": "ev",
        "type": "EVENT",
        "sink": "conductor:orders",
        "inputParameters": {"id": "${workflow.input.id}"},
    }
    name = register(api, f"emit2_{uniq}", [ev])
    target = register(api, f"target_{uniq}", [{"name": "w", "taskReferenceName": "w", "type": "WAIT"}])
    start_action = {
        "action": "start_workflow",
        "start_workflow": {"name": target, "correlationId": "order-${id}", "input": {"orderId": "${id}"}},
    }
    r = api.post("/event", json=handler(f"starter_{uniq}", f"conductor:{name}:orders", start_action))
    assert r.status_code == 200, r.text
    wid = start(api, name, id=77)
    assert workflow(api, wid)["status"] == "COMPLETED"

    def started() -> list[dict[str, Any]]:
        r = api.get(f"/workflow/{target}/correlated/order-77", params={"includeClosed": "true"})
        found: list[dict[str, Any]] = r.json()
        return found

    wait_until(lambda: len(started()) == 1, what="the handler to start a workflow")
    [run] = started()
    assert run["input"]["orderId"] == 77 and run["event"] == f"conductor:{name}:orders"


def test_queue_admin_updates_a_waiting_task(api: httpx.Client, uniq: str) -> None:
    name = register(
        api,
        f"qadmin_{uniq}",
        [
            {"name": "w", "taskReferenceName": "w", "type": "WAIT"},
            {"name": "h", "taskReferenceName": "h", "type": "HUMAN"},
        ],
    )
    wid = start(api, name)
    assert api.get("/queue").json() == {"COMPLETED": "conductor_COMPLETED", "FAILED": "conductor_FAILED"}
    assert api.post(f"/queue/update/{wid}/w/COMPLETED", json={"via": "queue"}).status_code == 200
    wait_until(lambda: by_ref(workflow(api, wid))["w"]["status"] == "COMPLETED", what="the WAIT to complete")
    assert by_ref(workflow(api, wid))["w"]["outputData"] == {"via": "queue"}
    h = by_ref(workflow(api, wid))["h"]
    assert api.post(f"/queue/update/{wid}/task/{h['taskId']}/FAILED", json={}).status_code == 200
    wf = ends(api, wid)
    assert wf["status"] == "FAILED" and by_ref(wf)["h"]["status"] == "FAILED"
    assert api.post(f"/queue/update/{wid}/w/SKIPPED", json={}).status_code == 400
    assert set(api.get("/queue/size").json()) == {"conductor_COMPLETED", "conductor_FAILED"}
