"""Deleting a definition another workflow definition still uses is a 409 with the users named (issue #17)."""

from __future__ import annotations

import httpx


def _wf(name: str, tasks: list[dict[str, object]], version: int = 1) -> dict[str, object]:
    return {"name": name, "version": version, "tasks": tasks}


def test_a_task_definition_in_use_is_refused_until_its_users_are_gone(api: httpx.Client, uniq: str) -> None:
    td = f"{uniq}_td"
    assert api.post("/metadata/taskdefs", json=[{"name": td}]).status_code == 200
    inner = {"name": td, "taskReferenceName": "deep", "type": "SIMPLE"}
    loop = {"name": "l", "taskReferenceName": "l", "type": "DO_WHILE", "loopCondition": "false", "loopOver": [inner]}
    assert api.post("/metadata/workflow", json=_wf(f"{uniq}_user", [loop])).status_code == 200

    r = api.delete(f"/metadata/taskdefs/{td}")
    assert r.status_code == 409
    assert r.json()["status"] == 409
    assert f"{uniq}_user v1" in r.json()["message"]
    assert api.get(f"/metadata/taskdefs/{td}").status_code == 200

    assert api.delete(f"/metadata/workflow/{uniq}_user/1").status_code == 200
    assert api.delete(f"/metadata/taskdefs/{td}").status_code == 200


def test_a_workflow_definition_a_sub_workflow_starts_is_refused(api: httpx.Client, uniq: str) -> None:
    child, parent = f"{uniq}_child", f"{uniq}_parent"
    inline = {
        "name": "i",
        "taskReferenceName": "i",
        "type": "INLINE",
        "inputParameters": {"evaluatorType": "javascript", "expression": "1"},
    }
    for v in (1, 2):
        assert api.post("/metadata/workflow", json=_wf(child, [inline], v)).status_code == 200
    sub = {
        "name": "s",
        "taskReferenceName": "s",
        "type": "SUB_WORKFLOW",
        "subWorkflowParam": {"name": child, "version": 1},
    }
    assert api.post("/metadata/workflow", json=_wf(parent, [sub])).status_code == 200

    refused = api.delete(f"/metadata/workflow/{child}/1")
    assert refused.status_code == 409 and f"{parent} v1" in refused.json()["message"]
    assert api.delete(f"/metadata/workflow/{child}/2").status_code == 200  # nobody starts version 2

    latest = {**sub, "subWorkflowParam": {"name": child}}
    assert api.put("/metadata/workflow", json=[_wf(parent, [latest])]).status_code == 200
    assert api.delete(f"/metadata/workflow/{child}/1").status_code == 409  # the last version left
    assert api.delete(f"/metadata/workflow/{parent}/1").status_code == 200
    assert api.delete(f"/metadata/workflow/{child}/1").status_code == 200
