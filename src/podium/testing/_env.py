"""Run workflows in-process against worker functions, with a clock that skips ahead when idle."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any, cast

from podium.client import decode
from podium.decider.lookup import find_by_ref
from podium.decider.transitions import response_deadline
from podium.domain import statuses as st
from podium.domain.clock import ManualClock
from podium.domain.limits import DEFAULT_LIMITS, Limits
from podium.domain.model import (
    JSON,
    StartWorkflowRequest,
    Task,
    TaskDef,
    TaskExecLog,
    TaskResult,
    Workflow,
    WorkflowDef,
)
from podium.domain.queues import queue_name
from podium.runtime.sweeper import sweep_once
from podium.service.container import Services, build_services
from podium.service.starting import start as start_workflow
from podium.service.workflows import get_workflow
from podium.testing._store import TimerStore
from podium.worker._config import configure
from podium.worker._context import TaskContext
from podium.worker._execute import Completed, run_async, run_sync
from podium.worker._spec import WorkerTask, as_worker

FOREVER_S = 10 * 365 * 24 * 3600
MAX_STEPS = 100_000
BATCH = 100


class _KitLease:
    """extendLease applied straight to the task service."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def extend(self, ctx: TaskContext) -> None:
        result: TaskResult = {
            "workflowInstanceId": ctx.workflow_id,
            "taskId": ctx.task_id,
            "status": st.IN_PROGRESS,
            "workerId": ctx.worker_id,
            "extendLease": True,
        }
        self.svc.tasks.update(result)

    async def aextend(self, ctx: TaskContext) -> None:
        self.extend(ctx)


