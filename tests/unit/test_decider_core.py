"""The decider as a pure function: sequential worker tasks, retries, timeouts, domains, output."""

from __future__ import annotations

import itertools
from typing import Any

from podium.decider import DeciderEnv, WorkflowState, decide
from podium.domain import statuses as st
from podium.domain.defaults import with_task_def_defaults, with_workflow_def_defaults
from podium.domain.model import TaskDef, Workflow, WorkflowDef

T0 = 1_700_000_000_000


def make_env(task_defs: dict[str, TaskDef] | None = None, active: set[tuple[str, str]] | None = None) -> DeciderEnv:
    ids = (f"t{i}" for i in itertools.count(1))
    defs = {k: with_task_def_defaults(v) for k, v in (task_defs or {}).items()}
    return DeciderEnv(
        task_def=defs.get,
        new_id=lambda: next(ids),
        domain_active=lambda t, d: (t, d) in (active or set()),
    )


def make_state(tasks: list[dict[str, Any]], **wf_extra: Any) -> WorkflowState:
    wd: WorkflowDef = with_workflow_def_defaults({"name": "wf", "version": 1, "tasks": tasks})  # type: ignore[typeddict-item]
    wd.update(wf_extra.pop("definition", {}))
    wf: Workflow = {
        "workflowId": "w1",
        "status": st.RUNNING,
        "createTime": T0,
        "updateTime": T0,
        "startTime": T0,
        "input": wf_extra.pop("input", {"x": 1}),
        "output": {},
        "workflowDefinition": wd,
        "workflowName": "wf",
        "workflowVersion": 1,
        "taskToDomain": wf_extra.pop("taskToDomain", {}),
        "variables": {},
    }
    return WorkflowState(wf, [])


def simple(ref: str, name: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"name": name or ref, "taskReferenceName": ref, "type": "SIMPLE", **extra}


def complete(state: WorkflowState, ref: str, output: dict[str, Any] | None = None, status: str = st.COMPLETED) -> None:
    t = next(t for t in reversed(state.tasks) if t["referenceTaskName"] == ref)
    t["status"] = status
    t["outputData"] = output or {}
    t["endTime"] = T0


def test_first_task_is_scheduled_and_queued_with_resolved_input() -> None:
    state = make_state([simple("a", inputParameters={"v": "${workflow.input.x}", "k": "lit"}), simple("b")])
    out = decide(state, make_env(), T0)
    assert [t["referenceTaskName"] for t in state.tasks] == ["a"]
    a = state.tasks[0]
    assert a["status"] == st.SCHEDULED and a["seq"] == 1 and a["inputData"] == {"v": 1, "k": "lit"}
    assert a["taskType"] == "a" and a["workflowInstanceId"] == "w1"
    assert [(p.queue, p.task_id, p.delay_ms) for p in out.pushes] == [("a", a["taskId"], 0)]
    assert state.workflow["status"] == st.RUNNING


def test_sequence_completes_with_last_output_when_no_output_parameters() -> None:
    state = make_state([simple("a"), simple("b", inputParameters={"p": "${a.output.r}"})])
    env = make_env()
    decide(state, env, T0)
    complete(state, "a", {"r": 42})
    decide(state, env, T0 + 1)
    assert state.tasks[1]["inputData"] == {"p": 42}
    complete(state, "b", {"done": True})
    out = decide(state, env, T0 + 2)
    assert state.workflow["status"] == st.COMPLETED
    assert state.workflow["output"] == {"done": True}
    assert state.workflow["endTime"] == T0 + 2
    assert out.next_check is None


def test_output_parameters_are_resolved_at_completion() -> None:
    state = make_state(
        [simple("a")], definition={"outputParameters": {"res": "${a.output.r}", "in": "${workflow.input.x}"}}
    )
    env = make_env()
    decide(state, env, T0)
    complete(state, "a", {"r": "ok"})
    decide(state, env, T0)
    assert state.workflow["output"] == {"res": "ok", "in": 1}


