"""Retry, restart and rerun of workflows that contain operators, end to end
(docs/compatibility.md#retry-restart-rerun-and-skip)."""

from __future__ import annotations

from typing import Any

import httpx
from test_core_api import poll, register, taskdef, update

from conftest import wait_until


def get(api: httpx.Client, wid: str) -> dict[str, Any]:
    r = api.get(f"/workflow/{wid}")
    assert r.status_code == 200, r.text
    wf: dict[str, Any] = r.json()
    return wf


def by_ref(wf: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Latest record of each reference name."""
    return {t["referenceTaskName"]: t for t in wf["tasks"]}


def wait_status(api: httpx.Client, wid: str, status: str) -> dict[str, Any]:
    wait_until(lambda: get(api, wid)["status"] == status, timeout=15, what=f"{wid} {status}")
    return get(api, wid)


def start(api: httpx.Client, name: str, inp: dict[str, Any] | None = None, version: int | None = None) -> str:
    body: dict[str, Any] = {"name": name, "input": inp or {}}
    if version is not None:
        body["version"] = version
    r = api.post("/workflow", json=body)
    assert r.status_code == 200, r.text
    return r.text


def poll_one(api: httpx.Client, task_type: str) -> dict[str, Any]:
    got: list[dict[str, Any]] = []

    def ready() -> bool:
        got.extend(poll(api, task_type))
        return bool(got)

    wait_until(ready, timeout=15, what=f"a {task_type} task")
    assert len(got) == 1
    return got[0]


def ok(r: httpx.Response, code: int = 200) -> None:
    assert r.status_code == code, r.text


def test_fork_branch_failure_retry_reopens_join_and_sibling(api: httpx.Client, uniq: str) -> None:
    a, b = f"fa_{uniq}", f"fb_{uniq}"
    taskdef(api, a, retryCount=0)
    taskdef(api, b, retryCount=0)
    name = register(
        api,
        uniq,
        [
            {
                "name": "fork",
                "taskReferenceName": "fork",
                "type": "FORK_JOIN",
                "forkTasks": [[{"name": a, "taskReferenceName": "a"}], [{"name": b, "taskReferenceName": "b"}]],
            },
            {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["a", "b"]},
        ],
    )
    wid = start(api, name)
    ta = poll_one(api, a)
    ok(update(api, ta, status="FAILED", reasonForIncompletion="branch a broke"))
    wf = wait_status(api, wid, "FAILED")
    refs = by_ref(wf)
    assert "branch a broke" in wf["reasonForIncompletion"]
    assert refs["a"]["status"] == "FAILED"
    assert refs["join"]["status"] == "CANCELED" and refs["b"]["status"] == "CANCELED"
    join_id, b_id = refs["join"]["taskId"], refs["b"]["taskId"]

    ok(api.post(f"/workflow/{wid}/retry"), 204)
    wf = get(api, wid)
    assert wf["status"] == "RUNNING" and not wf.get("reasonForIncompletion")
    refs = by_ref(wf)
    assert refs["join"]["taskId"] == join_id and refs["join"]["status"] == "IN_PROGRESS"
    assert refs["a"]["status"] == "SCHEDULED" and refs["a"]["retryCount"] == 1
    assert refs["a"]["retriedTaskId"] == ta["taskId"]
    assert refs["b"]["status"] == "SCHEDULED"
    assert sum(1 for t in wf["tasks"] if t["referenceTaskName"] == "join") == 1

    ta2 = poll_one(api, a)
    tb = poll_one(api, b)
    assert ta2["taskId"] == refs["a"]["taskId"] and tb["taskId"] == refs["b"]["taskId"]
    assert tb["retriedTaskId"] == b_id and tb["taskId"] != b_id  # a new attempt (Conductor's retry)
    ok(update(api, ta2, outputData={"x": "a"}))
    ok(update(api, tb, outputData={"x": "b"}))
    wf = wait_status(api, wid, "COMPLETED")
    join = by_ref(wf)["join"]
    assert join["taskId"] == join_id and join["status"] == "COMPLETED"
    assert join["outputData"] == {"a": {"x": "a"}, "b": {"x": "b"}}


def test_do_while_body_failure_retry_continues_loop(api: httpx.Client, uniq: str) -> None:
    w = f"lw_{uniq}"
    taskdef(api, w, retryCount=0)
    name = register(
        api,
        uniq,
        [
            {
                "name": "loop",
                "taskReferenceName": "loop",
                "type": "DO_WHILE",
                "loopCondition": "$.loop['iteration'] < 3",
                "loopOver": [
                    {"name": w, "taskReferenceName": "body", "inputParameters": {"i": "${loop.iteration}"}},
                ],
            }
        ],
    )
    wid = start(api, name)
    t1 = poll_one(api, w)
    assert t1["referenceTaskName"] == "body__1" and t1["inputData"]["i"] == 1
    ok(update(api, t1, outputData={"n": 1}))
    t2 = poll_one(api, w)
    assert t2["referenceTaskName"] == "body__2" and t2["inputData"]["i"] == 2
    ok(update(api, t2, status="FAILED", reasonForIncompletion="iteration two broke"))
    wf = wait_status(api, wid, "FAILED")
    refs = by_ref(wf)
    assert refs["loop"]["status"] == "CANCELED" and refs["body__2"]["status"] == "FAILED"
    loop_id = refs["loop"]["taskId"]

    ok(api.post(f"/workflow/{wid}/retry"), 204)
    wf = get(api, wid)
    refs = by_ref(wf)
    assert wf["status"] == "RUNNING"
    assert refs["loop"]["taskId"] == loop_id and refs["loop"]["status"] == "IN_PROGRESS"
    t2b = poll_one(api, w)
    assert t2b["referenceTaskName"] == "body__2" and t2b["retriedTaskId"] == t2["taskId"]
    assert t2b["iteration"] == 2 and t2b["inputData"]["i"] == 2
    ok(update(api, t2b, outputData={"n": 2}))
    t3 = poll_one(api, w)
    assert t3["referenceTaskName"] == "body__3" and t3["inputData"]["i"] == 3
    ok(update(api, t3, outputData={"n": 3}))
    wf = wait_status(api, wid, "COMPLETED")
    loop = by_ref(wf)["loop"]
    assert loop["taskId"] == loop_id and loop["status"] == "COMPLETED"
    assert loop["outputData"]["iteration"] == 3
    assert [loop["outputData"][str(i)]["body"] for i in (1, 2, 3)] == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert sum(1 for t in wf["tasks"] if t["referenceTaskName"] == "loop") == 1


def _sub_setup(api: httpx.Client, uniq: str) -> tuple[str, str, str]:
    """Child = one worker task (no retries); parent = SUB_WORKFLOW then a worker task."""
    cw, pw = f"cw_{uniq}", f"pw_{uniq}"
    taskdef(api, cw, retryCount=0)
    taskdef(api, pw, retryCount=0)
    child_task = {"name": cw, "taskReferenceName": "c", "inputParameters": {"v": "${workflow.input.v}"}}
    child = register(api, f"child_{uniq}", [child_task])
    parent = register(
        api,
        f"parent_{uniq}",
        [
            {
                "name": "sub",
                "taskReferenceName": "sub",
                "type": "SUB_WORKFLOW",
                "subWorkflowParam": {"name": child, "version": 1},
                "inputParameters": {"v": "${workflow.input.v}"},
            },
            {"name": pw, "taskReferenceName": "after", "inputParameters": {"r": "${sub.output.r}"}},
        ],
    )
    return parent, cw, pw


def _fail_child(api: httpx.Client, parent: str, cw: str) -> tuple[str, str, dict[str, Any]]:
    """Start the parent, fail the child's task; returns (parent id, child id, failed task)."""
    pid = start(api, parent, {"v": 7})
    tc = poll_one(api, cw)
    cid = tc["workflowInstanceId"]
    assert tc["inputData"] == {"v": 7}
    ok(update(api, tc, status="FAILED", reasonForIncompletion="child broke"))
    wait_status(api, cid, "FAILED")
    pwf = wait_status(api, pid, "FAILED")
    sub = by_ref(pwf)["sub"]
    assert sub["status"] == "FAILED" and sub["subWorkflowId"] == cid
    child_name = get(api, cid)["workflowName"]
    expected = f"Sub workflow {child_name}.1/{cid} failure reason: "
    assert sub["reasonForIncompletion"].startswith(expected)
    assert "child broke" in sub["reasonForIncompletion"]
    assert expected in pwf["reasonForIncompletion"]
    return pid, cid, tc


def test_sub_workflow_child_retry_reopens_parent(api: httpx.Client, uniq: str) -> None:
    parent, cw, pw = _sub_setup(api, uniq)
    pid, cid, tc = _fail_child(api, parent, cw)
    sub_id = by_ref(get(api, pid))["sub"]["taskId"]

    ok(api.post(f"/workflow/{cid}/retry"), 204)
    assert get(api, cid)["status"] == "RUNNING"
    pwf = get(api, pid)
    sub = by_ref(pwf)["sub"]
    assert pwf["status"] == "RUNNING" and not pwf.get("reasonForIncompletion")
    assert pwf["failedReferenceTaskNames"] == []
    assert sub["taskId"] == sub_id and sub["status"] == "IN_PROGRESS" and not sub.get("reasonForIncompletion")
    assert sum(1 for t in pwf["tasks"] if t["referenceTaskName"] == "sub") == 1

    tc2 = poll_one(api, cw)
    assert tc2["workflowInstanceId"] == cid and tc2["retriedTaskId"] == tc["taskId"]
    ok(update(api, tc2, outputData={"r": "fixed"}))
    wait_status(api, cid, "COMPLETED")
    tp = poll_one(api, pw)
    assert tp["workflowInstanceId"] == pid and tp["inputData"] == {"r": "fixed"}
    ok(update(api, tp))
    pwf = wait_status(api, pid, "COMPLETED")
    sub = by_ref(pwf)["sub"]
    assert sub["status"] == "COMPLETED" and sub["outputData"]["r"] == "fixed" and sub["subWorkflowId"] == cid


def test_sub_workflow_parent_retry_resuming_the_child(api: httpx.Client, uniq: str) -> None:
    parent, cw, pw = _sub_setup(api, uniq)
    pid, cid, tc = _fail_child(api, parent, cw)
    sub_id = by_ref(get(api, pid))["sub"]["taskId"]

    ok(api.post(f"/workflow/{pid}/retry", params={"resumeSubworkflowTasks": "true"}), 204)
    pwf = get(api, pid)
    sub = by_ref(pwf)["sub"]
    assert pwf["status"] == "RUNNING"
    assert sub["taskId"] == sub_id and sub["status"] == "IN_PROGRESS" and sub["subWorkflowId"] == cid
    assert not sub.get("reasonForIncompletion") and not pwf.get("reasonForIncompletion")
    assert sum(1 for t in pwf["tasks"] if t["referenceTaskName"] == "sub") == 1
    assert get(api, cid)["status"] == "RUNNING"  # the same child was retried, not a new one launched

    tc2 = poll_one(api, cw)
    assert tc2["workflowInstanceId"] == cid and tc2["retriedTaskId"] == tc["taskId"]
    ok(update(api, tc2, outputData={"r": "resumed"}))
    tp = poll_one(api, pw)
    assert tp["inputData"] == {"r": "resumed"}
    ok(update(api, tp))
    wait_status(api, pid, "COMPLETED")


def test_sub_workflow_parent_plain_retry_launches_new_child(api: httpx.Client, uniq: str) -> None:
    parent, cw, pw = _sub_setup(api, uniq)
    pid, cid, _ = _fail_child(api, parent, cw)
    old_sub = by_ref(get(api, pid))["sub"]

    ok(api.post(f"/workflow/{pid}/retry"), 204)
    tc2 = poll_one(api, cw)
    new_cid = tc2["workflowInstanceId"]
    assert new_cid != cid and tc2["inputData"] == {"v": 7}
    assert get(api, cid)["status"] == "FAILED"  # the old child is left alone
    pwf = get(api, pid)
    subs = [t for t in pwf["tasks"] if t["referenceTaskName"] == "sub"]
    assert len(subs) == 2 and subs[0]["taskId"] == old_sub["taskId"] and subs[0]["status"] == "FAILED"
    assert subs[1]["retriedTaskId"] == old_sub["taskId"] and subs[1]["retryCount"] == 1
    assert subs[1]["status"] == "IN_PROGRESS" and subs[1]["subWorkflowId"] == new_cid
    child = get(api, new_cid)
    assert child["parentWorkflowId"] == pid and child["parentWorkflowTaskId"] == subs[1]["taskId"]
    ok(update(api, tc2, outputData={"r": "second"}))
    tp = poll_one(api, pw)
    assert tp["inputData"] == {"r": "second"}
    ok(update(api, tp))
    pwf = wait_status(api, pid, "COMPLETED")
    assert by_ref(pwf)["sub"]["outputData"]["subWorkflowId"] == new_cid


def _switch_fork_tasks(names: dict[str, str], extra_branch: bool) -> list[dict[str, Any]]:
    branches: list[list[dict[str, Any]]] = [
        [{"name": names["x"], "taskReferenceName": "x"}],
        [{"name": names["y"], "taskReferenceName": "y"}],
    ]
    join_on = ["x", "y"]
    if extra_branch:
        branches.append([{"name": names["z"], "taskReferenceName": "z"}])
        join_on.append("z")
    return [
        {
            "name": "sw",
            "taskReferenceName": "sw",
            "type": "SWITCH",
            "evaluatorType": "value-param",
            "expression": "kind",
            "inputParameters": {"kind": "${workflow.input.kind}"},
            "decisionCases": {"big": [{"name": names["big"], "taskReferenceName": "big"}]},
            "defaultCase": [{"name": names["small"], "taskReferenceName": "small"}],
        },
        {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": branches},
        {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": join_on},
        {"name": names["last"], "taskReferenceName": "last", "inputParameters": {"j": "${join.output}"}},
    ]


def _names(uniq: str) -> dict[str, str]:
    return {k: f"{k}_{uniq}" for k in ("big", "small", "x", "y", "z", "last")}


def _run_switch_fork(api: httpx.Client, names: dict[str, str], wid: str, branches: str = "xy") -> dict[str, Any]:
    tbig = poll_one(api, names["big"])
    assert tbig["workflowInstanceId"] == wid
    ok(update(api, tbig, outputData={"b": 1}))
    for ref in branches:
        t = poll_one(api, names[ref])
        ok(update(api, t, outputData={ref: True}))
    last = poll_one(api, names["last"])
    ok(update(api, last, outputData={"done": True}))
    return last


def test_restart_with_latest_definitions_runs_new_switch_and_fork(api: httpx.Client, uniq: str) -> None:
    names = _names(uniq)
    for n in names.values():
        taskdef(api, n)
    name = register(api, uniq, _switch_fork_tasks(names, extra_branch=False))
    wid = start(api, name, {"kind": "big"})
    last = _run_switch_fork(api, names, wid)
    assert last["inputData"]["j"] == {"x": {"x": True}, "y": {"y": True}}
    wf = wait_status(api, wid, "COMPLETED")
    assert "small" not in by_ref(wf) and wf["workflowVersion"] == 1

    v2 = {"name": name, "version": 2, "tasks": _switch_fork_tasks(names, extra_branch=True)}
    ok(api.post("/metadata/workflow", json=v2))
    ok(api.post(f"/workflow/{wid}/restart"), 204)  # without the flag: still version 1
    wf = get(api, wid)
    assert wf["status"] == "RUNNING" and wf["workflowVersion"] == 1 and wf["input"] == {"kind": "big"}
    assert [t["referenceTaskName"] for t in wf["tasks"]] == ["sw", "big"]
    _run_switch_fork(api, names, wid)
    wait_status(api, wid, "COMPLETED")
    assert poll(api, names["z"]) == []

    ok(api.post(f"/workflow/{wid}/restart", params={"useLatestDefinitions": "true"}), 204)
    wf = get(api, wid)
    assert wf["workflowVersion"] == 2 and wf["status"] == "RUNNING"
    last = _run_switch_fork(api, names, wid, branches="xyz")
    assert last["inputData"]["j"] == {"x": {"x": True}, "y": {"y": True}, "z": {"z": True}}
    wf = wait_status(api, wid, "COMPLETED")
    assert by_ref(wf)["join"]["inputData"]["joinOn"] == ["x", "y", "z"]


def test_rerun_from_fork_branch_task_and_after_switch(api: httpx.Client, uniq: str) -> None:
    names = _names(uniq)
    for n in names.values():
        taskdef(api, n)
    name = register(api, uniq, _switch_fork_tasks(names, extra_branch=False))
    wid = start(api, name, {"kind": "big"})
    _run_switch_fork(api, names, wid)
    wf = wait_status(api, wid, "COMPLETED")
    refs = by_ref(wf)
    y_id, join_id = refs["y"]["taskId"], refs["join"]["taskId"]

    # Rerun from the branch task y (scheduled after x): the JOIN (later seq) is recreated.
    r = api.post(f"/workflow/{wid}/rerun", json={"reRunFromTaskId": y_id, "taskInput": {"again": "y"}})
    ok(r)
    assert r.text == wid
    ty = poll_one(api, names["y"])
    assert ty["taskId"] == y_id and ty["inputData"] == {"again": "y"}
    wf = get(api, wid)
    assert wf["status"] == "RUNNING"
    assert by_ref(wf)["x"]["status"] == "COMPLETED"
    ok(update(api, ty, outputData={"y": "second"}))
    last = poll_one(api, names["last"])
    assert last["inputData"]["j"] == {"x": {"x": True}, "y": {"y": "second"}}
    ok(update(api, last))
    wf = wait_status(api, wid, "COMPLETED")
    assert [t["referenceTaskName"] for t in wf["tasks"]].count("join") == 1
    assert by_ref(wf)["join"]["status"] == "COMPLETED"
    del join_id

    # Rerun from the task inside the SWITCH case (after the SWITCH record) with new input.
    big_id = by_ref(wf)["big"]["taskId"]
    ok(api.post(f"/workflow/{wid}/rerun", json={"reRunFromTaskId": big_id, "taskInput": {"fresh": 1}}))
    wf = get(api, wid)
    assert [t["referenceTaskName"] for t in wf["tasks"]] == ["sw", "big"]
    assert wf["tasks"][0]["status"] == "COMPLETED"
    tbig = poll_one(api, names["big"])
    assert tbig["taskId"] == big_id and tbig["inputData"] == {"fresh": 1}
    ok(update(api, tbig))
    for ref in "xy":
        ok(update(api, poll_one(api, names[ref]), outputData={ref: ref}))
    last = poll_one(api, names["last"])
    assert last["inputData"]["j"] == {"x": {"x": "x"}, "y": {"y": "y"}}
    ok(update(api, last))
    wait_status(api, wid, "COMPLETED")

    # Rerun from the task after the JOIN.
    last_id = last["taskId"]
    ok(api.post(f"/workflow/{wid}/rerun", json={"reRunFromTaskId": last_id, "taskInput": {"j": "replaced"}}))
    again = poll_one(api, names["last"])
    assert again["taskId"] == last_id and again["inputData"] == {"j": "replaced"}
    ok(update(api, again))
    wait_status(api, wid, "COMPLETED")


def test_restart_of_child_reopens_parent(api: httpx.Client, uniq: str) -> None:
    parent, cw, pw = _sub_setup(api, uniq)
    pid, cid, tc = _fail_child(api, parent, cw)
    sub_id = by_ref(get(api, pid))["sub"]["taskId"]

    ok(api.post(f"/workflow/{cid}/restart"), 204)
    child = get(api, cid)
    assert child["status"] == "RUNNING" and child["parentWorkflowId"] == pid
    pwf = get(api, pid)
    sub = by_ref(pwf)["sub"]
    assert pwf["status"] == "RUNNING" and sub["taskId"] == sub_id and sub["status"] == "IN_PROGRESS"

    tc2 = poll_one(api, cw)
    assert tc2["workflowInstanceId"] == cid and tc2["taskId"] != tc["taskId"] and tc2["retryCount"] == 0
    ok(update(api, tc2, outputData={"r": "restarted"}))
    tp = poll_one(api, pw)
    assert tp["inputData"] == {"r": "restarted"}
    ok(update(api, tp))
    wait_status(api, pid, "COMPLETED")


def test_rerun_of_child_task_through_parent_reopens_parent(api: httpx.Client, uniq: str) -> None:
    parent, cw, pw = _sub_setup(api, uniq)
    pid, cid, tc = _fail_child(api, parent, cw)
    # rerun on the PARENT naming the child's task: the search goes into the sub-workflow
    ok(api.post(f"/workflow/{pid}/rerun", json={"reRunFromTaskId": tc["taskId"], "taskInput": {"v": 8}}))
    assert get(api, cid)["status"] == "RUNNING"
    assert get(api, pid)["status"] == "RUNNING"
    tc2 = poll_one(api, cw)
    assert tc2["taskId"] == tc["taskId"] and tc2["inputData"] == {"v": 8}
    ok(update(api, tc2, outputData={"r": "rerun"}))
    tp = poll_one(api, pw)
    assert tp["inputData"] == {"r": "rerun"}
    ok(update(api, tp))
    wait_status(api, pid, "COMPLETED")


def test_child_retry_reopens_parent_fork_join_and_cancelled_sibling(api: httpx.Client, uniq: str) -> None:
    cw, sw, pw = f"cw_{uniq}", f"sib_{uniq}", f"pw_{uniq}"
    for n in (cw, sw, pw):
        taskdef(api, n, retryCount=0)
    child = register(api, f"child_{uniq}", [{"name": cw, "taskReferenceName": "c"}])
    parent = register(
        api,
        f"parent_{uniq}",
        [
            {
                "name": "fork",
                "taskReferenceName": "fork",
                "type": "FORK_JOIN",
                "forkTasks": [
                    [
                        {
                            "name": "sub",
                            "taskReferenceName": "sub",
                            "type": "SUB_WORKFLOW",
                            "subWorkflowParam": {"name": child},
                        }
                    ],
                    [{"name": sw, "taskReferenceName": "sib"}],
                ],
            },
            {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["sub", "sib"]},
            {"name": pw, "taskReferenceName": "after"},
        ],
    )
    pid = start(api, parent)
    tc = poll_one(api, cw)
    cid = tc["workflowInstanceId"]
    ok(update(api, tc, status="FAILED", reasonForIncompletion="deep failure"))
    pwf = wait_status(api, pid, "FAILED")
    refs = by_ref(pwf)
    assert refs["sub"]["status"] == "FAILED" and refs["join"]["status"] == "CANCELED"
    assert refs["sib"]["status"] == "CANCELED"
    ids = {r: refs[r]["taskId"] for r in ("sub", "join", "sib")}
    assert poll(api, sw) == []

    ok(api.post(f"/workflow/{cid}/retry"), 204)
    pwf = get(api, pid)
    refs = by_ref(pwf)
    assert pwf["status"] == "RUNNING" and pwf["failedReferenceTaskNames"] == []
    assert {r: refs[r]["taskId"] for r in ids} == ids  # all re-opened in place
    assert refs["sub"]["status"] == "IN_PROGRESS" and refs["join"]["status"] == "IN_PROGRESS"
    assert refs["sib"]["status"] == "SCHEDULED" and refs["sib"]["retryCount"] == 1
    tsib = poll_one(api, sw)
    assert tsib["taskId"] == ids["sib"]
    ok(update(api, tsib, outputData={"s": 1}))
    tc2 = poll_one(api, cw)
    assert tc2["workflowInstanceId"] == cid
    ok(update(api, tc2, outputData={"c": 2}))
    tp = poll_one(api, pw)
    assert tp["workflowInstanceId"] == pid
    ok(update(api, tp))
    pwf = wait_status(api, pid, "COMPLETED")
    join = by_ref(pwf)["join"]
    assert join["outputData"]["sib"] == {"s": 1} and join["outputData"]["sub"]["c"] == 2


def test_grandchild_retry_reopens_whole_chain_and_resume_finds_deepest(api: httpx.Client, uniq: str) -> None:
    gw = f"gw_{uniq}"
    taskdef(api, gw, retryCount=0)
    grand = register(api, f"grand_{uniq}", [{"name": gw, "taskReferenceName": "g"}])
    mid = register(
        api,
        f"mid_{uniq}",
        [{"name": "s2", "taskReferenceName": "s2", "type": "SUB_WORKFLOW", "subWorkflowParam": {"name": grand}}],
    )
    top = register(
        api,
        f"top_{uniq}",
        [{"name": "s1", "taskReferenceName": "s1", "type": "SUB_WORKFLOW", "subWorkflowParam": {"name": mid}}],
    )
    tid = start(api, top)
    tg = poll_one(api, gw)
    gid = tg["workflowInstanceId"]
    mid_id = get(api, gid)["parentWorkflowId"]
    assert get(api, mid_id)["parentWorkflowId"] == tid
    ok(update(api, tg, status="FAILED", reasonForIncompletion="bottom"))
    for w in (gid, mid_id, tid):
        wait_status(api, w, "FAILED")
    assert "bottom" in get(api, tid)["reasonForIncompletion"]

    ok(api.post(f"/workflow/{gid}/retry"), 204)
    for w in (gid, mid_id, tid):
        assert get(api, w)["status"] == "RUNNING"
    tg2 = poll_one(api, gw)
    ok(update(api, tg2, status="FAILED", reasonForIncompletion="bottom again"))
    for w in (gid, mid_id, tid):
        wait_status(api, w, "FAILED")

    # retry the top with resumeSubworkflowTasks: the deepest failed child is retried, nothing relaunched
    ok(api.post(f"/workflow/{tid}/retry", params={"resumeSubworkflowTasks": "true"}), 204)
    for w in (gid, mid_id, tid):
        assert get(api, w)["status"] == "RUNNING"
    assert [t["referenceTaskName"] for t in get(api, tid)["tasks"]] == ["s1"]
    assert [t["referenceTaskName"] for t in get(api, mid_id)["tasks"]] == ["s2"]
    tg3 = poll_one(api, gw)
    assert tg3["workflowInstanceId"] == gid and tg3["retryCount"] == 2
    ok(update(api, tg3, outputData={"deep": True}))
    for w in (gid, mid_id, tid):
        wait_status(api, w, "COMPLETED")
    assert get(api, tid)["output"]["deep"] is True


def test_fork_inside_do_while_failure_retry(api: httpx.Client, uniq: str) -> None:
    a, b = f"la_{uniq}", f"lb_{uniq}"
    taskdef(api, a, retryCount=0)
    taskdef(api, b, retryCount=0)
    name = register(
        api,
        uniq,
        [
            {
                "name": "loop",
                "taskReferenceName": "loop",
                "type": "DO_WHILE",
                "loopCondition": "$.loop['iteration'] < 2",
                "loopOver": [
                    {
                        "name": "fork",
                        "taskReferenceName": "fork",
                        "type": "FORK_JOIN",
                        "forkTasks": [[{"name": a, "taskReferenceName": "a"}], [{"name": b, "taskReferenceName": "b"}]],
                    },
                    {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["a", "b"]},
                ],
            }
        ],
    )
    wid = start(api, name)
    ok(update(api, poll_one(api, a), outputData={"i": 1}))
    ok(update(api, poll_one(api, b), outputData={"i": 1}))
    ta2 = poll_one(api, a)
    assert ta2["referenceTaskName"] == "a__2"
    ok(update(api, ta2, status="FAILED", reasonForIncompletion="second pass"))
    wf = wait_status(api, wid, "FAILED")
    refs = by_ref(wf)
    assert refs["loop"]["status"] == "CANCELED" and refs["join__2"]["status"] == "CANCELED"
    assert refs["b__2"]["status"] == "CANCELED"

    ok(api.post(f"/workflow/{wid}/retry"), 204)
    refs = by_ref(get(api, wid))
    assert refs["loop"]["status"] == "IN_PROGRESS" and refs["join__2"]["status"] == "IN_PROGRESS"
    tb2 = poll_one(api, b)
    ta3 = poll_one(api, a)
    assert tb2["referenceTaskName"] == "b__2" and ta3["referenceTaskName"] == "a__2"
    ok(update(api, ta3, outputData={"i": 2}))
    ok(update(api, tb2, outputData={"i": 2}))
    wf = wait_status(api, wid, "COMPLETED")
    loop = by_ref(wf)["loop"]
    assert loop["outputData"]["iteration"] == 2
    assert loop["outputData"]["2"]["join"] == {"a__2": {"i": 2}, "b__2": {"i": 2}}
    assert loop["outputData"]["1"]["join"] == {"a__1": {"i": 1}, "b__1": {"i": 1}}
    assert [t["referenceTaskName"] for t in wf["tasks"]].count("join__2") == 1


def test_switch_case_failure_retry_continues_after_switch(api: httpx.Client, uniq: str) -> None:
    c, after = f"case_{uniq}", f"after_{uniq}"
    taskdef(api, c, retryCount=0)
    taskdef(api, after, retryCount=0)
    name = register(
        api,
        uniq,
        [
            {
                "name": "sw",
                "taskReferenceName": "sw",
                "type": "SWITCH",
                "evaluatorType": "javascript",
                "expression": "$.n > 1 ? 'many' : 'one'",
                "inputParameters": {"n": "${workflow.input.n}"},
                "decisionCases": {"many": [{"name": c, "taskReferenceName": "c"}]},
            },
            {"name": after, "taskReferenceName": "after", "inputParameters": {"from": "${c.output.v}"}},
        ],
    )
    wid = start(api, name, {"n": 5})
    tc = poll_one(api, c)
    ok(update(api, tc, status="FAILED_WITH_TERMINAL_ERROR", reasonForIncompletion="terminal"))
    wait_status(api, wid, "FAILED")
    ok(api.post(f"/workflow/{wid}/retry"), 204)
    tc2 = poll_one(api, c)
    assert tc2["retriedTaskId"] == tc["taskId"]
    ok(update(api, tc2, outputData={"v": "ok"}))
    ta = poll_one(api, after)
    assert ta["inputData"] == {"from": "ok"}
    ok(update(api, ta))
    wf = wait_status(api, wid, "COMPLETED")
    assert [t["referenceTaskName"] for t in wf["tasks"]] == ["sw", "c", "c", "after"]
    ok(api.post(f"/workflow/{wid}/retry"), 409)  # nothing left to retry


def test_rerun_from_task_inside_do_while_continues_the_loop(api: httpx.Client, uniq: str) -> None:
    w, a, b = f"rw_{uniq}", f"ra_{uniq}", f"rb_{uniq}"
    for n in (w, a, b):
        taskdef(api, n)
    name = register(
        api,
        uniq,
        [
            {
                "name": "loop",
                "taskReferenceName": "loop",
                "type": "DO_WHILE",
                "loopCondition": "$.loop['iteration'] < 3",
                "loopOver": [
                    {"name": w, "taskReferenceName": "body", "inputParameters": {"i": "${loop.iteration}"}},
                    {
                        "name": "fork",
                        "taskReferenceName": "fork",
                        "type": "FORK_JOIN",
                        "forkTasks": [[{"name": a, "taskReferenceName": "a"}], [{"name": b, "taskReferenceName": "b"}]],
                    },
                    {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["a", "b"]},
                ],
            }
        ],
    )
    wid = start(api, name)
    for i in (1, 2, 3):
        ok(update(api, poll_one(api, w), outputData={"n": i}))
        ok(update(api, poll_one(api, a), outputData={"a": i}))
        ok(update(api, poll_one(api, b), outputData={"b": i}))
    wf = wait_status(api, wid, "COMPLETED")
    refs = by_ref(wf)
    loop_id = refs["loop"]["taskId"]
    assert refs["loop"]["outputData"]["iteration"] == 3

    # from the body's first task of pass 2: the rest of pass 2 and pass 3 run again
    body2 = refs["body__2"]["taskId"]
    ok(api.post(f"/workflow/{wid}/rerun", json={"reRunFromTaskId": body2, "taskInput": {"i": 20}}))
    wf = get(api, wid)
    refs = by_ref(wf)
    assert wf["status"] == "RUNNING"
    assert refs["loop"]["taskId"] == loop_id and refs["loop"]["status"] == "IN_PROGRESS"
    assert refs["loop"]["iteration"] == 2 and "body__3" not in refs
    t = poll_one(api, w)
    assert t["taskId"] == body2 and t["inputData"] == {"i": 20}
    ok(update(api, t, outputData={"n": 20}))
    ok(update(api, poll_one(api, a), outputData={"a": 20}))
    ok(update(api, poll_one(api, b), outputData={"b": 20}))
    t3 = poll_one(api, w)
    assert t3["referenceTaskName"] == "body__3" and t3["inputData"] == {"i": 3}
    ok(update(api, t3, outputData={"n": 30}))
    ok(update(api, poll_one(api, a), outputData={"a": 30}))
    ok(update(api, poll_one(api, b), outputData={"b": 30}))
    wf = wait_status(api, wid, "COMPLETED")
    out = by_ref(wf)["loop"]["outputData"]
    assert out["iteration"] == 3
    assert [out[k]["body"]["n"] for k in ("1", "2", "3")] == [1, 20, 30]

    # from a fork branch task inside pass 3: the JOIN of that pass is created again
    a3 = by_ref(wf)["a__3"]["taskId"]
    ok(api.post(f"/workflow/{wid}/rerun", json={"reRunFromTaskId": a3}))
    ta = poll_one(api, a)
    assert ta["taskId"] == a3
    ok(update(api, ta, outputData={"a": 300}))
    tb = poll_one(api, b)
    assert tb["referenceTaskName"] == "b__3"
    ok(update(api, tb, outputData={"b": 300}))
    wf = wait_status(api, wid, "COMPLETED")
    out = by_ref(wf)["loop"]["outputData"]
    assert out["iteration"] == 3 and out["3"]["join"] == {"a__3": {"a": 300}, "b__3": {"b": 300}}
    assert [out[k]["body"]["n"] for k in ("1", "2", "3")] == [1, 20, 30]


def test_rerun_from_the_sub_workflow_task_launches_a_new_child(api: httpx.Client, uniq: str) -> None:
    parent, cw, pw = _sub_setup(api, uniq)
    pid, cid, _ = _fail_child(api, parent, cw)
    sub_id = by_ref(get(api, pid))["sub"]["taskId"]
    ok(api.post(f"/workflow/{pid}/rerun", json={"reRunFromTaskId": sub_id}))
    tc = poll_one(api, cw)
    assert tc["workflowInstanceId"] != cid
    pwf = get(api, pid)
    sub = by_ref(pwf)["sub"]
    assert pwf["status"] == "RUNNING" and sub["taskId"] == sub_id and sub["status"] == "IN_PROGRESS"
    assert sub["subWorkflowId"] == tc["workflowInstanceId"] and not sub.get("reasonForIncompletion")
    assert get(api, cid)["status"] == "FAILED"
    ok(update(api, tc, outputData={"r": "new child"}))
    tp = poll_one(api, pw)
    assert tp["inputData"] == {"r": "new child"}
    ok(update(api, tp))
    wait_status(api, pid, "COMPLETED")


def test_timed_out_child_retry_reopens_timed_out_parent(api: httpx.Client, uniq: str) -> None:
    cw, pw = f"tcw_{uniq}", f"tpw_{uniq}"
    taskdef(api, cw, retryCount=0)
    taskdef(api, pw, retryCount=0)
    child = register(
        api, f"child_{uniq}", [{"name": cw, "taskReferenceName": "c"}], timeoutSeconds=2, timeoutPolicy="TIME_OUT_WF"
    )
    parent = register(
        api,
        f"parent_{uniq}",
        [
            {"name": "sub", "taskReferenceName": "sub", "type": "SUB_WORKFLOW", "subWorkflowParam": {"name": child}},
            {"name": pw, "taskReferenceName": "after"},
        ],
    )
    pid = start(api, parent)
    cid = wait_for_child(api, pid)
    wait_status(api, cid, "TIMED_OUT")
    pwf = wait_status(api, pid, "TIMED_OUT")
    assert by_ref(pwf)["sub"]["status"] == "TIMED_OUT"

    ok(api.post(f"/workflow/{cid}/retry"), 204)
    pwf = get(api, pid)  # the child's timeout counts again from the retry (2 s)
    assert pwf["status"] == "RUNNING" and by_ref(pwf)["sub"]["status"] == "IN_PROGRESS"
    assert get(api, cid)["status"] == "RUNNING"
    # the re-opened SUB_WORKFLOW task follows the child again: a second timeout reaches the parent
    wait_status(api, cid, "TIMED_OUT")
    pwf = wait_status(api, pid, "TIMED_OUT")
    subs = [t for t in pwf["tasks"] if t["referenceTaskName"] == "sub"]
    assert len(subs) == 1 and subs[0]["status"] == "TIMED_OUT"


def wait_for_child(api: httpx.Client, pid: str) -> str:
    wait_until(lambda: bool(by_ref(get(api, pid)).get("sub", {}).get("subWorkflowId")), what="child launched")
    cid: str = by_ref(get(api, pid))["sub"]["subWorkflowId"]
    return cid
