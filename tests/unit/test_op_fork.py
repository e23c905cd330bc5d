"""FORK_JOIN, JOIN and EXCLUSIVE_JOIN (docs/reference.md#fork_join-and-join, #exclusive_join)."""

from __future__ import annotations

from typing import Any

from flowkit import T0, make_env, make_state, pending, rec, refs, seqs, simple, step

from podium.decider import decide
from podium.domain import statuses as st


def fork(ref: str, *branches: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"name": ref, "taskReferenceName": ref, "type": "FORK_JOIN", "forkTasks": list(branches), **extra}


def join(ref: str, *on: str, **extra: Any) -> dict[str, Any]:
    return {"name": ref, "taskReferenceName": ref, "type": "JOIN", "joinOn": list(on), **extra}


def basic() -> list[dict[str, Any]]:
    return [
        fork("f", [simple("a1"), simple("a2")], [simple("b1")], inputParameters={"x": "${workflow.input.x}"}),
        join("j", "a2", "b1"),
        simple("post"),
    ]


def test_fork_schedules_branch_heads_then_join_in_seq_order() -> None:
    state = make_state(basic(), input={"x": 5})
    out = decide(state, make_env(), T0)
    assert seqs(state) == [
        (1, "f", st.COMPLETED),
        (2, "a1", st.SCHEDULED),
        (3, "b1", st.SCHEDULED),
        (4, "j", st.IN_PROGRESS),
    ]
    f, j = rec(state, "f"), rec(state, "j")
    assert f["taskType"] == "FORK" and f["taskDefName"] == "FORK" and f["inputData"] == {"x": 5}
    assert f["startTime"] == T0 and f["endTime"] == T0 and f["executed"] is True
    assert j["taskType"] == "JOIN" and j["taskDefName"] == "JOIN" and j["inputData"] == {"joinOn": ["a2", "b1"]}
    assert j["startTime"] == T0 and j["endTime"] == 0
    assert sorted(p.task_id for p in out.pushes) == sorted([rec(state, "a1")["taskId"], rec(state, "b1")["taskId"]])


def test_join_waits_for_every_joined_ref_and_collects_non_empty_outputs() -> None:
    state = make_state(basic())
    env = make_env()
    decide(state, env, T0)
    step(state, env, "a1", {"v": 1})
    assert refs(state) == ["f", "a1", "b1", "j", "a2"]
    step(state, env, "b1", {})
    assert rec(state, "j")["status"] == st.IN_PROGRESS
    step(state, env, "a2", {"v": 2})
    j = rec(state, "j")
    assert j["status"] == st.COMPLETED and j["outputData"] == {"a2": {"v": 2}}
    assert refs(state)[-1] == "post" and refs(state).count("j") == 1
    step(state, env, "post", {"done": 1})
    assert state.workflow["status"] == st.COMPLETED


def test_join_on_a_subset_lets_the_flow_continue_while_other_branches_run() -> None:
    wf = [fork("f", [simple("a1")], [simple("b1"), simple("b2")]), join("j", "a1"), simple("post")]
    state = make_state(wf)
    env = make_env()
    decide(state, env, T0)
    step(state, env, "a1", {"k": 1})
    assert rec(state, "j")["status"] == st.COMPLETED and "post" in refs(state)
    step(state, env, "post")
    assert state.workflow["status"] == st.RUNNING and pending(state) == ["b1"]
    step(state, env, "b1")
    step(state, env, "b2")
    assert state.workflow["status"] == st.COMPLETED


def test_nested_fork_is_expanded_inside_the_outer_sequence() -> None:
    inner = fork("if", [simple("x1")], [simple("y1")])
    wf = [
        fork("of", [inner, join("ij", "x1", "y1"), simple("after_inner")], [simple("b1")]),
        join("oj", "after_inner", "b1"),
    ]
    state = make_state(wf)
    env = make_env()
    decide(state, env, T0)
    assert [r for _, r, _ in seqs(state)] == ["of", "if", "x1", "y1", "ij", "b1", "oj"]
    step(state, env, "x1")
    step(state, env, "y1")
    assert rec(state, "ij")["status"] == st.COMPLETED and refs(state)[-1] == "after_inner"
    step(state, env, "b1", {"b": 1})
    assert rec(state, "oj")["status"] == st.IN_PROGRESS
    step(state, env, "after_inner", {"a": 1})
    assert rec(state, "oj")["outputData"] == {"after_inner": {"a": 1}, "b1": {"b": 1}}
    assert state.workflow["status"] == st.COMPLETED