def test_failed_task_is_retried_with_fixed_delay_then_fails_workflow() -> None:
    env = make_env({"a": {"name": "a", "retryCount": 1, "retryDelaySeconds": 5}})
    state = make_state([simple("a")])
    decide(state, env, T0)
    complete(state, "a", status=st.FAILED)
    state.tasks[0]["reasonForIncompletion"] = "boom"
    out = decide(state, env, T0 + 10)
    assert len(state.tasks) == 2
    old, new = state.tasks
    assert old["retried"] is True and new["retriedTaskId"] == old["taskId"] and new["retryCount"] == 1
    assert new["status"] == st.SCHEDULED and new["seq"] == 2 and new["reasonForIncompletion"] == "boom"
    assert [(p.task_id, p.delay_ms) for p in out.pushes] == [(new["taskId"], 5000)]
    complete(state, "a", status=st.FAILED)
    new["reasonForIncompletion"] = "again"
    decide(state, env, T0 + 20)
    assert state.workflow["status"] == st.FAILED
    assert (
        state.workflow["reasonForIncompletion"]
        == f"Task {new['taskId']} failed with status: FAILED and reason: 'again'"
    )
    assert state.workflow["failedReferenceTaskNames"] == ["a"]


def test_terminal_error_is_never_retried() -> None:
    env = make_env({"a": {"name": "a", "retryCount": 3}})
    state = make_state([simple("a")])
    decide(state, env, T0)
    complete(state, "a", status=st.FAILED_WITH_TERMINAL_ERROR)
    decide(state, env, T0)
    assert len(state.tasks) == 1 and state.workflow["status"] == st.FAILED


def test_optional_failure_becomes_completed_with_errors_and_flow_continues() -> None:
    env = make_env({"a": {"name": "a", "retryCount": 0}})
    state = make_state([simple("a", optional=True), simple("b")])
    decide(state, env, T0)
    complete(state, "a", status=st.FAILED)
    decide(state, env, T0)
    assert state.tasks[0]["status"] == st.COMPLETED_WITH_ERRORS
    assert [t["referenceTaskName"] for t in state.tasks] == ["a", "b"]
    assert state.workflow["status"] == st.RUNNING


def test_backoff_arithmetic() -> None:
    from podium.decider.retries import retry_delay_seconds

    base: TaskDef = {"retryDelaySeconds": 2, "retryLogic": "EXPONENTIAL_BACKOFF"}
    assert [retry_delay_seconds(base, n) for n in range(4)] == [2, 4, 8, 16]
    assert retry_delay_seconds({**base, "maxRetryDelaySeconds": 5}, 3) == 5
    lin: TaskDef = {"retryDelaySeconds": 2, "retryLogic": "LINEAR_BACKOFF", "backoffScaleFactor": 3}
    assert [retry_delay_seconds(lin, n) for n in range(3)] == [6, 12, 18]
    assert retry_delay_seconds({"retryDelaySeconds": 1, "backoffJitterMs": 1000}, 0, 0.5) == 1.5


def test_response_timeout_times_out_and_retries() -> None:
    env = make_env({"a": {"name": "a", "retryCount": 1, "retryDelaySeconds": 0, "responseTimeoutSeconds": 10}})
    state = make_state([simple("a")])
    decide(state, env, T0)
    a = state.tasks[0]
    a["status"] = st.IN_PROGRESS
    a["startTime"] = a["updateTime"] = T0 + 1000
    out = decide(state, env, T0 + 5000)
    assert a["status"] == st.IN_PROGRESS and out.next_check == T0 + 11_000
    decide(state, env, T0 + 11_000)
    assert a["status"] == st.TIMED_OUT and a["retried"] is True
    assert state.tasks[1]["status"] == st.SCHEDULED


def test_scheduled_worker_task_counts_its_response_timeout_from_the_decide() -> None:
    """A poll does not move the next check: the decide that leaves a worker task SCHEDULED counts
    ``now + responseTimeoutSeconds``, which no later poll's response deadline precedes."""
    env = make_env({"a": {"name": "a", "retryCount": 1, "retryDelaySeconds": 0, "responseTimeoutSeconds": 10}})
    state = make_state([simple("a")])
    out = decide(state, env, T0)
    a = state.tasks[0]
    assert a["status"] == st.SCHEDULED and out.next_check == T0 + 10_000
    # Nobody polled: the check moves on by another response timeout, nothing else happens.
    out = decide(state, env, T0 + 10_000)
    assert a["status"] == st.SCHEDULED and out.next_check == T0 + 20_000 and not out.dirty
    # Polled late (as the poll does it): the next decide moves the check to the real deadline ...
    a["status"] = st.IN_PROGRESS
    a["startTime"] = a["updateTime"] = T0 + 17_000
    a["callbackAfterSeconds"] = 0
    out = decide(state, env, T0 + 20_000)
    assert a["status"] == st.IN_PROGRESS and out.next_check == T0 + 27_000
    # ... and the task times out there, not before.
    decide(state, env, T0 + 26_999)
    assert a["status"] == st.IN_PROGRESS
    decide(state, env, T0 + 27_000)
    assert a["status"] == st.TIMED_OUT and state.tasks[1]["status"] == st.SCHEDULED


