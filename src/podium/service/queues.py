"""Task queues as operators see them: depths, requeue, and the long-poll a worker waits in
(docs/compatibility.md#tasks-apitasks)."""

from __future__ import annotations

import asyncio
import time

from podium.domain.model import Task
from podium.domain.queues import queue_name
from podium.service.engine import Engine
from podium.service.notifier import QueueNotifier
from podium.service.tasks import TaskService


class QueueService:
    """Queue depths and requeue; the long-poll of ``/api/tasks/poll``."""

    def __init__(self, engine: Engine, tasks: TaskService) -> None:
        self.engine = engine
        self.store = engine.store
        self.tasks = tasks
        self.notifier: QueueNotifier = engine.notifier

    # -- depths -------------------------------------------------------------------------------
    def size(
        self,
        task_type: str,
        domain: str | None = None,
        namespace: str | None = None,
        isolation_group: str | None = None,
    ) -> int:
        """Messages waiting in one queue (visible or not)."""
        return self.store.queue_size(queue_name(task_type, domain, namespace, isolation_group))

    def sizes(self, queues: list[str]) -> dict[str, int]:
        return {q: self.store.queue_size(q) for q in queues}

    def all(self) -> dict[str, tuple[int, int]]:
        """Every queue: (messages, of which handed out and not yet acknowledged)."""
        return self.store.queue_sizes(self.engine.clock.now())

    def event_queue_sizes(self) -> dict[str, int]:
        """The internal event queues and their depth."""
        return self.store.event_queue_sizes()

    def requeue(self, queue: str) -> int:
        """Make every pending message of a queue visible now; returns how many moved."""
        with self.engine.unit() as unit:
            n = unit.store.queue_requeue(queue, unit.clock.now())
            unit.notify(queue)
        return n

    # -- the long-poll ------------------------------------------------------------------------
    async def long_poll(
        self, task_type: str, worker_id: str | None, domain: str | None, count: int, timeout_ms: int
    ) -> list[Task]:
        """Poll now; if nothing is ready, wait for the queue's signal until ``timeout_ms`` passes.

        A waiting poll costs nothing: it is woken by the notifier when a task is pushed to its queue,
        never by re-reading the database.
        """
        tasks = self.tasks.poll(task_type, worker_id, domain, count)
        if tasks or timeout_ms <= 0:
            return tasks
        queue = queue_name(task_type, domain or None)
        deadline = time.monotonic() + timeout_ms / 1000.0
        notifier = self.notifier
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            fut = notifier.waiter(queue)
            try:
                await asyncio.wait_for(fut, remaining)
            except TimeoutError:
                return self.tasks.poll(task_type, worker_id, domain, count)
            finally:
                notifier.discard(queue, fut)
            tasks = self.tasks.poll(task_type, worker_id, domain, count)
            if tasks:
                return tasks
