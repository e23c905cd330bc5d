"""The named task-record transitions (decider/transitions.py), one at a time."""

from __future__ import annotations

from typing import Any, cast

import pytest

from podium.decider.transitions import (
    DEFAULT_LEASE_MS,
    LEAVE,
    REMOVE,
    QueueMove,
    apply_result,
    apply_system_result,
    lease_deadline,
    next_attempt,
    reopen,
    rerun_from,
    reschedule_in_place,
    response_deadline,
)
from podium.domain import statuses as st
from podium.domain.model import Task, TaskResult

NOW = 1_700_000_000_000


def record(**extra: Any) -> Task:
    base: dict[str, Any] = {
        "taskId": "t1",
        "taskType": "work",
        "referenceTaskName": "a",
        "status": st.FAILED,
        "retryCount": 0,
        "seq": 3,
        "pollCount": 2,
        "scheduledTime": NOW - 50,
        "startTime": NOW - 40,
        "endTime": NOW - 10,
        "updateTime": NOW - 10,
        "startDelayInSeconds": 0,
        "callbackAfterSeconds": 0,
        "retried": False,
        "executed": True,
        "inputData": {"v": 1, "subWorkflowId": "c1"},
        "outputData": {"partial": True},
        "reasonForIncompletion": "boom",
        "workerId": "w-1",
        "subWorkflowId": "c1",
        "externalOutputPayloadStoragePath": "out.json",
        "executionMetadata": {"serverSendTime": 1},
        "queueWaitTime": 10,
        "correlationId": "corr",
        "iteration": 2,
        "workflowTask": {"name": "work", "taskReferenceName": "a", "type": "SIMPLE"},
    }
    base.update(extra)
    return cast(Task, base)


def test_next_attempt_of_a_task_retry_carries_the_reason_and_waits_the_delay() -> None:
    old = record()
    new = next_attempt(old, new_id="t2", now=NOW, delay_seconds=5, fresh_input={"v": 2, "w": 3})
    assert new["taskId"] == "t2" and new["retriedTaskId"] == "t1" and new["retryCount"] == 1
    assert new["status"] == st.SCHEDULED and new["pollCount"] == 0
    assert (new["scheduledTime"], new["updateTime"], new["startTime"], new["endTime"]) == (NOW, NOW, 0, 0)
    assert new["startDelayInSeconds"] == 5 and new["callbackAfterSeconds"] == 5
    assert new["retried"] is False and new["executed"] is False
    assert new["reasonForIncompletion"] == "boom"
    assert new["inputData"] == {"v": 2, "w": 3} and new["outputData"] == {}
    assert new["correlationId"] == "corr" and new["iteration"] == 2 and new["seq"] == 3  # the caller re-seqs
    for gone in ("workerId", "subWorkflowId", "externalOutputPayloadStoragePath", "executionMetadata", "queueWaitTime"):
        assert gone not in new, gone
    assert old["retried"] is True
    assert old["inputData"] == {"v": 1, "subWorkflowId": "c1"} and old["workerId"] == "w-1"  # untouched


def test_next_attempt_of_a_workflow_retry_starts_clean_and_at_once() -> None:
    new = next_attempt(record(callbackAfterSeconds=9, startDelayInSeconds=9), new_id="t2", now=NOW, carry_reason=False)
    assert "reasonForIncompletion" not in new
    assert new["callbackAfterSeconds"] == 0 and new["startDelayInSeconds"] == 0
    assert new["inputData"] == {"v": 1}


@pytest.mark.parametrize("status", [st.IN_PROGRESS, st.SCHEDULED])
def test_reopen_puts_the_record_back_in_place(status: str) -> None:
    t = record(status=st.CANCELED)
    reopen(t, NOW, status)
    assert t["taskId"] == "t1" and t["status"] == status
    assert t["executed"] is False and t["endTime"] == 0 and t["updateTime"] == NOW
    assert "reasonForIncompletion" not in t
    assert t["outputData"] == {"partial": True} and t["pollCount"] == 2  # the run so far stays


