"""One task type's poll → execute → post cycle inside the runner's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

from podium.client import ApiError, AsyncPodiumClient, PodiumClientError, encode
from podium.domain import statuses as st
from podium.domain.model import Task, TaskResult
from podium.worker._context import TaskContext
from podium.worker._execute import Completed, run_async, run_sync
from podium.worker._process import reference, run_in_process
from podium.worker._spec import WorkerTask

if TYPE_CHECKING:
    from podium.worker._runner import Runner

log = logging.getLogger("podium.worker")

MAX_POLL_TIMEOUT_MS = 5000


def _ids(task: Task) -> dict[str, Any]:
    return {
        "workflow_id": task.get("workflowInstanceId"),
        "task_id": task.get("taskId"),
        "task_type": task.get("taskType"),
    }


class HttpLease:
    """Lease extension over HTTP, callable from worker threads and from the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, client: AsyncPodiumClient) -> None:
        self.loop = loop
        self.client = client

    def extend(self, ctx: TaskContext) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            raise RuntimeError("inside an async task function use `await ctx.extend_lease_async()`")
        asyncio.run_coroutine_threadsafe(self.aextend(ctx), self.loop).result(self.client.timeout + 5)

    async def aextend(self, ctx: TaskContext) -> None:
        result: TaskResult = {
            "workflowInstanceId": ctx.workflow_id,
            "taskId": ctx.task_id,
            "status": st.IN_PROGRESS,
            "workerId": ctx.worker_id,
            "extendLease": True,
        }
        await self.client.update_task(result)