def test_join_with_empty_join_on_completes_at_once() -> None:
    state = make_state([fork("f", [simple("a1")]), join("j"), simple("post")])
    decide(state, make_env(), T0)
    assert rec(state, "j")["status"] == st.COMPLETED and rec(state, "j")["outputData"] == {}
    assert refs(state) == ["f", "a1", "j", "post"]


def test_fork_not_followed_by_join_fails_the_workflow() -> None:
    state = make_state([simple("pre"), fork("f", [simple("a1")]), simple("post")])
    env = make_env()
    decide(state, env, T0)
    step(state, env, "pre")
    assert refs(state) == ["pre"]
    assert state.workflow["status"] == st.FAILED
    assert state.workflow["reasonForIncompletion"] == "Fork task definition is not followed by a join task"


def test_optional_branch_failure_gives_completed_with_errors_join() -> None:
    env = make_env({"a1": {"retryCount": 0}})
    state = make_state(
        [fork("f", [simple("a1", optional=True)], [simple("b1")]), join("j", "a1", "b1"), simple("post")]
    )
    decide(state, env, T0)
    step(state, env, "a1", status=st.FAILED, reason="bad")
    assert rec(state, "a1")["status"] == st.COMPLETED_WITH_ERRORS
    assert rec(state, "j")["status"] == st.IN_PROGRESS
    step(state, env, "b1", {"ok": True})
    assert rec(state, "j")["status"] == st.COMPLETED_WITH_ERRORS and "post" in refs(state)
    assert state.workflow["status"] == st.RUNNING


def test_non_optional_branch_failure_fails_workflow_and_cancels_join_and_siblings() -> None:
    env = make_env({"a1": {"retryCount": 0}})
    state = make_state(basic())
    decide(state, env, T0)
    step(state, env, "a1", status=st.FAILED, reason="boom")
    assert state.workflow["status"] == st.FAILED
    assert rec(state, "j")["status"] == st.CANCELED and rec(state, "b1")["status"] == st.CANCELED
    a1 = rec(state, "a1")
    reason = f"Task {a1['taskId']} failed with status: FAILED and reason: 'boom'"
    assert state.workflow["reasonForIncompletion"] == reason


def test_join_waits_for_a_retried_branch_task() -> None:
    env = make_env({"b1": {"retryCount": 1, "retryDelaySeconds": 0}})
    state = make_state(basic())
    decide(state, env, T0)
    step(state, env, "a1")
    step(state, env, "a2", {"a": 2})
    step(state, env, "b1", status=st.FAILED, reason="flaky")
    assert rec(state, "j")["status"] == st.IN_PROGRESS
    assert [t["status"] for t in state.tasks if t["referenceTaskName"] == "b1"] == [st.FAILED, st.SCHEDULED]
    step(state, env, "b1", {"b": 1})
    assert rec(state, "j")["status"] == st.COMPLETED
    assert rec(state, "j")["outputData"] == {"a2": {"a": 2}, "b1": {"b": 1}}


def test_permissive_failure_lets_siblings_run_then_fails_the_join() -> None:
    env = make_env({"a1": {"retryCount": 0}})
    state = make_state(
        [fork("f", [simple("a1", permissive=True)], [simple("b1")]), join("j", "a1", "b1"), simple("post")]
    )
    decide(state, env, T0)
    step(state, env, "a1", status=st.FAILED, reason="perm")
    assert state.workflow["status"] == st.RUNNING and rec(state, "j")["status"] == st.IN_PROGRESS
    step(state, env, "b1")
    j = rec(state, "j")
    assert j["status"] == st.FAILED and j["reasonForIncompletion"] == "perm"
    assert state.workflow["status"] == st.FAILED and "post" not in refs(state)