class WorkflowEnvironment:
    """The real engine on an in-memory SQLite store with a manual clock, plus your worker functions.

    :meth:`run` executes every task its workers can take, and when nothing is left to do but wait,
    moves the clock straight to the next moment something is due (a retry delay, a callback, a
    WAIT, a timeout) — so hours of back-off finish in milliseconds. Functions run through the same
    code as under :class:`podium.worker.Runner` (binding, outputs, failures, logs).
    """

    def __init__(
        self,
        workers: Iterable[object] = (),
        *,
        db: str = "sqlite:///:memory:",
        start_ms: int | None = None,
        worker_id: str = "podium-testing",
        time_skipping: bool = True,
        idle_horizon_seconds: float = 7 * 24 * 3600,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.clock = ManualClock(start_ms if start_ms is not None else time.time_ns() // 1_000_000)
        self.store = TimerStore(db)
        self.services = build_services(self.store, self.clock, limits)
        # The environment's polls move their workflows' checks themselves (``_drain``): a decide need not
        # count a SCHEDULED task's response timeout ahead of them, which would make time skipping stop
        # once per response timeout of a task nobody serves (docs/architecture.md#next-checks).
        self.services.engine.env.polls_move_checks = True
        self.worker_id = worker_id
        self.time_skipping = time_skipping
        self.idle_horizon_ms = int(idle_horizon_seconds * 1000)
        self.dropped: list[Task] = []
        self._workers: dict[tuple[str, str | None], WorkerTask] = {}
        self._drops: dict[str, int] = {}
        self._lease = _KitLease(self.services)
        self._aloop: asyncio.AbstractEventLoop | None = None
        self.add_workers(*workers)

    # -- lifecycle ----------------------------------------------------------------------------
    def close(self) -> None:
        if self._aloop is not None:
            self._aloop.close()
            self._aloop = None
        self.store.close()

    def __enter__(self) -> WorkflowEnvironment:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    @property
    def now(self) -> int:
        """The environment's clock (epoch ms)."""
        return self.clock.now()

    # -- definitions and workers --------------------------------------------------------------
    def register_task_defs(self, *defs: TaskDef) -> None:
        self.services.metadata.register_task_defs(list(defs))

    def register_workflow(self, *definitions: WorkflowDef) -> None:
        """Register (or replace) workflow definitions."""
        self.services.metadata.update_workflow_defs(list(definitions))

    def add_workers(self, *workers: object, domain: str | None = None) -> None:
        """Serve task types with these functions (``domain`` for those that set none)."""
        for w in workers:
            spec = configure(as_worker(w), domain, env={})
            self._workers[(spec.name, spec.domain)] = spec

    def drop_next(self, task_type: str, times: int = 1) -> None:
        """Make the next ``times`` deliveries of a task type vanish, as if the worker crashed
        after polling (the task stays IN_PROGRESS until its response timeout)."""
        self._drops[task_type] = self._drops.get(task_type, 0) + times

    # -- runs ---------------------------------------------------------------------------------
    def start(
        self,
        workflow: str | WorkflowDef,
        input: Mapping[str, Any] | None = None,
        *,
        version: int | None = None,
        correlation_id: str | None = None,
        task_to_domain: Mapping[str, str] | None = None,
        priority: int | None = None,
    ) -> str:
        """Start a run of a registered workflow (by name) or of an inline definition; returns its id."""
        req: StartWorkflowRequest = {"input": dict(input or {})}
        if isinstance(workflow, str):
            req["name"] = workflow
        else:
            req["name"] = workflow.get("name", "")
            req["workflowDef"] = workflow
        if version is not None:
            req["version"] = version
        if correlation_id is not None:
            req["correlationId"] = correlation_id
        if task_to_domain:
            req["taskToDomain"] = dict(task_to_domain)
        if priority is not None:
            req["priority"] = priority
        self._heartbeat()  # workers poll continuously in real life, so their domains are active
        return start_workflow(self.services.engine, req)

    def execute(self, workflow: str | WorkflowDef, input: Mapping[str, Any] | None = None, **kw: Any) -> Workflow:
        """:meth:`start` then :meth:`run`."""
        return self.run(self.start(workflow, input, **kw))

    def run(self, workflow_id: str, *, max_seconds: float = FOREVER_S) -> Workflow:
        """Drive everything until this run is terminal, or until it waits for something from outside
        (a HUMAN task, an unserved task type, a signal): then the clock is left where the waiting
        began. ``max_seconds`` bounds the simulated time. Returns the run with its tasks."""
        limit = self.now + int(max_seconds * 1000)
        for _ in range(MAX_STEPS):
            self._settle()
            if st.workflow_terminal(self._status(workflow_id)) or not self.time_skipping:
                break
            if not self._skip_ahead(limit):
                break
        else:
            raise RuntimeError(f"workflow {workflow_id} made no progress in {MAX_STEPS} steps")
        return self.workflow(workflow_id)

    def advance(self, seconds: float) -> None:
        """Move the clock forward, handling everything that falls due on the way, in order."""
        target = self.now + int(seconds * 1000)
        for _ in range(MAX_STEPS):
            self._settle()
            nxt = self._next_event()
            if nxt is None or nxt[0] > target:
                self._move_to(target)
                self._settle()
                return
            self._move_to(nxt[0])
        raise RuntimeError(f"no progress in {MAX_STEPS} steps")

    def complete_task(
        self, workflow_id: str, ref: str, output: Mapping[str, Any] | None = None, status: str = st.COMPLETED
    ) -> Task:
        """Complete (or fail) the pending task with this reference name — a HUMAN or WAIT task, or
        any task nobody serves — as ``POST /api/tasks/{workflowId}/{ref}/{status}`` does."""
        task = find_by_ref(self.workflow(workflow_id)["tasks"], ref)
        if task is None or st.task_terminal(task["status"]):
            raise LookupError(f"no pending task {ref!r} in workflow {workflow_id}")
        return self.services.tasks.update_by_ref(workflow_id, ref, status, dict(output or {}), self.worker_id)

    def workflow(self, workflow_id: str) -> Workflow:
        """The run with its tasks."""
        return get_workflow(self.services.engine, workflow_id, True)

    def task_logs(self, task_id: str) -> list[TaskExecLog]:
        return self.services.tasks.logs(task_id)

    # -- the machinery ------------------------------------------------------------------------
    def _status(self, workflow_id: str) -> str:
        wf = self.store.get_workflow(workflow_id)
        if wf is None:
            raise LookupError(f"no workflow {workflow_id}")
        return wf["status"]

    def _heartbeat(self) -> None:
        now = self.now
        for name, domain in self._workers:
            self.services.poll_data.record(name, domain, self.worker_id, now)

    def _move_to(self, at: int) -> None:
        if at > self.clock.t:
            self.clock.t = at
        self._heartbeat()

    def _settle(self) -> None:
        """Run workers and the sweeper until nothing more is due at this instant."""
        for _ in range(MAX_STEPS):
            # Deadlines first: a lease that ends with a response timeout is a timeout, not a redelivery.
            swept = sweep_once(self.services)
            if not self._drain() and not swept:
                return
        raise RuntimeError(f"no quiet moment after {MAX_STEPS} rounds")

    def _skip_ahead(self, limit: int) -> bool:
        """Jump to the next moment something happens; False (clock and state unchanged) when nothing
        does within the idle horizon.

        A queue timer (a retry delay, a callback) always leads to work. A workflow re-check may be
        the engine's periodic safety check of a run that waits for outside input, or the way to a
        deadline beyond it (a long WAIT, a timeout), so re-checks are followed inside one
        transaction that is rolled back if none of them changed anything.
        """
        store = self.store
        clock, checks, writes = self.clock.t, dict(store.next_checks), store.writes
        horizon = min(limit, clock + self.idle_horizon_ms)
        try:
            with store.transaction():
                for _ in range(MAX_STEPS):
                    nxt = self._next_event()
                    if nxt is None or nxt[0] > (limit if nxt[1] else horizon):
                        raise _Idle
                    self._move_to(nxt[0])
                    self._settle()
                    if store.writes != writes:
                        return True
                raise _Idle
        except _Idle:
            self.clock.t = clock
            store.next_checks = checks
            return False

    def _drain(self) -> bool:
        """Poll every served task type until no task is ready; True when any task ran."""
        ran = False
        busy = True
        while busy:
            busy = False
            for name, domain in list(self._served()):
                for task in self.services.tasks.poll(name, self.worker_id, domain, BATCH):
                    busy = ran = True
                    self._check_by_response_deadline(task)
                    self._perform(name, domain, task)
        return ran

    def _check_by_response_deadline(self, task: Task) -> None:
        """Move the task's workflow's next check to the task's response deadline, if that is earlier."""
        deadline = response_deadline(task, self.now)
        wid = task["workflowInstanceId"]
        current = self.store.next_checks.get(wid)
        if deadline is not None and (current is None or deadline < current):
            with self.store.transaction():
                self.store.set_next_check(wid, deadline)

    def _served(self) -> Iterable[tuple[str, str | None]]:
        """The (task type, domain) pairs this environment works on."""
        return self._workers.keys()

    def _perform(self, name: str, domain: str | None, task: Task) -> None:
        """Work one polled task (a subclass may answer differently, e.g. with mocks)."""
        if self._drops.get(name, 0) > 0:
            self._drops[name] -= 1
            self.dropped.append(task)
            return
        self._apply(self._execute(self._workers[(name, domain)], task))

    def _execute(self, spec: WorkerTask, task: Task) -> Completed:
        if spec.is_async:
            if self._aloop is None:
                self._aloop = asyncio.new_event_loop()
            return self._aloop.run_until_complete(run_async(spec, task, self.worker_id, self._lease))
        return run_sync(spec, task, self.worker_id, self._lease)

    def _apply(self, done: Completed) -> None:
        # Decoding the JSON the runner would send keeps results identical to the HTTP path.
        self.services.tasks.update(cast(JSON, decode(done.body)))

    def _next_event(self) -> tuple[int, bool] | None:
        """(when, is a queue timer) of the earliest future timer."""
        now = self.now
        best: tuple[int, bool] | None = None
        for name, domain in list(self._served()):
            visible = self.store.queue_next_visible(queue_name(name, domain))
            if visible is not None and visible > now and (best is None or visible < best[0]):
                best = (visible, True)
        check = self.store.next_timer(now)
        if check is not None and (best is None or check < best[0]):
            best = (check, False)
        return best


class _Idle(Exception):
    """Nothing happened: undo the look-ahead."""