class TaskLoop:
    """Polls one task type (and domain) while slots are free; runs and posts each task."""

    def __init__(self, runner: Runner, spec: WorkerTask, client: AsyncPodiumClient, lease: HttpLease) -> None:
        self.r = runner
        self.spec = spec
        self.name = spec.name
        self.client = client
        self.lease = lease
        self.in_flight = 0
        self.wake = asyncio.Event()
        timeout = spec.poll_timeout_ms if spec.poll_timeout_ms is not None else runner.poll_timeout_ms
        self.poll_timeout_ms = max(0, min(timeout, MAX_POLL_TIMEOUT_MS))
        self._ref = reference(spec) if spec.executor == "process" else None

    # -- polling ------------------------------------------------------------------------------
    async def run(self) -> None:
        r, name, metrics = self.r, self.name, self.r.metrics
        empties = errors = 0
        while not r.stopping:
            if r.is_paused(name):
                metrics.paused(name)
                await self._nap(r.idle_backoff[1])
                continue
            free = self.spec.concurrency - self.in_flight
            if free <= 0:
                await self._nap(None)
                continue
            started = time.perf_counter()
            try:
                tasks = await self.client.batch_poll(
                    name, worker_id=r.worker_id, count=free, timeout_ms=self.poll_timeout_ms, domain=self.spec.domain
                )
            except PodiumClientError as e:
                metrics.poll_error(name, e)
                errors += 1
                level = logging.WARNING if errors == 1 else logging.DEBUG
                log.log(level, "poll of %s failed (%s); retrying with back-off", name, e)
                await self._nap(_backoff(r.error_backoff, errors))
                continue
            if errors:
                log.info("poll of %s works again after %d failures", name, errors)
                errors = 0
            metrics.polled(name, time.perf_counter() - started, len(tasks))
            if not tasks:
                empties += 1
                await self._nap(_backoff(r.idle_backoff, empties))
                continue
            empties = 0
            for task in tasks:
                self._spawn(task)

    async def _nap(self, seconds: float | None) -> None:
        """Sleep until woken (stop, resume, a free slot) or ``seconds`` pass."""
        self.wake.clear()
        if self.r.stopping or seconds == 0:
            await asyncio.sleep(0)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), seconds)

    def _spawn(self, task: Task) -> None:
        self.in_flight += 1
        self.r.metrics.in_flight(self.name, self.in_flight)
        job = asyncio.create_task(self._work(task), name=f"podium:{self.name}:{task.get('taskId')}")
        self.r.track(job)

    # -- one task, and the ones update-v2 chains after it -------------------------------------
    async def _work(self, task: Task | None) -> None:
        try:
            while task is not None:
                path = task.get("externalInputPayloadStoragePath")
                if path and not task.get("inputData"):  # an input over the server's threshold
                    task["inputData"] = await self.client.read_external_payload(path, "TASK_INPUT")
                done = await self._execute(task)
                task = await self._post(task, done)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("internal error while handling a %s task", self.name)
        finally:
            self.in_flight -= 1
            self.r.metrics.in_flight(self.name, self.in_flight)
            self.wake.set()

    async def _execute(self, task: Task) -> Completed:
        spec, r = self.spec, self.r
        heartbeat = None
        rto = task.get("responseTimeoutSeconds") or 0
        if spec.lease_extend and rto > 0:
            heartbeat = asyncio.create_task(self._heartbeat(task, max(rto * 0.5, 0.05)))
        started = time.perf_counter()
        try:
            if self._ref is not None:
                module, qualname = self._ref
                loop = asyncio.get_running_loop()
                done: Completed = await loop.run_in_executor(
                    r.process_pool, run_in_process, module, qualname, spec.name, task, r.worker_id
                )
            elif spec.is_async:
                done = await run_async(spec, task, r.worker_id, self.lease)
            else:
                loop = asyncio.get_running_loop()
                done = await loop.run_in_executor(r.thread_pool, run_sync, spec, task, r.worker_id, self.lease)
        finally:
            if heartbeat is not None:
                heartbeat.cancel()
        elapsed = time.perf_counter() - started
        r.metrics.executed(self.name, elapsed, done.status, done.error_type)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "task %s of workflow %s: %s in %.1f ms",
                done.task_id,
                done.workflow_id,
                done.status,
                elapsed * 1000,
                extra=_ids(task),
            )
        return done

    async def _heartbeat(self, task: Task, interval: float) -> None:
        ctx = TaskContext(task, self.r.worker_id)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.lease.aextend(ctx)
            except PodiumClientError as e:
                log.warning("lease extension of task %s failed: %s", ctx.task_id, e, extra=_ids(task))

    async def _post(self, task: Task, done: Completed) -> Task | None:
        """Post a result until the server takes it (back-off while it is unreachable); with
        update-v2 the answer may be the next task to run."""
        r, metrics = self.r, self.r.metrics
        body = done.body
        chain = r.update_v2 and done.terminal and not r.stopping and not r.is_paused(self.name)
        v2_doubt = shrunk = False
        failures = 0
        while True:
            started = time.perf_counter()
            try:
                if chain:
                    nxt = await self.client.update_task_v2(body)
                else:
                    await self.client.update_task(body)
                    nxt = None
            except ApiError as e:
                if chain and e.status in (404, 405):
                    chain, v2_doubt = False, True  # an older server without update-v2, or a missing task
                    continue
                if e.status == 413 and not shrunk:
                    body, shrunk = _too_large(done, len(body), r.worker_id), True
                    log.error(
                        "result of task %s is over the server's size limit; reporting a failure",
                        done.task_id,
                        extra=_ids(task),
                    )
                    continue
                if not e.transient:
                    metrics.update_error(self.name, e)
                    log.error("server rejected the result of task %s: %s (dropped)", done.task_id, e, extra=_ids(task))
                    return None
                failures = await self._retry_pause(task, e, failures)
                chain = False
                continue
            except PodiumClientError as e:
                failures = await self._retry_pause(task, e, failures)
                chain = False  # a lost update-v2 answer may have handed out a task; do not risk another
                continue
            metrics.updated(self.name, time.perf_counter() - started)
            if v2_doubt:
                r.update_v2 = False
                log.info("server has no update-v2 endpoint; using POST /api/tasks")
            if failures:
                log.info("result of task %s posted after %d failed attempts", done.task_id, failures, extra=_ids(task))
            return nxt

    async def _retry_pause(self, task: Task, error: BaseException, failures: int) -> int:
        self.r.metrics.update_error(self.name, error)
        failures += 1
        level = logging.WARNING if failures == 1 else logging.DEBUG
        log.log(level, "posting result of task %s failed (%s); retrying", task.get("taskId"), error, extra=_ids(task))
        await asyncio.sleep(_backoff(self.r.error_backoff, failures))
        return failures


def _backoff(bounds: tuple[float, float], n: int) -> float:
    """base · 2^(n-1), capped."""
    base, cap = bounds
    return float(min(cap, base * (2 ** min(n - 1, 30))))


def _too_large(done: Completed, size: int, worker_id: str) -> bytes:
    failure: TaskResult = {
        "workflowInstanceId": done.workflow_id,
        "taskId": done.task_id,
        "workerId": worker_id,
        "status": st.FAILED_WITH_TERMINAL_ERROR,
        "reasonForIncompletion": f"The task result of {size} bytes is over the server's payload limit",
        "outputData": {},
    }
    return encode(failure)