def test_permissive_failure_outside_a_fork_fails_the_workflow_at_completion() -> None:
    env = make_env({"a": {"retryCount": 0}})
    state = make_state([simple("a", permissive=True), simple("b")])
    decide(state, env, T0)
    step(state, env, "a", status=st.FAILED, reason="p1")
    assert refs(state) == ["a", "b"] and state.workflow["status"] == st.RUNNING
    step(state, env, "b")
    a = rec(state, "a")
    assert state.workflow["status"] == st.FAILED
    assert state.workflow["reasonForIncompletion"] == f"Task {a['taskId']} failed with status: FAILED and reason: 'p1'"


def test_join_is_canceled_when_all_joined_failures_are_cancellations() -> None:
    state = make_state(basic())
    env = make_env()
    decide(state, env, T0)
    b1 = rec(state, "b1")
    b1.update({"status": st.CANCELED, "executed": True, "reasonForIncompletion": "gone"})
    decide(state, env, T0 + 1)
    j = rec(state, "j")
    assert j["status"] == st.CANCELED and j["reasonForIncompletion"] == "gone"
    assert state.workflow["status"] == st.TERMINATED


def test_fork_branch_may_start_with_a_skipped_task() -> None:
    state = make_state([simple("pre"), *basic()])
    env = make_env()
    decide(state, env, T0)
    state.tasks.append(
        {
            "taskId": "s",
            "referenceTaskName": "a1",
            "status": st.SKIPPED,
            "seq": 2,
            "executed": False,
            "workflowTask": simple("a1"),
            "outputData": {},
        }
    )
    step(state, env, "pre")
    assert [r for _, r, _ in seqs(state)] == ["pre", "a1", "f", "a2", "b1", "j"]


def exclusive(**extra: Any) -> list[dict[str, Any]]:
    sw = {
        "name": "sw",
        "taskReferenceName": "sw",
        "type": "SWITCH",
        "evaluatorType": "value-param",
        "expression": "k",
        "inputParameters": {"k": "${workflow.input.k}"},
        "decisionCases": {"a": [simple("a1")], "b": [simple("b1"), simple("b2")]},
        "defaultCase": [simple("d1")],
    }
    ej = {"name": "ej", "taskReferenceName": "ej", "type": "EXCLUSIVE_JOIN", "joinOn": ["a1", "b2"], **extra}
    return [sw, ej, simple("post")]


def test_exclusive_join_takes_the_output_of_the_branch_that_ran() -> None:
    state = make_state(exclusive(), input={"k": "b"})
    env = make_env()
    decide(state, env, T0)
    step(state, env, "b1")
    step(state, env, "b2", {"from": "b"})
    ej = rec(state, "ej")
    assert ej["taskType"] == "EXCLUSIVE_JOIN" and ej["taskDefName"] == "EXCLUSIVE_JOIN"
    assert ej["inputData"] == {"joinOn": ["a1", "b2"]}
    assert ej["status"] == st.COMPLETED and ej["outputData"] == {"from": "b"}
    assert refs(state)[-1] == "post"


def test_exclusive_join_uses_default_refs_when_no_join_on_ref_ran() -> None:
    state = make_state(exclusive(defaultExclusiveJoinTask=["d1"]), input={"k": "zz"})
    env = make_env()
    decide(state, env, T0)
    step(state, env, "d1", {"from": "default"})
    ej = rec(state, "ej")
    assert ej["inputData"]["defaultExclusiveJoinTask"] == ["d1"]
    assert ej["status"] == st.COMPLETED and ej["outputData"] == {"from": "default"}


def test_exclusive_join_fails_with_the_permissive_branch_failure() -> None:
    env = make_env({"a1": {"retryCount": 0}})
    wf = exclusive()
    wf[0]["decisionCases"]["a"] = [simple("a1", permissive=True)]
    state = make_state(wf, input={"k": "a"})
    decide(state, env, T0)
    step(state, env, "a1", status=st.FAILED, reason="bad a")
    ej = rec(state, "ej")
    assert ej["status"] == st.FAILED and ej["reasonForIncompletion"] == "bad a"
    assert state.workflow["status"] == st.FAILED