def test_scheduled_check_only_where_a_response_timeout_applies() -> None:
    """No response timeout, or an asyncComplete task: no such check."""
    for td, extra in [({"responseTimeoutSeconds": 0}, {}), ({"responseTimeoutSeconds": 10}, {"asyncComplete": True})]:
        env = make_env({"a": {"name": "a", **td}})
        out = decide(make_state([simple("a", **extra)]), env, T0)
        assert out.next_check == T0 + 3_600_000  # the safety net only


def test_scheduled_check_after_an_update_keeps_the_earlier_check() -> None:
    """The next task scheduled by an update counts from the update; an earlier stored check stays
    (``prior_check`` path), and one already due is recomputed from every record."""
    defs: dict[str, TaskDef] = {n: {"name": n, "responseTimeoutSeconds": 10} for n in ("a", "b")}
    env = make_env(defs)
    state = make_state([simple("a"), simple("b")])
    first = decide(state, env, T0).next_check
    assert first == T0 + 10_000
    complete(state, "a")
    out = decide(state, env, T0 + 3_000, prior_check=first, changed=[state.tasks[0]])
    assert state.tasks[1]["status"] == st.SCHEDULED and out.next_check == T0 + 10_000
    out = decide(state, env, T0 + 10_000, prior_check=out.next_check)
    assert out.next_check == T0 + 20_000
    # A worker's IN_PROGRESS with a callback puts it back to SCHEDULED: counted from that decide.
    b = state.tasks[1]
    b["status"], b["callbackAfterSeconds"], b["updateTime"] = st.SCHEDULED, 30, T0 + 12_000
    out = decide(state, env, T0 + 12_000, prior_check=T0 + 20_000, changed=[b])
    assert out.next_check == T0 + 20_000
    out = decide(state, env, T0 + 20_000, prior_check=T0 + 20_000)
    assert out.next_check == T0 + 30_000


def test_paused_workflow_is_checked_for_its_own_timeout_only() -> None:
    """Paused, a workflow acts on no task deadline: an overdue one must not make it due at every decide
    (the sweeper would decide it again and again until resumed), a SCHEDULED one must not wake it."""
    env = make_env({"a": {"name": "a", "responseTimeoutSeconds": 10}, "b": {"name": "b", "responseTimeoutSeconds": 10}})
    state = make_state([{"type": "FORK_JOIN", "name": "f", "taskReferenceName": "f",
                         "forkTasks": [[simple("a")], [simple("b")]]},
                        {"type": "JOIN", "name": "j", "taskReferenceName": "j", "joinOn": ["a", "b"]}])  # fmt: skip
    decide(state, env, T0)
    a = next(t for t in state.tasks if t["referenceTaskName"] == "a")
    a["status"], a["updateTime"] = st.IN_PROGRESS, T0
    state.workflow["status"] = st.PAUSED
    out = decide(state, env, T0 + 60_000)
    assert a["status"] == st.IN_PROGRESS and out.next_check == T0 + 60_000 + 3_600_000
    timed = make_state([simple("a")], definition={"timeoutSeconds": 600, "timeoutPolicy": "TIME_OUT_WF"})
    decide(timed, env, T0)
    timed.workflow["status"] = st.PAUSED
    assert decide(timed, env, T0 + 1000).next_check == T0 + 600_000


def test_task_timeout_with_time_out_wf_policy_times_out_workflow() -> None:
    env = make_env(
        {"a": {"name": "a", "timeoutSeconds": 30, "responseTimeoutSeconds": 30, "timeoutPolicy": "TIME_OUT_WF"}}
    )
    state = make_state([simple("a")])
    decide(state, env, T0)
    a = state.tasks[0]
    a["status"] = st.IN_PROGRESS
    a["startTime"] = T0
    a["updateTime"] = T0 + 29_000
    decide(state, env, T0 + 30_000)
    assert a["status"] == st.TIMED_OUT
    assert state.workflow["status"] == st.TIMED_OUT


