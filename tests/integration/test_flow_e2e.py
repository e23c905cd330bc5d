"""Flow-control operators end to end: a real server, real HTTP workers (docs/reference.md, SWITCH to TERMINATE)."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from apikit import start, workflow

from conftest import wait_until

Handler = Callable[[dict[str, Any]], dict[str, Any]]


def taskdefs(api: httpx.Client, *names: str) -> None:
    r = api.post("/metadata/taskdefs", json=[{"name": n, "retryCount": 0} for n in names])
    assert r.status_code == 200, r.text


def register(api: httpx.Client, uniq: str, tasks: list[dict[str, Any]], **extra: Any) -> str:
    name = f"flow_{uniq}"
    r = api.post("/metadata/workflow", json={"name": name, "version": 1, "tasks": tasks, **extra})
    assert r.status_code == 200, r.text
    return name


def work(api: httpx.Client, wid: str, handlers: dict[str, Handler], timeout: float = 20.0) -> dict[str, Any]:
    """A worker loop: poll every task type, answer with its handler, until the workflow ends."""

    def round_of_work() -> bool:
        for task_type, handler in handlers.items():
            polled = api.get(f"/tasks/poll/batch/{task_type}", params={"count": 10, "timeout": 0, "workerid": "e2e"})
            assert polled.status_code == 200, polled.text
            for task in polled.json():
                body = {
                    "workflowInstanceId": task["workflowInstanceId"],
                    "taskId": task["taskId"],
                    "status": "COMPLETED",
                    "outputData": handler(task),
                }
                assert api.post("/tasks", json=body).status_code == 200
        return workflow(api, wid)["status"] != "RUNNING"

    wait_until(round_of_work, timeout=timeout, what=f"workflow {wid} to end")
    return workflow(api, wid)


def by_ref(wf: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["referenceTaskName"]: t for t in wf["tasks"]}


def test_fork_with_a_switch_inside(api: httpx.Client, uniq: str) -> None:
    wa, wb, wd, after = (f"{p}_{uniq}" for p in ("wa", "wb", "wd", "after"))
    taskdefs(api, wa, wb, wd, after)
    switch = {
        "name": "route",
        "taskReferenceName": "route",
        "type": "SWITCH",
        "evaluatorType": "javascript",
        "expression": "$.n > 10 ? 'big' : 'small'",
        "inputParameters": {"n": "${workflow.input.n}"},
        "decisionCases": {"big": [{"name": wa, "taskReferenceName": "wa"}]},
        "defaultCase": [{"name": wd, "taskReferenceName": "wd"}],
    }
    tasks = [
        {
            "name": "fork",
            "taskReferenceName": "fork",
            "type": "FORK_JOIN",
            "forkTasks": [
                [switch, {"name": after, "taskReferenceName": "after"}],
                [{"name": wb, "taskReferenceName": "wb"}],
            ],
        },
        {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["after", "wb"]},
    ]
    name = register(api, uniq, tasks, outputParameters={"joined": "${join.output}"})
    wid = start(api, name, n=42)
    wf = work(
        api,
        wid,
        {
            wa: lambda t: {"took": "big"},
            wd: lambda t: {"took": "default"},
            wb: lambda t: {"b": 1},
            after: lambda t: {"after": True},
        },
    )
    assert wf["status"] == "COMPLETED"
    refs = [t["referenceTaskName"] for t in wf["tasks"]]
    assert refs[:5] == ["fork", "route", "wa", "wb", "join"] and "wd" not in refs
    tasks_ = by_ref(wf)
    assert tasks_["route"]["outputData"] == {"evaluationResult": ["big"], "selectedCase": "big"}
    assert tasks_["route"]["inputData"]["case"] == "big"
    assert wf["output"] == {"joined": {"after": {"after": True}, "wb": {"b": 1}}}
    assert [t["seq"] for t in wf["tasks"]] == list(range(1, len(refs) + 1))


def test_loop_with_a_fork(api: httpx.Client, uniq: str) -> None:
    p, q = f"p_{uniq}", f"q_{uniq}"
    taskdefs(api, p, q)
    body = [
        {
            "name": "f",
            "taskReferenceName": "f",
            "type": "FORK_JOIN",
            "forkTasks": [
                [{"name": p, "taskReferenceName": "p", "inputParameters": {"i": "${loop.iteration}"}}],
                [{"name": q, "taskReferenceName": "q"}],
            ],
        },
        {"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["p", "q"]},
    ]
    loop = {
        "name": "loop",
        "taskReferenceName": "loop",
        "type": "DO_WHILE",
        "loopCondition": "$.loop['iteration'] < $.times",
        "inputParameters": {"times": "${workflow.input.times}"},
        "loopOver": body,
    }
    name = register(api, uniq, [loop])
    wid = start(api, name, times=3)
    wf = work(api, wid, {p: lambda t: {"i": t["inputData"]["i"]}, q: lambda t: {"q": t["iteration"]}})
    assert wf["status"] == "COMPLETED"
    tasks = by_ref(wf)
    assert {f"p__{i}" for i in (1, 2, 3)} <= tasks.keys() and "p__4" not in tasks
    assert tasks["p__2"]["iteration"] == 2 and tasks["p__2"]["inputData"] == {"i": 2}
    out = tasks["loop"]["outputData"]
    assert out["iteration"] == 3 and tasks["loop"]["iteration"] == 3
    assert out["2"]["j"] == {"p__2": {"i": 2}, "q__2": {"q": 2}}
    assert out["3"]["p"] == {"i": 3}


def test_dynamic_fork_of_worker_tasks(api: httpx.Client, uniq: str) -> None:
    worker = f"dbl_{uniq}"
    taskdefs(api, worker)
    tasks = [
        {
            "name": "df",
            "taskReferenceName": "df",
            "type": "FORK_JOIN_DYNAMIC",
            "inputParameters": {"forkTaskName": worker, "forkTaskInputs": "${workflow.input.numbers}"},
        },
        {"name": "dj", "taskReferenceName": "dj", "type": "JOIN"},
    ]
    name = register(api, uniq, tasks, outputParameters={"results": "${dj.output}"})
    wid = start(api, name, numbers=[{"n": 1}, {"n": 2}, {"n": 3}])
    seen: list[int] = []

    def double(task: dict[str, Any]) -> dict[str, Any]:
        seen.append(task["inputData"]["__index"])
        return {"double": task["inputData"]["n"] * 2}

    wf = work(api, wid, {worker: double})
    assert wf["status"] == "COMPLETED" and sorted(seen) == [0, 1, 2]
    refs = [f"_{worker}_{i}" for i in range(3)]
    fork = by_ref(wf)["df"]
    assert fork["taskType"] == "FORK" and fork["inputData"]["forkedTasks"] == refs
    assert by_ref(wf)["dj"]["inputData"] == {"joinOn": refs}
    assert wf["output"] == {"results": {r: {"double": 2 * (i + 1)} for i, r in enumerate(refs)}}


def test_dynamic_fork_with_a_bad_input_map_fails(api: httpx.Client, uniq: str) -> None:
    tasks = [
        {
            "name": "df",
            "taskReferenceName": "df",
            "type": "FORK_JOIN_DYNAMIC",
            "dynamicForkTasksParam": "tasks",
            "dynamicForkTasksInputParamName": "inputs",
            "inputParameters": {"tasks": "${workflow.input.tasks}", "inputs": "${workflow.input.inputs}"},
        },
        {"name": "dj", "taskReferenceName": "dj", "type": "JOIN"},
    ]
    name = register(api, uniq, tasks)
    wid = start(api, name, tasks=[{"name": "x", "taskReferenceName": "x1"}], inputs="oops")
    wait_until(lambda: workflow(api, wid)["status"] == "FAILED", what="dynamic fork failure")
    assert workflow(api, wid)["tasks"] == []


def test_terminate_cancels_running_branches(api: httpx.Client, uniq: str) -> None:
    slow = f"slow_{uniq}"
    taskdefs(api, slow)
    tasks = [
        {
            "name": "fork",
            "taskReferenceName": "fork",
            "type": "FORK_JOIN",
            "forkTasks": [
                [
                    {
                        "name": "term",
                        "taskReferenceName": "term",
                        "type": "TERMINATE",
                        "inputParameters": {
                            "terminationStatus": "COMPLETED",
                            "workflowOutput": {"why": "${workflow.input.why}"},
                        },
                    }
                ],
                [{"name": slow, "taskReferenceName": "slow"}],
            ],
        },
        {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["term", "slow"]},
    ]
    name = register(api, uniq, tasks)
    wid = start(api, name, why="enough")
    wait_until(lambda: workflow(api, wid)["status"] != "RUNNING", what="terminate")
    wf = workflow(api, wid)
    tasks_ = by_ref(wf)
    assert wf["status"] == "COMPLETED" and wf["output"] == {"why": "enough"}
    assert wf["reasonForIncompletion"] == f"Workflow is COMPLETED by TERMINATE task: {tasks_['term']['taskId']}"
    assert tasks_["term"]["status"] == "COMPLETED"
    assert tasks_["slow"]["status"] == "CANCELED" and tasks_["join"]["status"] == "CANCELED"
    assert api.get(f"/tasks/poll/batch/{slow}", params={"count": 1, "timeout": 0}).json() == []


def test_dynamic_task_and_terminate_failed(api: httpx.Client, uniq: str) -> None:
    shipper = f"ship_{uniq}"
    taskdefs(api, shipper)
    tasks = [
        {
            "name": "dyn",
            "taskReferenceName": "dyn",
            "type": "DYNAMIC",
            "dynamicTaskNameParam": "which",
            "inputParameters": {"which": "${workflow.input.which}"},
        },
        {
            "name": "end",
            "taskReferenceName": "end",
            "type": "TERMINATE",
            "inputParameters": {"terminationStatus": "FAILED", "terminationReason": "shipped ${dyn.output.id}"},
        },
    ]
    name = register(api, uniq, tasks)
    wid = start(api, name, which=shipper)
    wf = work(api, wid, {shipper: lambda t: {"id": "X1"}})
    assert wf["status"] == "FAILED" and wf["reasonForIncompletion"] == "shipped X1"
    dyn = by_ref(wf)["dyn"]
    assert dyn["taskType"] == shipper and dyn["status"] == "COMPLETED"


def nested_loops(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` inside a DO_WHILE inside a DO_WHILE, one pass each: its record is ``<ref>__1__1``."""
    inner = {
        "name": "inner",
        "taskReferenceName": "inner",
        "type": "DO_WHILE",
        "loopCondition": "$.inner.iteration < 1",
        "loopOver": [body],
    }
    return {
        "name": "outer",
        "taskReferenceName": "outer",
        "type": "DO_WHILE",
        "loopCondition": "$.outer.iteration < 1",
        "loopOver": [inner],
    }


