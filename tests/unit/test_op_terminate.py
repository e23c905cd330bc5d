"""TERMINATE (docs/reference.md#terminate)."""

from __future__ import annotations

from typing import Any

import pytest
from flowkit import T0, make_env, make_state, rec, refs, simple, step

from podium.decider import decide
from podium.domain import statuses as st


def terminate(ref: str = "term", **inputs: Any) -> dict[str, Any]:
    return {"name": ref, "taskReferenceName": ref, "type": "TERMINATE", "inputParameters": inputs}


def test_terminate_completed_ends_the_workflow_with_its_output() -> None:
    wf = [simple("a"), terminate(terminationStatus="COMPLETED", workflowOutput={"r": "${a.output.v}"}), simple("never")]
    state = make_state(wf, definition={"outputParameters": {"ignored": True}})
    env = make_env()
    decide(state, env, T0)
    out = step(state, env, "a", {"v": 9})
    t = rec(state, "term")
    assert t["taskType"] == "TERMINATE" and t["taskDefName"] == "term"
    assert t["status"] == st.COMPLETED and t["executed"] is True and t["outputData"] == {"r": 9}
    assert refs(state) == ["a", "term"]
    wf_ = state.workflow
    assert wf_["status"] == st.COMPLETED and wf_["output"] == {"r": 9}
    assert wf_["reasonForIncompletion"] == f"Workflow is COMPLETED by TERMINATE task: {t['taskId']}"
    assert out.next_check is None and not out.effects


@pytest.mark.parametrize("status", ["FAILED", "TERMINATED"])
def test_terminate_failed_or_terminated_runs_the_failure_workflow(status: str) -> None:
    wf = [terminate(terminationStatus=status, terminationReason="stop: ${workflow.input.why}")]
    state = make_state(wf, input={"why": "bad data"}, definition={"failureWorkflow": "cleanup"})
    out = decide(state, make_env(), T0)
    t = rec(state, "term")
    assert t["status"] == st.COMPLETED
    assert state.workflow["status"] == status
    assert state.workflow["reasonForIncompletion"] == "stop: bad data"
    assert [(e.kind, e.data["status"], e.data["failed_task_id"]) for e in out.effects] == [
        ("start_failure_workflow", status, t["taskId"])
    ]


@pytest.mark.parametrize(("value", "output"), [("text", {"output": "text"}), ([1], {"output": [1]}), (None, {})])
def test_non_map_workflow_output_is_wrapped(value: Any, output: dict[str, Any]) -> None:
    state = make_state([terminate(terminationStatus="COMPLETED", workflowOutput=value)])
    decide(state, make_env(), T0)
    assert rec(state, "term")["outputData"] == output and state.workflow["output"] == output


def test_terminate_in_a_fork_branch_cancels_the_rest_even_when_completed() -> None:
    fork = {
        "name": "f",
        "taskReferenceName": "f",
        "type": "FORK_JOIN",
        "forkTasks": [[simple("a"), terminate(terminationStatus="COMPLETED")], [simple("b")]],
    }
    join = {"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["term", "b"]}
    state = make_state([fork, join, simple("post")])
    env = make_env()
    decide(state, env, T0)
    out = step(state, env, "a")
    assert state.workflow["status"] == st.COMPLETED
    assert rec(state, "b")["status"] == st.CANCELED and rec(state, "j")["status"] == st.CANCELED
    assert rec(state, "b")["taskId"] in {task_id for _, task_id in out.removes}
    assert "post" not in refs(state)


def test_terminate_in_a_switch_case_and_default_path_continues() -> None:
    def wf() -> list[dict[str, Any]]:
        sw = {
            "name": "sw",
            "taskReferenceName": "sw",
            "type": "SWITCH",
            "evaluatorType": "value-param",
            "expression": "ok",
            "inputParameters": {"ok": "${workflow.input.ok}"},
            "decisionCases": {"false": [terminate(terminationStatus="FAILED", terminationReason="invalid")]},
        }
        return [sw, simple("go")]

    state = make_state(wf(), input={"ok": False})
    decide(state, make_env(), T0)
    assert state.workflow["status"] == st.FAILED and state.workflow["reasonForIncompletion"] == "invalid"
    assert refs(state) == ["sw", "term"]
    state = make_state(wf(), input={"ok": True})
    decide(state, make_env(), T0)
    assert refs(state) == ["sw", "go"] and state.workflow["status"] == st.RUNNING


def test_terminate_inside_a_loop_ends_everything() -> None:
    body = [simple("x"), terminate(terminationStatus="COMPLETED", workflowOutput={"at": "${lp.iteration}"})]
    lp = {"name": "lp", "taskReferenceName": "lp", "type": "DO_WHILE", "loopCondition": "true", "loopOver": body}
    state = make_state([lp, simple("post")])
    env = make_env()
    decide(state, env, T0)
    step(state, env, "x__1")
    assert refs(state) == ["lp", "x__1", "term__1"]
    assert state.workflow["status"] == st.COMPLETED and state.workflow["output"] == {"at": 1}
    assert rec(state, "lp")["status"] == st.CANCELED


def test_invalid_termination_status_fails_the_task_and_workflow() -> None:
    state = make_state([terminate(terminationStatus="${workflow.input.s}")], input={"s": "PAUSED"})
    decide(state, make_env(), T0)
    t = rec(state, "term")
    assert t["status"] == st.FAILED and "PAUSED" in t["reasonForIncompletion"]
    assert state.workflow["status"] == st.FAILED


def test_sub_workflow_terminated_by_terminate_notifies_its_parent() -> None:
    state = make_state([terminate(terminationStatus="TERMINATED")])
    state.workflow["parentWorkflowId"] = "parent-1"
    out = decide(state, make_env(), T0)
    assert [(e.kind, e.data) for e in out.effects] == [("notify_parent", {"parent_id": "parent-1"})]
    assert state.workflow["status"] == st.TERMINATED
