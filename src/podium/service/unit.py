"""The unit of work: everything one request (or one background step) changes, in one transaction.

A ``Unit`` is made by ``Engine.unit()`` for one transaction and dropped when it ends. It owns what
used to live on long-lived objects between requests: the workflow states being decided, the records
changed outside a decide pass, the workflows to decide again before the transaction ends, and the
actions that may run only once the work is committed (waking long-polls). If the transaction fails,
the unit is discarded with all of that, so nothing of a rolled-back request can reach a later one;
the store drops its own in-memory copies on rollback.

A unit belongs to the asyncio task (or thread) that opened it: using it from another is a bug, and
is refused.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING

from podium.decider import Outcome, WorkflowState, decide
from podium.domain import statuses as st
from podium.domain.errors import NotFound
from podium.domain.model import EXTERNAL_FLAG, Task, Workflow
from podium.service import metrics

if TYPE_CHECKING:
    from podium.service.engine import Engine

# Workflows decided again within one unit (children reporting back, effects that finish at once);
# a bound against a cycle that would never settle.
MAX_REDECIDES = 1000


class DecideNestingExceeded(RuntimeError):
    """Decides nested past ``Limits.decide_nesting`` in one unit. Not a ``PodiumError``, so no effect
    handler takes it for a task failure: the whole unit fails, like any failed decide."""

    @property
    def message(self) -> str:
        return str(self)


def workflow_channel(workflow_id: str) -> str:
    """The notifier channel signalled whenever a workflow is persisted (for waiting API calls)."""
    return "wf:" + workflow_id


_current_task = asyncio.current_task


def _owner() -> object:
    """The asyncio task running now, or the thread when no event loop runs here."""
    try:
        task = _current_task()
    except RuntimeError:
        task = None
    return task if task is not None else threading.current_thread()


class Unit:
    """One transaction's work against the engine. Made by ``Engine.unit()``; never reused.

    Used as a context manager: entering begins the store transaction; leaving commits it (or releases
    its savepoint in the group commit) and only then runs the after-commit actions; an exception rolls
    it back and drops the unit with everything it holds.
    """

    __slots__ = (
        "_after_commit", "_deciding", "_depth", "_extra_dirty", "_on_commit", "_owner", "_redecide", "_tx", "clock",
        "engine", "store",
    )  # fmt: skip

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store = engine.store
        self.clock = engine.clock
        self._owner = _owner()
        self._deciding: dict[str, WorkflowState] = {}
        self._extra_dirty: dict[str, list[Task]] = {}
        self._redecide: list[str] = []
        self._after_commit: list[tuple[str, int]] = []
        self._on_commit: list[Callable[[], None]] | None = None
        self._depth = 0
        self._tx: AbstractContextManager[None] | None = None

    def __enter__(self) -> Unit:
        tx = self.store.transaction()
        tx.__enter__()
        self._tx = tx
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        tx, self._tx = self._tx, None
        assert tx is not None, "a unit is entered once"
        if exc_type is not None:
            return tx.__exit__(exc_type, exc, tb)
        try:
            self.check_owner()
        except BaseException as e:
            tx.__exit__(type(e), e, e.__traceback__)
            raise
        tx.__exit__(None, None, None)  # a failed commit raises here: nothing after it runs
        self.finish()
        return None

    def check_owner(self) -> None:
        """Refuse use from another asyncio task or thread than the one that opened the unit."""
        if _owner() is not self._owner:
            raise RuntimeError("a unit of work was used outside the asyncio task that opened it")

    # -- loading ----------------------------------------------------------------------------
    def load(self, workflow_id: str) -> WorkflowState:
        """The workflow and its tasks, to change in this unit (NotFound when it does not exist)."""
        loaded = self.store.load_state(workflow_id)
        if loaded is not None and EXTERNAL_FLAG in loaded[0]:  # (load_state, inlined on the hot path)
            self.engine.payloads.materialise(*loaded)
        if loaded is None:
            raise NotFound(f"No such workflow found by id: {workflow_id}")
        return WorkflowState(*loaded)

    def load_state(self, workflow_id: str) -> tuple[Workflow, list[Task]] | None:
        """``store.load_state`` with external payloads put back into the records (the decider sees whole values)."""
        loaded = self.store.load_state(workflow_id)
        if loaded is not None and EXTERNAL_FLAG in loaded[0]:
            self.engine.payloads.materialise(*loaded)
        return loaded

    # -- deciding ---------------------------------------------------------------------------
    def decide(
        self, state: WorkflowState, *, new: bool = False, touched: list[Task] | None = None, full: bool = False
    ) -> Outcome:
        """Decide a loaded workflow and persist the outcome in this unit.

        ``touched`` lists records the caller changed before deciding (a worker's update). ``full`` looks
        at every record whatever the stored check says (it was computed while the workflow was paused,
        when no record's deadline counts). Effects may
        start children that finish at once and report back to this workflow while it is still being
        persisted; such workflows are decided again once the outermost decide of the unit ends.
        """
        self.check_owner()
        wid = state.workflow_id
        if touched:
            self._extra_dirty.setdefault(wid, []).extend(touched)
        self._deciding[wid] = state
        self._depth += 1
        started = time.perf_counter()
        evaluator = self.engine.evaluator
        asking = None
        if evaluator is not None:  # a script's answer that comes late wakes this workflow
            asking, evaluator.workflow_id = evaluator.workflow_id, wid
        try:
            if self._depth > self.engine.limits.decide_nesting:
                raise DecideNestingExceeded(
                    f"Workflows decided one inside another nest deeper than {self.engine.limits.decide_nesting} "
                    "in one step (PODIUM_LIMIT_DECIDE_NESTING): does a workflow start itself as a sub-workflow?"
                )
            prior = None if new or full else self.store.known_next_check(wid)
            out = decide(state, self.engine.env, self.clock.now(), prior, touched)
            self.persist(state, out, new=new)
        finally:
            if evaluator is not None:
                evaluator.workflow_id = asking
            metrics.DECIDE_SECONDS.observe(time.perf_counter() - started)
            self._depth -= 1
            if self._deciding.get(wid) is state:
                del self._deciding[wid]
        if self._depth == 0:
            self._drain_redecide()
        return out

    def redecide(self, workflow_id: str) -> None:
        """Decide this workflow again before the unit ends."""
        if workflow_id not in self._redecide:
            self._redecide.append(workflow_id)

    def _drain_redecide(self) -> None:
        rounds = 0
        while self._redecide and rounds < MAX_REDECIDES:
            rounds += 1
            self.decide(self.load(self._redecide.pop(0)))

    def with_workflow(self, workflow_id: str, change: Callable[[WorkflowState], list[Task]]) -> None:
        """Apply ``change`` to a workflow (the copy being decided, if it is) and decide it."""
        state = self._deciding.get(workflow_id)
        if state is not None:
            changed = change(state)
            if changed:
                self._extra_dirty.setdefault(workflow_id, []).extend(changed)
                self.redecide(workflow_id)
            return
        loaded = self.load_state(workflow_id)
        if loaded is None:
            return
        state = WorkflowState(*loaded)
        changed = change(state)
        if changed:
            self.store.upsert_tasks(changed)
            self.decide(state)

    def persist(self, state: WorkflowState, out: Outcome, *, new: bool = False) -> None:
        """Write a decide outcome (and run its effects) in this unit."""
        engine = self.engine
        now = self.clock.now()
        wf = state.workflow
        wf["updateTime"] = now
        if new:
            name = wf["workflowName"]
            self.on_commit(lambda: metrics.count(metrics.WORKFLOW_START, name))
        if out.workflow_changed and st.workflow_terminal(wf["status"]):
            name, status = wf["workflowName"], wf["status"]
            self.on_commit(lambda: metrics.count(metrics.WORKFLOW_END, name, status))
        if out.payloads:  # before the records that name them
            engine.payloads.write_all(out.payloads)
            out.payloads.clear()
        # Effects may add tasks or change the workflow (e.g. a sub-workflow id), so run them first.
        for eff in out.effects:
            engine.run_effect(self, state, eff)
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
        notify = self._after_commit
        for push in out.pushes:
            store.queue_push(push.queue, push.task_id, push.priority, now + push.delay_ms, now)
            notify.append((push.queue, push.delay_ms))
        notify.append((workflow_channel(wf["workflowId"]), 0))

    def save_task(self, task: Task) -> None:
        """Write one changed task record."""
        task["updateTime"] = self.clock.now()
        self.store.upsert_tasks([task])

    # -- after commit -----------------------------------------------------------------------
    def notify(self, channel: str, delay_ms: int = 0) -> None:
        """Wake the waiters of a queue or channel once this unit's work is in the store."""
        self._after_commit.append((channel, delay_ms))

    def on_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` once this unit's work is in the store (never if the unit fails)."""
        if self._on_commit is None:
            self._on_commit = []
        self._on_commit.append(action)

    def finish(self) -> None:
        """Run the after-commit actions (the unit's transaction has ended well)."""
        pending, self._after_commit = self._after_commit, []
        if pending:
            notify = self.engine.notifier.notify
            for channel, delay in pending:
                notify(channel, delay)
        actions, self._on_commit = self._on_commit, None
        for action in actions or ():
            action()