def test_a_task_in_nested_loops_is_updated_by_its_reference(api: httpx.Client, uniq: str) -> None:
    name = register(api, uniq, [nested_loops({"name": "h", "taskReferenceName": "h", "type": "HUMAN"})])
    wid = start(api, name)
    assert [t["referenceTaskName"] for t in workflow(api, wid)["tasks"]] == ["outer", "inner__1", "h__1__1"]
    r = api.post(f"/tasks/{wid}/h/COMPLETED", json={"ok": 1})
    assert r.status_code == 200, r.text
    # The loops' conditions are scripts: on a busy machine their answers may come after the update's.
    wait_until(lambda: workflow(api, wid)["status"] != "RUNNING", timeout=10, what="the loops to end")
    wf = workflow(api, wid)
    assert wf["status"] == "COMPLETED"
    assert next(t for t in wf["tasks"] if t["referenceTaskName"] == "h__1__1")["outputData"] == {"ok": 1}


def test_sync_execute_returns_once_a_task_in_nested_loops_ends(api: httpx.Client, uniq: str) -> None:
    inline = {
        "name": "h",
        "taskReferenceName": "h",
        "type": "INLINE",
        "inputParameters": {"evaluatorType": "javascript", "expression": "1"},
    }
    name = register(api, uniq, [nested_loops(inline), {"name": "gate", "taskReferenceName": "gate", "type": "HUMAN"}])
    started = time.monotonic()
    r = api.post(f"/workflow/execute/{name}/1", params={"waitUntilTaskRef": "h", "waitForSeconds": 3}, json={})
    assert r.status_code == 200, r.text
    run = r.json()
    assert "signalTimeout" not in run and run["status"] == "RUNNING"
    assert time.monotonic() - started < 3
    assert [t["referenceTaskName"] for t in run["tasks"]][-2:] == ["h__1__1", "gate"]


