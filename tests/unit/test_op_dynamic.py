"""FORK_JOIN_DYNAMIC and DYNAMIC (docs/reference.md#fork_join_dynamic, #dynamic)."""

from __future__ import annotations

from typing import Any

import pytest
from flowkit import T0, make_env, make_state, rec, refs, seqs, simple, step

from podium.decider import decide
from podium.decider.graph import Graph
from podium.decider.operators.dynamic_fork import ForkInputError, forked_tasks
from podium.domain import statuses as st


def dyn_fork(ref: str = "df", **extra: Any) -> dict[str, Any]:
    return {
        "name": ref,
        "taskReferenceName": ref,
        "type": "FORK_JOIN_DYNAMIC",
        "dynamicForkTasksParam": "tasks",
        "dynamicForkTasksInputParamName": "inputs",
        "inputParameters": {"tasks": "${workflow.input.tasks}", "inputs": "${workflow.input.inputs}"},
        **extra,
    }


def join(ref: str = "dj") -> dict[str, Any]:
    return {"name": ref, "taskReferenceName": ref, "type": "JOIN"}


TASKS = [
    {"name": "work", "taskReferenceName": "d1", "type": "SIMPLE"},
    {"name": "work", "taskReferenceName": "d2"},
]
INPUTS = {"d1": {"n": 1}, "d2": {"n": 2}}


def test_task_list_style_creates_fork_tasks_and_join_in_order() -> None:
    state = make_state([dyn_fork(), join(), simple("post")], input={"tasks": TASKS, "inputs": INPUTS})
    out = decide(state, make_env(), T0)
    assert seqs(state) == [
        (1, "df", st.COMPLETED),
        (2, "d1", st.SCHEDULED),
        (3, "d2", st.SCHEDULED),
        (4, "dj", st.IN_PROGRESS),
    ]
    f = rec(state, "df")
    assert f["taskType"] == "FORK" and f["taskDefName"] == "FORK"
    assert f["inputData"]["forkedTasks"] == ["d1", "d2"]
    assert [t["taskReferenceName"] for t in f["inputData"]["forkedTaskDefs"]] == ["d1", "d2"]
    assert f["inputData"]["inputs"] == INPUTS
    d1, d2 = rec(state, "d1"), rec(state, "d2")
    assert d1["taskType"] == "work" and d1["inputData"] == {"n": 1} and d2["inputData"] == {"n": 2}
    assert rec(state, "dj")["inputData"] == {"joinOn": ["d1", "d2"]}
    assert [p.queue for p in out.pushes] == ["work", "work"]


def test_forked_tasks_are_branch_ends_and_the_join_collects_them() -> None:
    state = make_state([dyn_fork(), join(), simple("post")], input={"tasks": TASKS, "inputs": INPUTS})
    env = make_env()
    decide(state, env, T0)
    step(state, env, "d2", {"r": 2})
    assert refs(state) == ["df", "d1", "d2", "dj"]
    step(state, env, "d1", {"r": 1})
    dj = rec(state, "dj")
    assert dj["status"] == st.COMPLETED and dj["outputData"] == {"d1": {"r": 1}, "d2": {"r": 2}}
    assert refs(state) == ["df", "d1", "d2", "dj", "post"]


@pytest.mark.parametrize(
    "inputs",
    [None, "text", [1, 2], {"d1": {"n": 1}, "d2": "not a map"}],
)
def test_bad_input_map_fails_the_workflow_without_forked_tasks(inputs: Any) -> None:
    state = make_state([simple("pre"), dyn_fork(), join()], input={"tasks": TASKS, "inputs": inputs})
    env = make_env()
    decide(state, env, T0)
    step(state, env, "pre")
    assert refs(state) == ["pre"]
    assert state.workflow["status"] == st.FAILED
    assert "inputs" in state.workflow["reasonForIncompletion"]


@pytest.mark.parametrize("tasks", [None, "x", [{"name": "work"}], [{"name": "a", "taskReferenceName": "x"}] * 2])
def test_bad_task_list_fails_the_workflow(tasks: Any) -> None:
    state = make_state([dyn_fork(), join()], input={"tasks": tasks, "inputs": {}})
    decide(state, make_env(), T0)
    assert refs(state) == [] and state.workflow["status"] == st.FAILED


