"""The engine: load a workflow, decide, persist the outcome and carry out its effects — in one transaction."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any

from podium.decider import DeciderEnv, Outcome, WorkflowState, decide
from podium.decider.outcome import Effect
from podium.domain import statuses as st
from podium.domain.clock import Clock, new_id
from podium.domain.errors import NotFound
from podium.domain.model import Task
from podium.service import metrics
from podium.service.metadata import MetadataService
from podium.service.notifier import QueueNotifier
from podium.service.polldata import PollDataTracker
from podium.store.protocols import Store

log = logging.getLogger("podium.engine")

EffectHandler = Callable[["Engine", WorkflowState, Effect], None]


def workflow_channel(workflow_id: str) -> str:
    """The notifier channel signalled whenever a workflow is persisted (for waiting API calls)."""
    return "wf:" + workflow_id


class Engine:
    """Runs decide passes against the store. Every public method is one transaction."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        metadata: MetadataService,
        notifier: QueueNotifier,
        poll_data: PollDataTracker,
        *,
        js: Callable[..., Any] | None = None,
        jq: Callable[[str, Any], list[Any]] | None = None,
        id_factory: Callable[[], str] = new_id,
        env_vars: dict[str, str] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.metadata = metadata
        self.notifier = notifier
        self.poll_data = poll_data
        self.new_id = id_factory
        self.effect_handlers: dict[str, EffectHandler] = {}
        self.env = DeciderEnv(
            task_def=metadata.task_def,
            new_id=id_factory,
            domain_active=self._domain_active,
            js=js,
            jq=jq,
            random=random.random,
            env_vars=env_vars or {},
        )
        self._pending_notify: list[tuple[str, int]] = []
        self._in_flight: dict[str, WorkflowState] = {}
        self._extra_dirty: dict[str, list[Task]] = {}
        self._redecide: list[str] = []
        # One process owns the store (SQLite): nothing changes it between this process's own steps.
        self.single_writer = bool(getattr(store, "single_writer", False))
        self._depth = 0
        from podium.service import effects

        effects.install(self)

    def _domain_active(self, task_type: str, domain: str) -> bool:
        return self.poll_data.active(task_type, domain, self.clock.now())

    # -- loading ----------------------------------------------------------------------------
    def load(self, workflow_id: str) -> WorkflowState:
        loaded = self.store.load_state(workflow_id)
        if loaded is None:
            raise NotFound(f"No such workflow found by id: {workflow_id}")
        return WorkflowState(*loaded)

    # -- deciding ---------------------------------------------------------------------------
    def decide(self, workflow_id: str) -> WorkflowState:
        """Decide one workflow in its own transaction."""
        with self.store.transaction():
            state = self.load(workflow_id)
            self.decide_state(state)
        self.flush_notifications()
        return state

    def decide_state(self, state: WorkflowState, *, new: bool = False, touched: list[Task] | None = None) -> Outcome:
        """Decide a loaded workflow inside the caller's transaction and persist the outcome.

        Effects may start children that finish at once and report back to this workflow while it
        is still being persisted; such workflows are decided again once the outermost call ends.
        """
        wid = state.workflow_id
        if touched:
            self._extra_dirty.setdefault(wid, []).extend(touched)
        self._in_flight[wid] = state
        self._depth += 1
        started = time.perf_counter()
        try:
            prior = None if new else self.store.known_next_check(wid)
            out = decide(state, self.env, self.clock.now(), prior, touched)
            self.persist(state, out, new=new)
        finally:
            metrics.DECIDE_SECONDS.observe(time.perf_counter() - started)
            self._depth -= 1
            self._in_flight.pop(wid, None)
        if self._depth == 0:
            self._drain_redecide()
        return out

    def redecide(self, workflow_id: str) -> None:
        """Decide this workflow again before the current transaction ends."""
        if workflow_id not in self._redecide:
            self._redecide.append(workflow_id)

    def _drain_redecide(self) -> None:
        rounds = 0
        while self._redecide and rounds < 1000:
            rounds += 1
            wid = self._redecide.pop(0)
            state = self.load(wid)
            self.decide_state(state)

    def with_workflow(self, workflow_id: str, change: Callable[[WorkflowState], list[Task]]) -> None:
        """Apply ``change`` to a workflow (the in-flight copy if one is being decided) and decide it."""
        state = self._in_flight.get(workflow_id)
        if state is not None:
            changed = change(state)
            if changed:
                self._extra_dirty.setdefault(workflow_id, []).extend(changed)
                self.redecide(workflow_id)
            return
        loaded = self.store.load_state(workflow_id)
        if loaded is None:
            return
        state = WorkflowState(*loaded)
        changed = change(state)
        if changed:
            self.store.upsert_tasks(changed)
            self.decide_state(state)

    def persist(self, state: WorkflowState, out: Outcome, *, new: bool = False) -> None:
        """Write a decide outcome (and run its effects) in the current transaction."""
        now = self.clock.now()
        wf = state.workflow
        wf["updateTime"] = now
        if new:
            metrics.count(metrics.WORKFLOW_START, wf["workflowName"])
        if out.workflow_changed and st.workflow_terminal(wf["status"]):
            metrics.count(metrics.WORKFLOW_END, wf["workflowName"], wf["status"])
        # Effects may add tasks or change the workflow (e.g. a sub-workflow id), so run them first.
        for eff in out.effects:
            handler = self.effect_handlers.get(eff.kind)
            if handler is None:
                log.warning("no handler for effect %s", eff.kind)
                continue
            handler(self, state, eff)
        store = self.store
        if new:
            store.insert_workflow(wf, out.next_check)
        else:
            store.update_workflow(wf, out.next_check)
        if out.deleted_task_ids:
            store.delete_tasks(out.deleted_task_ids)
        changed: dict[str, Task] = {t["taskId"]: t for t in out.new_tasks}
        for tid, t in out.dirty.items():
            changed.setdefault(tid, t)
        for t in self._extra_dirty.pop(state.workflow_id, ()):
            changed.setdefault(t["taskId"], t)
        if changed:
            store.upsert_tasks(list(changed.values()))
        for queue, task_id in out.removes:
            store.queue_remove(queue, task_id)
        for push in out.pushes:
            store.queue_push(push.queue, push.task_id, push.priority, now + push.delay_ms, now)
            self._pending_notify.append((push.queue, push.delay_ms))
        self._pending_notify.append((workflow_channel(wf["workflowId"]), 0))

    def flush_notifications(self) -> None:
        """Wake pollers of queues that got work; call after the transaction committed."""
        pending, self._pending_notify = self._pending_notify, []
        for queue, delay in pending:
            self.notifier.notify(queue, delay)

    # -- helpers shared by the services -----------------------------------------------------
    def save_task(self, task: Task) -> None:
        task["updateTime"] = self.clock.now()
        self.store.upsert_tasks([task])
