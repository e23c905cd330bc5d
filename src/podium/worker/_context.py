"""The task context a function can ask for: ids, counters, logs and lease extension."""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any, Protocol

from podium.domain.model import JSON, Task, TaskExecLog


class LeaseExtender(Protocol):
    """Posts ``extendLease`` for a task (the runner over HTTP, the test kit in-process)."""

    def extend(self, ctx: TaskContext) -> None: ...
    async def aextend(self, ctx: TaskContext) -> None: ...


class TaskContext:
    """What a running task function knows about its task.

    Ask for it by annotating a parameter with ``TaskContext``, or call :func:`current_task`.
    """

    __slots__ = ("_lease", "_logs", "task", "worker_id")

    def __init__(self, task: Task, worker_id: str, lease: LeaseExtender | None = None) -> None:
        self.task = task
        self.worker_id = worker_id
        self._lease = lease
        self._logs: list[TaskExecLog] = []

    @property
    def task_id(self) -> str:
        return self.task["taskId"]

    @property
    def workflow_id(self) -> str:
        return self.task["workflowInstanceId"]

    @property
    def task_type(self) -> str:
        return self.task["taskType"]

    @property
    def reference_name(self) -> str:
        return self.task.get("referenceTaskName", "")

    @property
    def workflow_type(self) -> str:
        return self.task.get("workflowType", "")

    @property
    def correlation_id(self) -> str | None:
        return self.task.get("correlationId")

    @property
    def retry_count(self) -> int:
        """0 on the first attempt, then 1, 2, ... on the server's retries."""
        return self.task.get("retryCount", 0)

    @property
    def poll_count(self) -> int:
        """How many times this attempt was handed out (grows with each IN_PROGRESS callback)."""
        return self.task.get("pollCount", 0)

    @property
    def iteration(self) -> int:
        """The DO_WHILE iteration (0 outside loops)."""
        return self.task.get("iteration", 0)

    @property
    def domain(self) -> str | None:
        return self.task.get("domain")

    @property
    def input(self) -> JSON:
        """The raw inputData."""
        return self.task.get("inputData") or {}

    @property
    def previous_output(self) -> JSON:
        """The output reported with the last IN_PROGRESS update ({} on the first delivery)."""
        return self.task.get("outputData") or {}

    @property
    def response_timeout_seconds(self) -> int:
        return self.task.get("responseTimeoutSeconds", 0)

    def log(self, message: Any) -> None:
        """Add a line to the task's execution log (sent with the result)."""
        now = time.time_ns() // 1_000_000
        self._logs.append({"log": str(message), "taskId": self.task["taskId"], "createdTime": now})

    @property
    def logs(self) -> list[TaskExecLog]:
        return self._logs

    def extend_lease(self) -> None:
        """Tell the server this task is still being worked on (resets its response timeout).

        Blocking; call it from sync functions. Async functions use :meth:`extend_lease_async`.
        """
        if self._lease is None:
            raise RuntimeError("lease extension is not available here")
        self._lease.extend(self)

    async def extend_lease_async(self) -> None:
        """:meth:`extend_lease` for async functions."""
        if self._lease is None:
            raise RuntimeError("lease extension is not available here")
        await self._lease.aextend(self)


_current: ContextVar[TaskContext | None] = ContextVar("podium_task", default=None)


def current_task() -> TaskContext:
    """The context of the task running in this thread / asyncio task (LookupError outside one)."""
    ctx = _current.get()
    if ctx is None:
        raise LookupError("no Podium task is running here")
    return ctx


def current_task_or_none() -> TaskContext | None:
    return _current.get()