def test_empty_list_gives_a_join_that_completes_with_empty_output() -> None:
    state = make_state([dyn_fork(), join(), simple("post")], input={"tasks": [], "inputs": {}})
    decide(state, make_env(), T0)
    assert seqs(state) == [(1, "df", st.COMPLETED), (2, "dj", st.COMPLETED), (3, "post", st.SCHEDULED)]
    assert rec(state, "dj")["outputData"] == {} and rec(state, "dj")["inputData"] == {"joinOn": []}


def test_dynamic_fork_not_followed_by_join_fails() -> None:
    state = make_state([dyn_fork(), simple("post")], input={"tasks": TASKS, "inputs": INPUTS})
    decide(state, make_env(), T0)
    assert refs(state) == [] and state.workflow["status"] == st.FAILED
    assert "not followed by a join" in state.workflow["reasonForIncompletion"]


def simple_form(ref: str = "df", **inputs: Any) -> dict[str, Any]:
    return {"name": ref, "taskReferenceName": ref, "type": "FORK_JOIN_DYNAMIC", "inputParameters": inputs}


def test_simple_form_refs_inputs_and_index() -> None:
    wf = [simple_form(forkTaskName="work", forkTaskInputs=[{"a": 1}, 7, None]), join()]
    state = make_state(wf)
    decide(state, make_env(), T0)
    assert refs(state) == ["df", "_work_0", "_work_1", "_work_2", "dj"]
    assert rec(state, "_work_0")["inputData"] == {"a": 1, "__index": 0}
    assert rec(state, "_work_1")["inputData"] == {"input": 7, "__index": 1}
    assert rec(state, "_work_2")["inputData"] == {"input": None, "__index": 2}
    assert rec(state, "_work_1")["taskType"] == "work"
    assert rec(state, "dj")["inputData"] == {"joinOn": ["_work_0", "_work_1", "_work_2"]}


def test_simple_form_inherits_optional_and_prefixes_refs_when_several_dynamic_forks() -> None:
    wf = [
        simple_form("f1", forkTaskName="work", forkTaskInputs=[1]),
        join("j1"),
        simple_form("f2", forkTaskName="work", forkTaskInputs=[2]),
        join("j2"),
    ]
    wf[0]["optional"] = True
    state = make_state(wf)
    env = make_env({"work": {"retryCount": 0}})
    decide(state, env, T0)
    assert refs(state) == ["f1", "_f1_work_0", "j1"]
    assert rec(state, "_f1_work_0")["workflowTask"]["optional"] is True
    step(state, env, "_f1_work_0", status=st.FAILED, reason="x")
    assert rec(state, "j1")["status"] == st.COMPLETED_WITH_ERRORS
    assert refs(state)[-3:] == ["f2", "_f2_work_0", "j2"]


def test_simple_form_sub_workflow_and_system_type_shapes() -> None:
    wt = simple_form()
    graph = Graph({"name": "wf", "tasks": [wt, join()]})
    forked = forked_tasks(
        wt,
        {
            "forkTaskWorkflow": "child",
            "forkTaskWorkflowVersion": "3",
            "forkTaskName": "kid",
            "forkTaskInputs": [{"k": 1}],
        },
        graph,
    )
    task, data = forked[0]
    assert task["type"] == "SUB_WORKFLOW" and task["taskReferenceName"] == "_kid_0"
    assert task["subWorkflowParam"] == {"name": "child", "version": 3}
    assert data == {"k": 1, "__index": 0} and task["inputParameters"] == data
    task, _ = forked_tasks(wt, {"forkTaskType": "HTTP", "forkTaskInputs": [{}]}, graph)[0]
    assert task["type"] == "HTTP" and task["name"] == "HTTP" and task["taskReferenceName"] == "_HTTP_0"
    task, _ = forked_tasks(wt, {"forkTaskInputs": [{}]}, graph)[0]
    assert task["name"] == "df" and task["type"] == "SIMPLE"