def test_updates_sent_together_decide_their_workflows_as_if_one_by_one(api: httpx.Client, uniq: str) -> None:
    """Many updates in flight at once, of one workflow's fork branches and of other workflows (a node
    reads the workflows of the requests it has parsed ahead, together): every workflow ends as if the
    updates had come one at a time, each task completed once."""
    branch, last = f"branch_{uniq}", f"last_{uniq}"
    taskdefs(api, branch, last)
    refs = [f"b{i}" for i in range(4)]
    tasks = [
        {
            "name": "fork",
            "taskReferenceName": "fork",
            "type": "FORK_JOIN",
            "forkTasks": [[{"name": branch, "taskReferenceName": r, "inputParameters": {"r": r}}] for r in refs],
        },
        {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": refs},
        {"name": last, "taskReferenceName": "last", "inputParameters": {"joined": "${join.output}"}},
    ]
    name = register(api, uniq, tasks, outputParameters={"joined": "${join.output}", "last": "${last.output}"})
    wids = [start(api, name, n=i) for i in range(6)]

    def complete(task: dict[str, Any]) -> int:
        body = {
            "workflowInstanceId": task["workflowInstanceId"],
            "taskId": task["taskId"],
            "status": "COMPLETED",
            "outputData": {"from": task["referenceTaskName"], "wid": task["workflowInstanceId"]},
        }
        return api.post("/tasks", json=body).status_code

    def round_of_work() -> bool:
        polled = []
        for task_type in (branch, last):
            r = api.get(f"/tasks/poll/batch/{task_type}", params={"count": 50, "timeout": 0, "workerid": "e2e"})
            assert r.status_code == 200, r.text
            polled += r.json()
        with ThreadPoolExecutor(max_workers=8) as pool:
            assert set(pool.map(complete, polled)) <= {200}
        return all(workflow(api, wid)["status"] != "RUNNING" for wid in wids)

    wait_until(round_of_work, timeout=30, what="every workflow to end")
    for wid in wids:
        wf = workflow(api, wid)
        assert wf["status"] == "COMPLETED"
        joined = {r: {"from": r, "wid": wid} for r in refs}
        assert wf["output"] == {"joined": joined, "last": {"from": "last", "wid": wid}}
        counted = [t["referenceTaskName"] for t in wf["tasks"]]
        assert sorted(counted) == sorted(["fork", *refs, "join", "last"])
        assert all(t["status"] == "COMPLETED" for t in wf["tasks"])
