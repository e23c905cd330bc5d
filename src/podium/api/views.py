"""Read-only views of records as the API returns them (derived fields added)."""

from __future__ import annotations

from podium.domain.model import Task, Workflow


def task_view(t: Task) -> Task:
    """Add Conductor's derived task properties (queueWaitTime, loopOverTask)."""
    start = t.get("startTime", 0)
    sched = t.get("scheduledTime", 0)
    t["queueWaitTime"] = max(0, start - sched) if start and sched else 0
    t["loopOverTask"] = t.get("iteration", 0) > 0
    return t


def workflow_view(wf: Workflow) -> Workflow:
    for t in wf.get("tasks", []):
        task_view(t)
    return wf
