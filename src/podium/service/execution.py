"""Synchronous execution: start a workflow and wait until it ends or blocks (SPEC §6.2 execute)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from podium.decider.lookup import ref_matches
from podium.domain import statuses as st
from podium.domain.model import Workflow
from podium.service import starting
from podium.service import workflows as wfs
from podium.service.engine import Engine
from podium.service.unit import workflow_channel


def blocked(wf: Workflow, wait_refs: set[str]) -> bool:
    """True when the caller of a synchronous execute should get its answer now."""
    if st.workflow_terminal(wf["status"]):
        return True
    for t in wf.get("tasks", []):
        ref = t["referenceTaskName"]
        # Any ended record of a waited-for reference answers (an iteration or an attempt that ended).
        if wait_refs and st.task_terminal(t["status"]) and any(ref_matches(ref, w) for w in wait_refs):
            return True
        if t.get("taskType") == "WAIT" and not st.task_terminal(t["status"]):
            return True
    return False


async def execute(engine: Engine, request: Any, wait_refs: set[str], wait_seconds: int) -> tuple[Workflow, bool]:
    """Start the workflow, then wait (woken when it is persisted, never by polling the database) until
    it ends, reaches a waited-for task or a WAIT, or ``wait_seconds`` pass. Returns the workflow with
    its tasks and whether the wait timed out."""
    wid = starting.start(engine, request)
    deadline = time.monotonic() + max(0, wait_seconds)
    channel = workflow_channel(wid)
    notifier = engine.notifier
    while True:
        wf = wfs.get_workflow(engine, wid, True)
        if blocked(wf, wait_refs):
            return wf, False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return wf, True
        fut = notifier.waiter(channel)
        try:
            await asyncio.wait_for(fut, remaining)
        except TimeoutError:
            pass
        finally:
            notifier.discard(channel, fut)