def test_poll_timeout_applies_only_while_scheduled() -> None:
    env = make_env({"a": {"name": "a", "pollTimeoutSeconds": 5, "retryCount": 0, "timeoutPolicy": "RETRY"}})
    state = make_state([simple("a")])
    decide(state, env, T0)
    decide(state, env, T0 + 5000)
    assert state.tasks[0]["status"] == st.TIMED_OUT
    assert state.workflow["status"] == st.TIMED_OUT


def test_workflow_timeout() -> None:
    state = make_state([simple("a")], definition={"timeoutSeconds": 60, "timeoutPolicy": "TIME_OUT_WF"})
    env = make_env()
    out = decide(state, env, T0)
    assert out.next_check == T0 + 60_000
    decide(state, env, T0 + 60_000)
    assert state.workflow["status"] == st.TIMED_OUT
    assert state.workflow["reasonForIncompletion"].startswith("Workflow timed out after 60 seconds")
    assert state.tasks[0]["status"] == st.CANCELED


def test_start_delay_delays_queue_availability() -> None:
    state = make_state([simple("a", startDelay=7)])
    out = decide(state, make_env(), T0)
    assert out.pushes[0].delay_ms == 7000 and state.tasks[0]["startDelayInSeconds"] == 7


def test_task_to_domain_picks_first_active_domain_else_last() -> None:
    state = make_state([simple("a")], taskToDomain={"*": "mine,NO_DOMAIN"})
    out = decide(state, make_env(), T0)
    assert "domain" not in state.tasks[0] and out.pushes[0].queue == "a"
    state = make_state([simple("a")], taskToDomain={"*": "mine,NO_DOMAIN"})
    out = decide(state, make_env(active={("a", "mine")}), T0)
    assert state.tasks[0]["domain"] == "mine" and out.pushes[0].queue == "mine:a"
    state = make_state([simple("a")], taskToDomain={"*": "x", "a": "d1,d2"})
    out = decide(state, make_env(), T0)
    assert state.tasks[0]["domain"] == "d2" and out.pushes[0].queue == "d2:a"


def test_paused_workflow_schedules_nothing() -> None:
    state = make_state([simple("a"), simple("b")])
    env = make_env()
    decide(state, env, T0)
    state.workflow["status"] = st.PAUSED
    complete(state, "a")
    decide(state, env, T0)
    assert len(state.tasks) == 1


def test_priority_is_copied_to_tasks_and_queue() -> None:
    state = make_state([simple("a")])
    state.workflow["priority"] = 7
    out = decide(state, make_env(), T0)
    assert state.tasks[0]["workflowPriority"] == 7 and out.pushes[0].priority == 7


def test_a_new_attempt_starts_without_the_previous_attempts_runtime_state() -> None:
    """As Conductor's retry of a task: the reason is carried, what the attempt ran is not."""
    env = make_env({"a": {"name": "a", "retryCount": 1, "retryDelaySeconds": 3}})
    state = make_state([simple("a", inputParameters={"v": "${workflow.input.x}"})])
    decide(state, env, T0)
    old = state.tasks[0]
    old.update(
        {
            "status": st.FAILED,
            "reasonForIncompletion": "boom",
            "outputData": {"partial": 1},
            "workerId": "w-7",
            "pollCount": 2,
            "startTime": T0 + 1,
            "endTime": T0 + 2,
            "externalOutputPayloadStoragePath": "out/1.json",
            "executionMetadata": {"serverSendTime": 5},
            "subWorkflowId": "child-1",
            "queueWaitTime": 1,
        }
    )
    old["inputData"]["subWorkflowId"] = "child-1"
    decide(state, env, T0 + 10)
    new = state.tasks[1]
    assert new["reasonForIncompletion"] == "boom"  # Conductor copies the failed attempt's reason
    assert new["outputData"] == {} and new["pollCount"] == 0
    assert new["startTime"] == 0 and new["endTime"] == 0
    assert new["scheduledTime"] == T0 + 10 and new["updateTime"] == T0 + 10
    assert new["callbackAfterSeconds"] == 3 and new["startDelayInSeconds"] == 3
    assert new["retried"] is False and new["executed"] is False
    assert new["inputData"] == {"v": 1}
    for gone in ("workerId", "externalOutputPayloadStoragePath", "executionMetadata", "subWorkflowId", "queueWaitTime"):
        assert gone not in new, gone
    assert old["outputData"] == {"partial": 1} and old["workerId"] == "w-7"  # the old attempt keeps its record