def test_legacy_dynamic_fork_join_tasks_param() -> None:
    wt = {
        "name": "df",
        "taskReferenceName": "df",
        "type": "FORK_JOIN_DYNAMIC",
        "dynamicForkJoinTasksParam": "dyn",
        "inputParameters": {"dyn": "${workflow.input.dyn}"},
    }
    dyn = {"dynamicTasks": [{"taskName": "work", "referenceName": "l1", "type": "SIMPLE", "input": {"q": 1}}]}
    state = make_state([wt, join()], input={"dyn": dyn})
    decide(state, make_env(), T0)
    assert refs(state) == ["df", "l1", "dj"] and rec(state, "l1")["inputData"] == {"q": 1}
    with pytest.raises(ForkInputError):
        forked_tasks(wt, {"dyn": "nope"}, Graph({"tasks": [wt]}))


def test_failed_forked_task_is_retried_with_its_input_and_joined() -> None:
    env = make_env({"work": {"retryCount": 1, "retryDelaySeconds": 0}})
    state = make_state([dyn_fork(), join()], input={"tasks": TASKS, "inputs": INPUTS})
    decide(state, env, T0)
    step(state, env, "d1", status=st.FAILED, reason="flaky")
    retry = rec(state, "d1")
    assert retry["retryCount"] == 1 and retry["inputData"] == {"n": 1} and retry["status"] == st.SCHEDULED
    step(state, env, "d1", {"ok": 1})
    step(state, env, "d2", {"ok": 2})
    assert rec(state, "dj")["status"] == st.COMPLETED and state.workflow["status"] == st.COMPLETED


def test_non_optional_forked_failure_fails_the_workflow() -> None:
    env = make_env({"work": {"retryCount": 0}})
    state = make_state([dyn_fork(), join()], input={"tasks": TASKS, "inputs": INPUTS})
    decide(state, env, T0)
    step(state, env, "d2", status=st.FAILED, reason="no")
    assert state.workflow["status"] == st.FAILED
    assert rec(state, "d1")["status"] == st.CANCELED and rec(state, "dj")["status"] == st.CANCELED


def dynamic(**extra: Any) -> dict[str, Any]:
    return {
        "name": "dyn",
        "taskReferenceName": "dyn",
        "type": "DYNAMIC",
        "dynamicTaskNameParam": "taskToRun",
        "inputParameters": {"taskToRun": "${workflow.input.which}", "v": 3},
        **extra,
    }


def test_dynamic_runs_the_named_task_under_its_own_ref() -> None:
    env = make_env({"shipper": {"responseTimeoutSeconds": 40}})
    state = make_state([dynamic(), simple("post")], input={"which": "shipper"})
    out = decide(state, env, T0)
    t = rec(state, "dyn")
    assert t["taskType"] == "shipper" and t["taskDefName"] == "shipper" and t["status"] == st.SCHEDULED
    assert t["inputData"] == {"taskToRun": "shipper", "v": 3} and t["responseTimeoutSeconds"] == 40
    assert t["workflowTask"]["type"] == "DYNAMIC" and t["workflowTask"]["name"] == "shipper"
    assert [(p.queue, p.task_id) for p in out.pushes] == [("shipper", t["taskId"])]
    step(state, env, "dyn", {"shipped": True})
    assert refs(state) == ["dyn", "post"]


def test_dynamic_task_uses_the_named_task_def_for_retries_and_timeouts() -> None:
    env = make_env({"shipper": {"retryCount": 1, "retryDelaySeconds": 2, "responseTimeoutSeconds": 5}})
    state = make_state([dynamic()], input={"which": "shipper"})
    decide(state, env, T0)
    t = rec(state, "dyn")
    t["status"] = st.IN_PROGRESS
    t["updateTime"] = T0
    out = decide(state, env, T0 + 5000)
    assert t["status"] == st.TIMED_OUT
    retry = rec(state, "dyn")
    assert retry["retryCount"] == 1 and retry["taskType"] == "shipper"
    assert [(p.queue, p.delay_ms) for p in out.pushes] == [("shipper", 2000)]


@pytest.mark.parametrize("which", [None, "", "unregistered"])
def test_dynamic_without_a_registered_name_fails_the_workflow(which: str | None) -> None:
    state = make_state([dynamic()], input={"which": which})
    decide(state, make_env({"shipper": {}}), T0)
    assert refs(state) == [] and state.workflow["status"] == st.FAILED
    assert state.workflow["reasonForIncompletion"]