def test_reschedule_in_place_looks_freshly_scheduled() -> None:
    t = record(status=st.CANCELED, retried=True)
    reschedule_in_place(t, NOW)
    assert t["taskId"] == "t1" and t["status"] == st.SCHEDULED and t["retried"] is False
    assert (t["scheduledTime"], t["startTime"], t["endTime"], t["pollCount"]) == (NOW, 0, 0, 0)
    assert "workerId" not in t and "reasonForIncompletion" not in t


def test_rerun_from_clears_output_and_replaces_input_only_when_given() -> None:
    t = record()
    rerun_from(t, NOW)
    assert t["outputData"] == {} and t["inputData"] == {"v": 1, "subWorkflowId": "c1"} and t["status"] == st.SCHEDULED
    rerun_from(t, NOW, {"x": 1})
    assert t["inputData"] == {"x": 1}


def running(**extra: Any) -> Task:
    return record(status=st.IN_PROGRESS, endTime=0, reasonForIncompletion="", **extra)


def test_apply_terminal_result_ends_the_task_and_removes_its_message() -> None:
    t = running(startTime=0)
    result: TaskResult = {
        "status": st.FAILED,
        "outputData": {"o": 1},
        "reasonForIncompletion": "no",
        "workerId": "w-2",
        "externalOutputPayloadStoragePath": "p",
        "executionMetadata": {"m": 1},
    }
    assert apply_result(t, result, NOW, worker=True) == REMOVE
    assert t["status"] == st.FAILED and t["endTime"] == NOW and t["startTime"] == NOW and t["updateTime"] == NOW
    assert t["outputData"] == {"o": 1} and t["reasonForIncompletion"] == "no" and t["workerId"] == "w-2"
    assert t["externalOutputPayloadStoragePath"] == "p" and t["executionMetadata"] == {"m": 1}


def test_apply_in_progress_of_a_worker_task_requeues_after_the_callback() -> None:
    t = running()
    move = apply_result(t, {"status": st.IN_PROGRESS, "callbackAfterSeconds": 4}, NOW, worker=True)
    assert move == QueueMove(requeue_after_ms=4000)
    assert t["status"] == st.SCHEDULED and t["callbackAfterSeconds"] == 4 and t["endTime"] == 0
    assert t["outputData"] == {"partial": True} and t["workerId"] == "w-1"  # absent fields are kept


def test_apply_in_progress_of_a_system_task_leaves_its_queue_alone() -> None:
    t = running()
    assert apply_result(t, {"status": st.IN_PROGRESS}, NOW, worker=False) == LEAVE
    assert t["status"] == st.IN_PROGRESS and t["updateTime"] == NOW


def test_apply_system_result_counts_a_poll_and_honours_async_complete() -> None:
    t = running()
    apply_system_result(t, st.COMPLETED, {"r": 1}, None, NOW)
    assert t["status"] == st.COMPLETED and t["endTime"] == NOW and t["pollCount"] == 3 and t["outputData"] == {"r": 1}
    waiting = running(inputData={"asyncComplete": True})
    apply_system_result(waiting, st.COMPLETED, {}, None, NOW)
    assert waiting["status"] == st.IN_PROGRESS and waiting["endTime"] == 0
    failed = running()
    apply_system_result(failed, st.FAILED, {}, "refused", NOW)
    assert failed["reasonForIncompletion"] == "refused"


def test_lease_and_response_deadlines() -> None:
    assert lease_deadline(running(responseTimeoutSeconds=7), NOW) == NOW + 7000
    assert lease_deadline(running(), NOW) == NOW + DEFAULT_LEASE_MS
    assert response_deadline(running(responseTimeoutSeconds=7), NOW) == NOW + 7000
    assert response_deadline(running(responseTimeoutSeconds=0), NOW) is None
