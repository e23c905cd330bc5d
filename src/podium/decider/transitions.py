"""Named state transitions of one task record: the one home of each rule. Pure: no I/O.

Queue work a transition implies (push, remove) is returned as data; the caller performs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, cast

from podium.domain import statuses as st
from podium.domain.durations import MAX_DELAY_MS
from podium.domain.model import JSON, Task, TaskResult
from podium.domain.payloads import EXTERNAL_INPUT, EXTERNAL_OUTPUT, forget_external

# How long a polled message stays invisible when the task has no response timeout.
DEFAULT_LEASE_MS: Final = 3_600_000

# What one attempt ran; the next attempt starts without it (Conductor resets these on retry).
# queueWaitTime is derived from the attempt's own times, so it goes too.
_ATTEMPT_ONLY: Final = (
    "workerId",
    "subWorkflowId",
    "externalOutputPayloadStoragePath",
    "executionMetadata",
    "queueWaitTime",
)


def next_attempt(
    task: Task,
    *,
    new_id: str,
    now: int,
    delay_seconds: int = 0,
    fresh_input: JSON | None = None,
    carry_reason: bool = True,
) -> Task:
    """The record of the next attempt of a failed task (docs/reference.md#task-definitions, or a
    workflow retry); marks ``task`` retried.

    The task-level retry carries the failed attempt's reason and waits ``delay_seconds``; the
    workflow-level retry (``carry_reason=False``) starts clean and at once, as Conductor's do.
    Input is the old input overlaid with ``fresh_input`` (the re-resolved parameters).
    """
    new = cast(Task, {k: v for k, v in task.items() if k not in _ATTEMPT_ONLY})
    forget_external(new, EXTERNAL_OUTPUT)
    if fresh_input:  # the stored input is no longer the whole input
        forget_external(new, EXTERNAL_INPUT)
    old_input = {k: v for k, v in (task.get("inputData") or {}).items() if k != "subWorkflowId"}
    new.update(
        {
            "taskId": new_id,
            "retriedTaskId": task["taskId"],
            "retryCount": task.get("retryCount", 0) + 1,
            "status": st.SCHEDULED,
            "pollCount": 0,
            "scheduledTime": now,
            "startTime": 0,
            "endTime": 0,
            "updateTime": now,
            "inputData": {**old_input, **(fresh_input or {})},
            "outputData": {},
            "retried": False,
            "executed": False,
            "startDelayInSeconds": delay_seconds,
            "callbackAfterSeconds": delay_seconds,
        }
    )
    if not carry_reason:
        new.pop("reasonForIncompletion", None)
    task["retried"] = True
    return new


def reopen(task: Task, now: int, status: str = st.IN_PROGRESS) -> None:
    """Put an ended record back to work in place, same taskId (docs/compatibility.md#retry-restart-rerun-and-skip)."""
    task["status"] = status
    task["executed"] = False
    task["endTime"] = 0
    task["updateTime"] = now
    task.pop("reasonForIncompletion", None)


def reschedule_in_place(task: Task, now: int) -> None:
    """SCHEDULED again as if just scheduled, same taskId (a CANCELED task of a re-opened parent,
    docs/compatibility.md#retry-restart-rerun-and-skip).
    """
    reopen(task, now, st.SCHEDULED)
    task["retried"] = False
    task["scheduledTime"] = now
    task["startTime"] = 0
    task["pollCount"] = 0
    task.pop("workerId", None)


def rerun_from(task: Task, now: int, input_data: JSON | None = None) -> None:
    """The record a rerun starts from: rescheduled in place, output cleared, input replaced if given."""
    reschedule_in_place(task, now)
    task["outputData"] = {}
    forget_external(task, EXTERNAL_OUTPUT)
    if input_data is not None:
        task["inputData"] = input_data
        forget_external(task, EXTERNAL_INPUT)


@dataclass(frozen=True, slots=True)
class QueueMove:
    """What becomes of a record's queue message after a result: removed, due again later, or left."""

    remove: bool = False
    requeue_after_ms: int | None = None


LEAVE: Final = QueueMove()
REMOVE: Final = QueueMove(remove=True)


def apply_result(task: Task, result: TaskResult, now: int, *, worker: bool) -> QueueMove:
    """Apply a TaskResult to a pending record (Conductor's task update); ``worker``: a worker-type task.

    A worker's IN_PROGRESS puts the task back on its queue (SCHEDULED) after callbackAfterSeconds.
    """
    if "outputData" in result:
        task["outputData"] = result["outputData"]
        if EXTERNAL_OUTPUT in task:
            forget_external(task, EXTERNAL_OUTPUT)
    if result.get("reasonForIncompletion"):
        task["reasonForIncompletion"] = result["reasonForIncompletion"]
    if result.get("workerId"):
        task["workerId"] = result["workerId"]
    if result.get("externalOutputPayloadStoragePath"):  # the service marks a path it read the output from
        task["externalOutputPayloadStoragePath"] = result["externalOutputPayloadStoragePath"]
    if result.get("executionMetadata"):
        task["executionMetadata"] = result["executionMetadata"]
    if result.get("subWorkflowId"):
        task["subWorkflowId"] = result["subWorkflowId"]
    cb = min(int(result.get("callbackAfterSeconds") or 0), MAX_DELAY_MS // 1000)
    task["callbackAfterSeconds"] = cb
    task["updateTime"] = now
    status = result.get("status", st.IN_PROGRESS)
    if status != st.IN_PROGRESS:
        _end(task, status, now)
        return REMOVE
    if not worker:
        task["status"] = st.IN_PROGRESS
        return LEAVE
    task["status"] = st.SCHEDULED
    return QueueMove(requeue_after_ms=min(cb * 1000, MAX_DELAY_MS))


def apply_system_result(task: Task, status: str, output: JSON, reason: str | None, now: int) -> None:
    """Apply what a server-side execution of an async system task produced (its message is removed).

    Each execution counts as a poll; a COMPLETED asyncComplete task stays IN_PROGRESS until an
    external update completes it.
    """
    if status == st.COMPLETED and async_complete(task):
        status = st.IN_PROGRESS
    task["outputData"] = output
    if EXTERNAL_OUTPUT in task:
        forget_external(task, EXTERNAL_OUTPUT)
    if reason:
        task["reasonForIncompletion"] = reason
    task["pollCount"] = task.get("pollCount", 0) + 1
    task["updateTime"] = now
    task["status"] = status
    if st.task_terminal(status):
        task["endTime"] = now


def _end(task: Task, status: str, now: int) -> None:
    task["status"] = status
    task["endTime"] = now
    if not task.get("startTime"):
        task["startTime"] = now


def async_complete(task: Task) -> bool:
    """A system task whose completion comes from outside (``asyncComplete``)."""
    inp: JSON = task.get("inputData") or {}
    return bool(task.get("workflowTask", {}).get("asyncComplete")) or inp.get("asyncComplete") is True


def lease_deadline(task: Task, now: int) -> int:
    """Until when a polled (or lease-extended) message stays invisible: the response timeout, else an hour."""
    return now + (min((task.get("responseTimeoutSeconds") or 0) * 1000, MAX_DELAY_MS) or DEFAULT_LEASE_MS)


def response_deadline(task: Task, now: int) -> int | None:
    """When a task just polled at ``now`` can first time out for want of a response
    (``responseTimeoutSeconds``, docs/reference.md#task-definitions), if ever. The decider counts it for
    a SCHEDULED task from its own clock: no later poll's deadline is earlier (docs/architecture.md#next-checks)."""
    resp = task.get("responseTimeoutSeconds") or 0
    return now + min(resp * 1000, MAX_DELAY_MS) if resp > 0 else None
