"""The system-task runner: executes asynchronous system tasks (HTTP) off the request path, and
delivers internal event-queue messages to event handlers.

Async system tasks wait on durable queues named by type. The runner leases due messages, runs the
executor concurrently on the event loop (the HTTP call never blocks it) and applies each result as one
transaction through the engine. A lease that outlives its holder (a crash) expires, so the message
runs again; a restart of the embedded single-process server releases leases at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

import httpx

from podium.decider import WorkflowState
from podium.decider.transitions import apply_system_result
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.model import EXTERNAL_FLAG, Task
from podium.domain.payloads import EXTERNAL_OUTPUT, PayloadType
from podium.domain.queues import task_queue
from podium.domain.settings import Settings
from podium.domain.validation_limits import output_too_large, payload_size
from podium.logs import about
from podium.service import events
from podium.service.container import Services
from podium.service.durability import CommitBarrier
from podium.store.protocols import SingleWriter
from podium.systasks.hosts import HostPolicy
from podium.systasks.http import FAILURE_PREFIX, execute_http, lease_ms, new_client
from podium.systasks.result import SystemTaskResult

log = logging.getLogger("podium.systasks")

Executor = Callable[[Task], Awaitable[SystemTaskResult]]

MAX_CONCURRENT: Final = 64
EVENT_BATCH: Final = 100
DEFAULT_LEASE_MS: Final = 60_000


def start(svc: Services, settings: Settings, barrier: CommitBarrier | None = None) -> list[asyncio.Task[None]]:
    """Install the effect handlers; start the runner loops unless background work is off."""
    events.install(svc.engine)
    if not settings.run_background:
        return []
    runner = SystemTaskRunner(svc, HostPolicy(settings.http_allow), settings.system_task_interval_ms, barrier=barrier)
    return [asyncio.create_task(runner.run()), asyncio.create_task(runner.run_events())]


class SystemTaskRunner:
    """Leases due async system tasks, executes them concurrently and reports the results."""

    def __init__(
        self,
        svc: Services,
        policy: HostPolicy,
        interval_ms: int = 200,
        *,
        client: httpx.AsyncClient | None = None,
        max_concurrent: int = MAX_CONCURRENT,
        barrier: CommitBarrier | None = None,
    ) -> None:
        self.svc = svc
        self.barrier = barrier
        self.policy = policy
        self.interval = max(interval_ms, 1) / 1000.0
        self.max_concurrent = max_concurrent
        self._client = client
        self._own_client = client is None
        self._running: dict[str, asyncio.Task[None]] = {}
        self._slot_freed = asyncio.Event()
        self.executors: dict[str, Executor] = {tt.HTTP: self._http}
        self.events = events.EventService(svc.engine, svc.tasks)

    # -- async system tasks -----------------------------------------------------------------
    async def run(self) -> None:
        """Run forever (until cancelled)."""
        try:
            self.release_stale_leases()
            while True:
                try:
                    started = self.tick()
                except Exception:
                    log.exception("system-task runner pass failed")
                    started = 0
                if not started:
                    await self._idle()
        finally:
            await self.shutdown()

    async def shutdown(self) -> None:
        """Stop running executions (their leases expire) and close the HTTP client."""
        running = list(self._running.values())
        for t in running:
            t.cancel()
        for t in running:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    def release_stale_leases(self) -> None:
        """A store one process owns: nothing can be in flight at start-up, so leases left by a crash go now.

        (Every message of these queues is pushed due; a future visibility is always a lease.)
        """
        store = self.svc.store
        if not isinstance(store, SingleWriter):
            return
        now = self.svc.clock.now()
        with store.transaction():
            for queue in self.executors:
                store.queue_requeue(queue, now)

    def tick(self) -> int:
        """Lease what is due and start executing it; returns how many executions started."""
        free = self.max_concurrent - len(self._running)
        if free <= 0:
            return 0
        started = 0
        for task in self.claim(free):
            execute = self.executors[task["taskType"]]
            self._running[task["taskId"]] = asyncio.create_task(self._run_one(task, execute))
            started += 1
        return started

    def claim(self, limit: int) -> list[Task]:
        """Lease up to ``limit`` due messages (one transaction); stale messages are dropped."""
        store = self.svc.store
        now = self.svc.clock.now()
        due: list[tuple[str, str]] = []
        for queue in self.executors:  # a plain read first: an idle runner never opens a write transaction
            if len(due) < limit:
                due.extend((queue, tid) for tid in store.queue_peek(queue, now, limit - len(due)))
        if not due:
            return []
        out: list[Task] = []
        with store.transaction():
            for queue, task_id in due:
                if task_id in self._running:
                    store.queue_set_visible(queue, task_id, now + DEFAULT_LEASE_MS, now)
                    continue
                task = store.get_task(task_id)
                if task is None or task["status"] != st.IN_PROGRESS or task["taskType"] != queue:
                    store.queue_remove(queue, task_id)
                    continue
                self.svc.engine.payloads.materialise_task(task)  # an input kept outside the record
                store.queue_set_visible(queue, task_id, now + self._lease(task), now)
                out.append(task)
        return out

    def _lease(self, task: Task) -> int:
        if task["taskType"] == tt.HTTP:
            return lease_ms(task.get("inputData") or {}, self.svc.engine.limits)
        return DEFAULT_LEASE_MS

    async def _run_one(self, task: Task, execute: Executor) -> None:
        try:
            if self.barrier is not None:
                await self.barrier.wait()  # act only on decisions that are durable
            try:
                result = await execute(task)
            except Exception as e:
                log.exception(
                    "system task %s of workflow %s failed", task["taskId"], task["workflowInstanceId"],
                    extra=about(task["workflowInstanceId"], task["taskId"]),
                )  # fmt: skip
                result = SystemTaskResult(st.FAILED, {"response": str(e)}, f"{FAILURE_PREFIX}{type(e).__name__}: {e}")
            apply_result(self.svc, task, result)
        except Exception:
            log.exception(
                "could not record the result of system task %s", task["taskId"],
                extra=about(task["workflowInstanceId"], task["taskId"]),
            )  # fmt: skip
        finally:
            self._running.pop(task["taskId"], None)
            self._slot_freed.set()

    async def _http(self, task: Task) -> SystemTaskResult:
        if self._client is None:
            self._client = new_client(self.policy)
        reveal = self.svc.tasks.reveal
        if reveal is not None:  # the call carries the secrets its input names; the record keeps the references
            task = reveal([task])[0]
        return await execute_http(self._client, task.get("inputData") or {}, self.policy, self.svc.engine.limits)

    async def _idle(self) -> None:
        notifier = self.svc.notifier
        waiters = [notifier.waiter(q) for q in self.executors]
        self._slot_freed.clear()
        slot = asyncio.ensure_future(self._slot_freed.wait())
        wake: list[asyncio.Future[Any]] = [*waiters, slot]
        try:
            await asyncio.wait(wake, timeout=self.interval, return_when=asyncio.FIRST_COMPLETED)
        finally:
            slot.cancel()
            for q, f in zip(self.executors, waiters, strict=True):
                notifier.discard(q, f)

    # -- event queue ------------------------------------------------------------------------
    async def run_events(self) -> None:
        """Deliver internal event-queue messages to event handlers, forever."""
        notifier = self.svc.notifier
        while True:
            try:
                n = self.events.process(EVENT_BATCH)
            except Exception:
                log.exception("event delivery pass failed")
                n = 0
            if n >= EVENT_BATCH:
                await asyncio.sleep(0)
                continue
            fut = notifier.waiter(events.EVENTS_SIGNAL)
            try:
                await asyncio.wait([fut], timeout=self.interval)
            finally:
                notifier.discard(events.EVENTS_SIGNAL, fut)


def apply_result(svc: Services, claimed: Task, result: SystemTaskResult) -> None:
    """Record an execution result on its task and decide the workflow — one transaction."""
    engine = svc.engine
    store = svc.store
    queue = task_queue(claimed)
    with engine.unit() as unit:
        task = store.get_task(claimed["taskId"])
        wf = store.get_workflow(claimed["workflowInstanceId"])
        if task is None or wf is None or st.task_terminal(task["status"]) or st.workflow_terminal(wf["status"]):
            store.queue_remove(queue, claimed["taskId"])
            return
        status, output, reason = result.status, result.output, result.reason
        size = payload_size(output) if output else 0
        if size > engine.limits.task_output_bytes:  # e.g. a huge HTTP response body
            status, output = st.FAILED_WITH_TERMINAL_ERROR, {}
            reason = output_too_large(task["taskId"], wf["workflowId"], size, engine.limits.task_output_bytes)
        elif size:
            wf["_payloadBytes"] = wf.get("_payloadBytes", 0) + size
        apply_system_result(task, status, output, reason, svc.clock.now())
        if output and size > engine.limits.task_output_threshold_bytes:
            engine.payloads.externalize(task, EXTERNAL_OUTPUT, PayloadType.TASK_OUTPUT, output, size)
            wf[EXTERNAL_FLAG] = True
        store.queue_remove(queue, task["taskId"])
        tasks = store.get_tasks(wf["workflowId"])
        engine.payloads.materialise(wf, tasks)
        for i, t in enumerate(tasks):
            if t["taskId"] == task["taskId"]:
                tasks[i] = task
                break
        unit.decide(WorkflowState(wf, tasks), touched=[task])
