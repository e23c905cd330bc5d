"""Synchronous execution: start a workflow (or change one) and wait until it ends or blocks (Orkes'
execute and state edits, docs/workflow-edits.md)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from podium.decider.lookup import ref_matches
from podium.domain import statuses as st
from podium.domain import tasktypes as tt
from podium.domain.model import Task, Workflow
from podium.service import starting
from podium.service import workflows as wfs
from podium.service.engine import Engine
from podium.service.unit import workflow_channel

# Sub-workflows searched for a blocking task, at most this deep (a guard against cycles in bad data).
MAX_DEPTH = 16


@dataclass
class Waited:
    """What a synchronous caller gets: the target workflow, the task (and its workflow) that blocks it,
    if one does, and whether the wait ran out first."""

    workflow: Workflow
    timed_out: bool
    blocking_workflow: Workflow | None = None
    blocking_task: Task | None = None


def open_ended_wait(t: Task) -> bool:
    """A non-terminal WAIT with neither ``duration`` nor ``until``: it waits for the outside world."""
    if t.get("taskType") != tt.WAIT or st.task_terminal(t["status"]):
        return False
    inp = t.get("inputData") or {}
    return not inp.get("duration") and not inp.get("until")


def _blocking(engine: Engine, wf: Workflow, seen: list[str], depth: int = 0) -> tuple[Workflow, Task] | None:
    """The first open-ended WAIT of ``wf``, searching into its running sub-workflows; ``seen`` collects
    the ids of the workflows looked at (whose changes wake the waiter)."""
    seen.append(wf["workflowId"])
    for t in wf.get("tasks", []):
        if open_ended_wait(t):
            return wf, t
        child = t.get("subWorkflowId")
        if child and depth < MAX_DEPTH and t.get("taskType") == tt.SUB_WORKFLOW and not st.task_terminal(t["status"]):
            sub = engine.store.get_workflow(child)
            if sub is None or st.workflow_terminal(sub["status"]):
                continue
            sub["tasks"] = engine.store.get_tasks(child)
            found = _blocking(engine, sub, seen, depth + 1)
            if found is not None:
                return found
    return None


def _reached(wf: Workflow, wait_refs: set[str]) -> Task | None:
    for t in wf.get("tasks", []):
        # Any ended record of a waited-for reference answers (an iteration or an attempt that ended).
        if st.task_terminal(t["status"]) and any(ref_matches(t["referenceTaskName"], w) for w in wait_refs):
            return t
    return None


def blocked(wf: Workflow, wait_refs: set[str]) -> bool:
    """True when the caller of a synchronous execute should get its answer now (this workflow alone)."""
    if st.workflow_terminal(wf["status"]):
        return True
    if wait_refs and _reached(wf, wait_refs) is not None:
        return True
    return any(open_ended_wait(t) for t in wf.get("tasks", []))


async def execute(engine: Engine, request: Any, wait_refs: set[str], wait_seconds: int) -> Waited:
    """Start the workflow, then ``wait``."""
    return await wait(engine, starting.start(engine, request), wait_refs, wait_seconds)


async def wait(engine: Engine, wid: str, wait_refs: set[str], wait_seconds: int) -> Waited:
    """Wait (woken when the workflow or one of its running sub-workflows is persisted, never by polling
    the database) until it ends, reaches a waited-for task or an open-ended WAIT (in it or in a
    sub-workflow), or ``wait_seconds`` pass."""
    deadline = time.monotonic() + max(0, wait_seconds)
    notifier = engine.notifier
    while True:
        wf = wfs.get_workflow(engine, wid, True)
        seen: list[str] = []
        found = _blocking(engine, wf, seen)
        if found is not None:
            return Waited(wf, False, found[0], found[1])
        if st.workflow_terminal(wf["status"]):
            return Waited(wf, False)
        if wait_refs:
            reached = _reached(wf, wait_refs)
            if reached is not None:
                return Waited(wf, False, wf, reached)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return Waited(wf, True)
        channels = [workflow_channel(w) for w in seen]
        await notifier.wait_any(channels, remaining)
