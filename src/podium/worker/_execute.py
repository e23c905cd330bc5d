"""Running one task: bind inputs, call the function, turn the outcome into an encoded TaskResult.

Shared by the runner (threads, asyncio, processes) and the in-process test kit, so a function
behaves the same under test as in production.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from typing import Any

from podium.client._codec import EncodeError, encode
from podium.domain import statuses as st
from podium.domain.model import Task, TaskResult
from podium.worker._binding import to_output
from podium.worker._context import LeaseExtender, TaskContext, _current
from podium.worker._errors import InProgress, TaskError
from podium.worker._spec import WorkerTask

log = logging.getLogger("podium.worker")

MAX_REASON_CHARS = 4000


@dataclass(slots=True, frozen=True)
class Completed:
    """The outcome of one execution: the TaskResult as JSON bytes plus what metrics and logs need."""

    task_id: str
    workflow_id: str
    status: str
    body: bytes
    error_type: str | None = None

    @property
    def terminal(self) -> bool:
        return self.status != st.IN_PROGRESS


def run_sync(spec: WorkerTask, task: Task, worker_id: str, lease: LeaseExtender | None = None) -> Completed:
    """Execute a sync function on a task (in the calling thread). Never raises for task failures."""
    ctx = TaskContext(task, worker_id, lease)
    token = _current.set(ctx)
    try:
        try:
            args, kwargs = spec.binder.bind(ctx.input, ctx)
            value = spec.fn(*args, **kwargs)
        except Exception as e:
            return failed(spec, ctx, e)
        return finish(ctx, value)
    finally:
        _current.reset(token)


async def run_async(spec: WorkerTask, task: Task, worker_id: str, lease: LeaseExtender | None = None) -> Completed:
    """Execute an ``async def`` function on a task. Never raises for task failures."""
    ctx = TaskContext(task, worker_id, lease)
    token = _current.set(ctx)
    try:
        try:
            args, kwargs = spec.binder.bind(ctx.input, ctx)
            value = await spec.fn(*args, **kwargs)
        except Exception as e:
            return failed(spec, ctx, e)
        return finish(ctx, value)
    finally:
        _current.reset(token)


def _base(ctx: TaskContext, status: str) -> TaskResult:
    result: TaskResult = {
        "workflowInstanceId": ctx.workflow_id,
        "taskId": ctx.task_id,
        "status": status,
        "workerId": ctx.worker_id,
    }
    if ctx.logs:
        result["logs"] = ctx.logs
    return result


def _ids(ctx: TaskContext) -> dict[str, Any]:
    return {"workflow_id": ctx.workflow_id, "task_id": ctx.task_id, "task_type": ctx.task_type}


def finish(ctx: TaskContext, value: Any) -> Completed:
    """The result of a function that returned ``value``."""
    if isinstance(value, InProgress):
        result = _base(ctx, st.IN_PROGRESS)
        result["callbackAfterSeconds"] = max(0, int(value.callback_after_seconds))
        result["outputData"] = to_output(value.output)
    else:
        result = _base(ctx, st.COMPLETED)
        result["outputData"] = to_output(value)
    try:
        body = encode(result)
    except EncodeError as e:
        reason = f"Task output is not JSON serializable: {e}"
        log.error("task %s of workflow %s: %s", ctx.task_id, ctx.workflow_id, reason, extra=_ids(ctx))
        failure = _base(ctx, st.FAILED_WITH_TERMINAL_ERROR)
        failure["reasonForIncompletion"] = reason
        failure["outputData"] = {}
        return Completed(ctx.task_id, ctx.workflow_id, failure["status"], encode(failure), type(e).__name__)
    return Completed(ctx.task_id, ctx.workflow_id, result["status"], body)


def failed(spec: WorkerTask, ctx: TaskContext, exc: BaseException) -> Completed:
    """The result of a function that raised: FAILED (or FAILED_WITH_TERMINAL_ERROR when the
    exception is non-retryable), its message as reason and its traceback in the task's logs."""
    terminal = getattr(exc, "non_retryable", False) is True or isinstance(exc, spec.non_retryable)
    status = st.FAILED_WITH_TERMINAL_ERROR if terminal else st.FAILED
    reason = (str(exc) or type(exc).__name__)[:MAX_REASON_CHARS]
    ctx.log("".join(traceback.format_exception(exc)).rstrip())
    log.warning(
        "task %s (%s) of workflow %s failed%s: %s",
        ctx.task_id,
        ctx.task_type,
        ctx.workflow_id,
        " terminally" if terminal else "",
        reason,
        exc_info=exc,
        extra=_ids(ctx),
    )
    result = _base(ctx, status)
    result["reasonForIncompletion"] = reason
    output = exc.output if isinstance(exc, TaskError) else None
    result["outputData"] = to_output(output) if output is not None else {}
    try:
        body = encode(result)
    except EncodeError:
        result["outputData"] = {}
        body = encode(result)
    return Completed(ctx.task_id, ctx.workflow_id, status, body, type(exc).__name__)
