"""Run-time structural limits in the decider (issue #12): loop iterations, fork width, records per
execution, and loops that leave the event loop between passes."""

from __future__ import annotations

import dataclasses
from typing import Any

from flowkit import T0, make_env, make_state, rec, simple

from podium.decider import DeciderEnv, decide
from podium.decider.operators.do_while import RECORDS_PER_PASS
from podium.domain import statuses as st
from podium.domain.limits import Limits


def env_with(**limits: int) -> DeciderEnv:
    return dataclasses.replace(make_env(), limits=Limits(**limits))


def forever(ref: str = "loop") -> dict[str, Any]:
    body = {"name": "sv", "taskReferenceName": "sv", "type": "SET_VARIABLE", "inputParameters": {"x": 1}}
    return {"name": ref, "taskReferenceName": ref, "type": "DO_WHILE", "loopCondition": "true", "loopOver": [body]}


def decide_until_settled(state: Any, env: DeciderEnv, passes: int = 1000) -> int:
    """Decide again while the decider asks for it at once; returns how many passes ran."""
    for n in range(1, passes + 1):
        out = decide(state, env, T0 + n)
        if not out.again:
            return n
    raise AssertionError("the decider kept asking to decide again")


def test_an_endless_loop_fails_its_do_while_at_the_iteration_limit() -> None:
    state = make_state([forever()])
    decide_until_settled(state, env_with(loop_iterations=25))
    loop = rec(state, "loop")
    assert loop["status"] == st.FAILED_WITH_TERMINAL_ERROR
    assert loop["iteration"] == 25
    assert "limit of 25 iterations" in loop["reasonForIncompletion"]
    assert "PODIUM_LIMIT_LOOP_ITERATIONS" in loop["reasonForIncompletion"]
    assert state.workflow["status"] == st.FAILED
    assert sum(1 for t in state.tasks if t["referenceTaskName"].startswith("sv__")) == 25


def test_a_long_loop_runs_over_several_decide_passes_none_of_them_giant() -> None:
    state = make_state([forever()])
    env = env_with(loop_iterations=3 * RECORDS_PER_PASS)
    seen = 0
    for n in range(1, 100):
        out = decide(state, env, T0 + n)
        created = len(state.tasks) - seen
        seen = len(state.tasks)
        assert created <= RECORDS_PER_PASS + 1
        if not out.again:
            break
        assert out.next_check == T0 + n  # due at once
    assert n >= 3
    assert rec(state, "loop")["status"] == st.FAILED_WITH_TERMINAL_ERROR


def test_a_loop_under_the_limit_completes_as_before() -> None:
    body = {"name": "sv", "taskReferenceName": "sv", "type": "SET_VARIABLE", "inputParameters": {"x": 1}}
    loop = {
        "name": "loop",
        "taskReferenceName": "loop",
        "type": "DO_WHILE",
        "loopCondition": "$.loop['iteration'] < 5",
        "loopOver": [body],
    }
    state = make_state([loop])
    assert decide_until_settled(state, env_with(loop_iterations=5)) == 1
    assert rec(state, "loop")["status"] == st.COMPLETED
    assert state.workflow["status"] == st.COMPLETED


def _dyn(width: int) -> Any:
    fork = {
        "name": "df",
        "taskReferenceName": "df",
        "type": "FORK_JOIN_DYNAMIC",
        "inputParameters": {"forkTaskName": "work", "forkTaskInputs": "${workflow.input.items}"},
    }
    join = {"name": "dj", "taskReferenceName": "dj", "type": "JOIN"}
    return make_state([fork, join, simple("post")], input={"items": list(range(width))})


def test_a_dynamic_fork_wider_than_the_limit_fails_the_fork_task_and_creates_no_branch() -> None:
    state = _dyn(11)
    decide(state, env_with(fork_width=10), T0)
    assert [t["referenceTaskName"] for t in state.tasks] == ["df"]
    fork = rec(state, "df")
    assert fork["status"] == st.FAILED_WITH_TERMINAL_ERROR
    assert fork["reasonForIncompletion"] == "Dynamic fork of 11 tasks is over the limit of 10 (PODIUM_LIMIT_FORK_WIDTH)"
    assert state.workflow["status"] == st.FAILED


def test_a_dynamic_fork_at_the_limit_runs() -> None:
    state = _dyn(10)
    decide(state, env_with(fork_width=10), T0)
    assert len(state.tasks) == 12 and state.workflow["status"] == st.RUNNING


def test_an_execution_stops_at_the_task_record_limit() -> None:
    state = _dyn(30)
    decide(state, env_with(workflow_tasks=20), T0)
    assert state.workflow["status"] == st.FAILED
    assert "limit of 20 task records (PODIUM_LIMIT_WORKFLOW_TASKS)" in state.workflow["reasonForIncompletion"]
    assert len(state.tasks) <= 20


def test_huge_timeouts_and_callbacks_are_cut_to_times_the_stores_can_hold() -> None:
    from podium.decider.transitions import apply_result, lease_deadline, response_deadline
    from podium.domain.durations import MAX_DELAY_MS

    task: Any = {"responseTimeoutSeconds": 2**63 - 1, "status": st.IN_PROGRESS}
    assert lease_deadline(task, T0) == T0 + MAX_DELAY_MS
    assert response_deadline(task, T0) == T0 + MAX_DELAY_MS
    assert T0 + MAX_DELAY_MS < 2**63
    move = apply_result(task, {"status": st.IN_PROGRESS, "callbackAfterSeconds": 2**70}, T0, worker=True)
    assert task["callbackAfterSeconds"] * 1000 <= MAX_DELAY_MS
    assert move.requeue_after_ms == MAX_DELAY_MS // 1000 * 1000


def test_a_workflow_output_over_the_limit_fails_the_workflow_with_the_payload_reason() -> None:
    sv = {"name": "sv", "taskReferenceName": "sv", "type": "SET_VARIABLE", "inputParameters": {"x": 1}}
    big = {"blob": "${workflow.input.blob}"}
    state = make_state([sv], input={"blob": "x" * 500}, definition={"outputParameters": big})
    decide_until_settled(state, env_with(workflow_output_bytes=200))
    wf = state.workflow
    assert wf["status"] == st.FAILED
    assert wf["output"] == {}
    assert wf["reasonForIncompletion"].startswith("The workflow output payload size: 511 bytes")
    assert "PODIUM_LIMIT_WORKFLOW_OUTPUT_BYTES" in wf["reasonForIncompletion"]


def test_a_workflow_output_within_the_limit_completes() -> None:
    sv = {"name": "sv", "taskReferenceName": "sv", "type": "SET_VARIABLE", "inputParameters": {"x": 1}}
    state = make_state(
        [sv], input={"blob": "x" * 100}, definition={"outputParameters": {"blob": "${workflow.input.blob}"}}
    )
    decide_until_settled(state, env_with(workflow_output_bytes=200))
    assert state.workflow["status"] == st.COMPLETED
    assert state.workflow["output"] == {"blob": "x" * 100}
