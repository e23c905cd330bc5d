"""SUB_WORKFLOW and START_WORKFLOW as pure decider operators (docs/reference.md#sub_workflow, #start_workflow)."""

from __future__ import annotations

from typing import Any

from syskit import T0, effects, make_env, make_state, node, rec, simple

from podium.decider import decide
from podium.domain import statuses as st


def sub(ref: str = "sub", params: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return node(ref, "SUB_WORKFLOW", subWorkflowParam=params or {"name": "child", "version": 2}, **extra)


def test_sub_workflow_records_child_coordinates_and_asks_for_a_launch() -> None:
    state = make_state(
        [
            sub(
                params={
                    "name": "${workflow.input.child}",
                    "version": "${workflow.input.v}",
                    "taskToDomain": {"*": "blue"},
                    "priority": 7,
                },
                inputParameters={"a": "${workflow.input.a}"},
            )
        ],
        input={"child": "kid", "v": 3, "a": [1]},
    )
    out = decide(state, make_env(), T0)
    t = rec(state, "sub")
    assert t["taskType"] == "SUB_WORKFLOW" and t["taskDefName"] == "sub"
    assert t["status"] == st.IN_PROGRESS and t["startTime"] == T0
    assert t["inputData"] == {
        "a": [1],
        "subWorkflowName": "kid",
        "subWorkflowVersion": 3,
        "subWorkflowTaskToDomain": {"*": "blue"},
        "subWorkflowDefinition": None,
        "workflowInput": {"a": [1]},
        "priority": 7,
    }
    assert effects(out) == [("start_sub_workflow", "sub", {})]
    assert out.pushes == []
    # Nothing more happens on later passes while the child runs.
    out2 = decide(state, make_env(), T0 + 1)
    assert out2.effects == [] and t["status"] == st.IN_PROGRESS


def test_inline_definition_names_the_child() -> None:
    inline = {"name": "adhoc", "version": 4, "tasks": [simple("x")]}
    state = make_state([sub(params={"workflowDefinition": "${workflow.input.def}"})], input={"def": inline})
    decide(state, make_env(), T0)
    inp = rec(state, "sub")["inputData"]
    assert inp["subWorkflowName"] == "adhoc" and inp["subWorkflowVersion"] == 4
    assert inp["subWorkflowDefinition"] == inline


def test_missing_version_is_left_for_the_service_to_pin() -> None:
    state = make_state([sub(params={"name": "child"})])
    decide(state, make_env(), T0)
    assert rec(state, "sub")["inputData"]["subWorkflowVersion"] is None


def test_start_delay_defers_the_launch() -> None:
    env = make_env()
    state = make_state([sub(startDelay=10)])
    out = decide(state, env, T0)
    t = rec(state, "sub")
    assert t["status"] == st.SCHEDULED and out.effects == [] and out.next_check == T0 + 10_000
    out = decide(state, env, T0 + 10_000)
    assert t["status"] == st.IN_PROGRESS and effects(out) == [("start_sub_workflow", "sub", {})]


def test_child_result_flows_on_and_failed_child_is_retried_with_a_new_launch() -> None:
    env = make_env({"sub": {"retryCount": 1, "retryDelaySeconds": 0}})
    state = make_state([sub(), simple("after", inputParameters={"r": "${sub.output.res}"})])
    decide(state, env, T0)
    first = rec(state, "sub")
    first.update({"status": st.FAILED, "subWorkflowId": "c1", "reasonForIncompletion": "child failed"})
    out = decide(state, env, T0 + 1)
    second = rec(state, "sub")
    assert second is not first and first["retried"] is True
    assert second["status"] == st.IN_PROGRESS and "subWorkflowId" not in second
    assert effects(out) == [("start_sub_workflow", "sub", {})] and out.effects[0].task is second
    second.update({"status": st.COMPLETED, "outputData": {"res": 5, "subWorkflowId": "c2"}})
    decide(state, env, T0 + 2)
    assert rec(state, "after")["inputData"] == {"r": 5}


def test_cancelling_a_running_sub_workflow_terminates_the_child() -> None:
    env = make_env()
    state = make_state([sub()])
    decide(state, env, T0)
    t = rec(state, "sub")
    t["subWorkflowId"] = "child-1"
    state.workflow["status"] = st.TERMINATED
    out = decide(state, env, T0 + 1)
    assert t["status"] == st.CANCELED
    [(kind, ref, data)] = effects(out, "terminate_workflow")
    assert (kind, ref, data["workflow_id"]) == ("terminate_workflow", "sub", "child-1")
    assert "w1" in data["reason"]


def test_launch_requested_in_the_pass_that_ends_the_workflow_is_dropped() -> None:
    fork = {
        "name": "f",
        "taskReferenceName": "f",
        "type": "FORK_JOIN",
        "forkTasks": [[sub()], [node("boom", "INLINE", inputParameters={"expression": "throw new Error('x')"})]],
    }
    join = {"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["sub", "boom"]}
    state = make_state([fork, join])
    out = decide(state, make_env(), T0)
    assert state.workflow["status"] == st.FAILED
    assert rec(state, "sub")["status"] == st.CANCELED
    assert effects(out, "start_sub_workflow") == [] and effects(out, "terminate_workflow") == []


def test_start_workflow_asks_for_an_independent_launch() -> None:
    req = {"name": "other", "input": {"k": "${workflow.input.k}"}}
    state = make_state([node("sw", "START_WORKFLOW", inputParameters={"startWorkflow": req})], input={"k": 9})
    out = decide(state, make_env(), T0)
    t = rec(state, "sw")
    assert t["taskType"] == "START_WORKFLOW" and t["status"] == st.IN_PROGRESS
    assert t["inputData"] == {"startWorkflow": {"name": "other", "input": {"k": 9}}}
    assert effects(out) == [("start_workflow", "sw", {})]
    # The service completes the task; the flow then continues.
    t.update({"status": st.COMPLETED, "outputData": {"workflowId": "x"}})
    decide(state, make_env(), T0 + 1)
    assert state.workflow["status"] == st.COMPLETED and state.workflow["output"] == {"workflowId": "x"}


def test_an_inline_sub_workflow_definition_is_not_resolved_against_the_parent() -> None:
    inline = {
        "name": "inline_child",
        "version": 1,
        "tasks": [{"name": "t", "taskReferenceName": "t", "inputParameters": {"x": "${workflow.input.x}"}}],
        "outputParameters": {"y": "${t.output.y}"},
    }
    state = make_state(
        [sub(params={"name": "${workflow.input.n}", "workflowDefinition": inline}, inputParameters={"x": 5})],
        input={"x": "parent's", "n": "named"},
    )
    decide(state, make_env(), T0)
    t = rec(state, "sub")
    assert t["inputData"]["subWorkflowDefinition"] == inline  # the child resolves it against its own input
    assert t["inputData"]["subWorkflowName"] == "named" and t["inputData"]["workflowInput"] == {"x": 5}


def test_a_sub_workflow_definition_given_as_an_expression_is_resolved() -> None:
    inline = {"name": "dyn", "version": 1, "tasks": [{"name": "t", "taskReferenceName": "t"}]}
    state = make_state([sub(params={"workflowDefinition": "${workflow.input.def}"})], input={"def": inline})
    decide(state, make_env(), T0)
    t = rec(state, "sub")
    assert t["inputData"]["subWorkflowDefinition"] == inline and t["inputData"]["subWorkflowName"] == "dyn"
